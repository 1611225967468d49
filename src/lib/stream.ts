/**
 * Turns the server-sent events of a streamed image request into partial images (handed on at once)
 * and the final images. Partial images are not kept: memory holds the finished images only.
 */
import type { ImagesResult, ProducedImage } from "./answer";
import { httpError, readErrorBody } from "./api-errors";
import { ImagesApiError } from "./errors";
import type { SseEvent } from "./sse";

export interface PartialImage {
  data: Buffer;
  /** the API's partial_image_index (0-based) */
  partialIndex: number;
  /** which of the n images this partial belongs to (0-based, by order of arrival) */
  imageIndex: number;
}

export class ImageStream {
  private readonly finals: ProducedImage[] = [];
  private usage: unknown;
  /**
   * Events carry no image number, so images are told apart by order: a partial whose index is not
   * above the previous one's, or the first partial after a completed event, starts the next image.
   */
  private imagesStarted = 0;
  private lastPartialIndex: number | undefined;

  constructor(
    private readonly onPartial: (partial: PartialImage) => void,
    private readonly redact: (s: string) => string,
  ) {}

  handle(event: SseEvent): void {
    const data = event.data.trim();
    if (data === "" || data === "[DONE]") {
      if (event.event === "error") throw this.failure(undefined);
      return;
    }
    // the key filter on the whole text first, then the cut: a cut key would no longer be recognised
    const unusable = (what: string) =>
      new ImagesApiError("api_error", `the image stream sent an event that is ${what} (${this.redact(data).slice(0, 60)}…)`, { retryable: false });
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(data) as Record<string, unknown>;
    } catch {
      throw unusable("not JSON");
    }
    if (!payload || typeof payload !== "object" || Array.isArray(payload)) throw unusable("not a JSON object");
    if (event.event === "error" || payload.error) throw this.failure(payload);
    const type = String(payload.type ?? event.event ?? "");
    if (type.endsWith(".partial_image")) this.partial(payload);
    else if (type.endsWith(".completed")) this.completed(payload);
  }

  /** The stream ended: the finished images, or an error when it ended before they were complete. */
  finish(details: { requestId?: string; attempts: number; statusCode: number }, expected: number): ImagesResult {
    if (this.finals.length === 0) {
      throw new ImagesApiError(
        "stream_incomplete",
        "the image stream ended before the finished image arrived (no completed event); no image is presented as complete",
        { ...details, retryable: true },
      );
    }
    if (this.finals.length < expected) {
      throw new ImagesApiError(
        "stream_incomplete",
        `the image stream ended after ${this.finals.length} of ${expected} finished images`,
        { ...details, retryable: true },
      );
    }
    return { images: this.finals, usage: this.usage, requestId: details.requestId, attempts: details.attempts };
  }

  private image(payload: Record<string, unknown>): Buffer {
    const b64 = payload.b64_json;
    if (typeof b64 !== "string" || b64.length === 0) {
      throw new ImagesApiError("api_error", `a ${String(payload.type)} event carried no image data`, { retryable: false });
    }
    return Buffer.from(b64, "base64");
  }

  private partial(payload: Record<string, unknown>): void {
    const index = Number(payload.partial_image_index ?? 0);
    if (this.lastPartialIndex === undefined || index <= this.lastPartialIndex) this.imagesStarted++;
    this.lastPartialIndex = index;
    this.onPartial({ data: this.image(payload), partialIndex: index, imageIndex: this.imagesStarted - 1 });
  }

  private completed(payload: Record<string, unknown>): void {
    this.finals.push({ data: this.image(payload) });
    if (payload.usage !== undefined) this.usage = payload.usage;
    this.imagesStarted = Math.max(this.imagesStarted, this.finals.length);
    this.lastPartialIndex = undefined;
  }

  private failure(payload: Record<string, unknown> | undefined): ImagesApiError {
    const body = readErrorBody(payload) ?? { message: "the image stream reported an error" };
    const err = httpError(200, body, { retryable: false }, this.redact);
    err.message = err.message.replace(/^Images API answered 200: /, "the image stream reported an error: ");
    return err;
  }
}
