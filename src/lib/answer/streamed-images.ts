/**
 * Turns the server-sent events of a streamed image request into partial images (handed on at once)
 * and the final images. Partial images are not kept: memory holds the finished images only. What the
 * request asked for bounds what is taken: at most partial_images partials per image (the rest are
 * dropped, most of them without being decoded, with one warning) and at most n finished images.
 */
import type { ImagesResult, ProducedImage } from "./images-response";
import { httpError, readErrorBody } from "../http/http-errors";
import { ImagesApiError } from "../errors";
import { JsonImagesReader } from "./json-images";
import type { SseEvent } from "../http/sse";

export interface PartialImage {
  data: Buffer;
  /** the API's partial_image_index (0-based) */
  partialIndex: number;
  /** which of the n images this partial belongs to (0-based, by order of arrival) */
  imageIndex: number;
}

export interface StreamLimits {
  /** how many images were asked for (default: no limit) */
  n?: number;
  /** how many partial images per image were asked for (default: no limit) */
  partialImages?: number;
  /** told once when partial images beyond what was asked for are dropped */
  onWarning?: (text: string) => void;
}

export class ImageStream {
  private readonly finals: ProducedImage[] = [];
  private usage: unknown;
  private readonly n: number;
  private readonly partialImages: number;
  /** partial events read (decoded) so far: beyond n × partialImages none is read */
  private partialsRead = 0;
  /** partial images handed on, per image */
  private readonly partialsTaken = new Map<number, number>();
  private warned = false;
  /**
   * Events carry no image number, so images are told apart by order: a partial whose index is not
   * above the previous one's, or the first partial after a completed event, starts the next image.
   */
  private imagesStarted = 0;
  private lastPartialIndex: number | undefined;

  constructor(
    private readonly onPartial: (partial: PartialImage) => void,
    private readonly redact: (s: string) => string,
    private readonly limits: StreamLimits = {},
  ) {
    this.n = limits.n ?? Infinity;
    this.partialImages = limits.partialImages ?? Infinity;
  }

  /**
   * Where an event's data goes as it arrives (asked with its event name, when that came first):
   * a reader that decodes its image, or undefined for a partial image that will not be taken.
   */
  open = (event: string | undefined): JsonImagesReader | undefined => {
    if (event?.endsWith(".completed") && this.finals.length >= this.n) throw this.tooManyFinals();
    if (event?.endsWith(".partial_image") && this.partialsRead >= this.n * this.partialImages) return undefined;
    return new JsonImagesReader();
  };

  handle(event: SseEvent<JsonImagesReader>): void {
    if (event.skipped) return this.drop();
    const reader = event.data ?? new JsonImagesReader();
    const data = reader.head.trim();
    if (data === "" || data === "[DONE]") {
      if (event.event === "error") throw this.failure(undefined);
      return;
    }
    // the key filter on the whole text first, then the cut: a cut key would no longer be recognised
    const unusable = (what: string) =>
      new ImagesApiError("api_error", `the image stream sent an event that is ${what} (${this.redact(data).slice(0, 60)}…)`, {
        retryable: false,
      });
    let payload: Record<string, unknown>;
    try {
      payload = reader.end().json as Record<string, unknown>;
    } catch (err) {
      if (err instanceof RangeError)
        throw new ImagesApiError("api_error", `the image stream sent an event that is refused: ${err.message}`, { retryable: false });
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
      throw new ImagesApiError("stream_incomplete", `the image stream ended after ${this.finals.length} of ${expected} finished images`, {
        ...details,
        retryable: true,
      });
    }
    return { images: this.finals, usage: this.usage, requestId: details.requestId, attempts: details.attempts };
  }

  /** the image of an event: decoded by the reader (a string only if another reader made the payload) */
  private image(payload: Record<string, unknown>): Buffer {
    const b64 = payload.b64_json;
    const data = Buffer.isBuffer(b64) ? b64 : typeof b64 === "string" ? Buffer.from(b64, "base64") : undefined;
    if (!data?.length) {
      throw new ImagesApiError("api_error", `a ${String(payload.type)} event carried no image data`, { retryable: false });
    }
    return data;
  }

  private partial(payload: Record<string, unknown>): void {
    this.partialsRead++;
    const index = Number(payload.partial_image_index ?? 0);
    if (this.lastPartialIndex === undefined || index <= this.lastPartialIndex) this.imagesStarted++;
    this.lastPartialIndex = index;
    const imageIndex = this.imagesStarted - 1;
    const taken = this.partialsTaken.get(imageIndex) ?? 0;
    if (imageIndex >= this.n || taken >= this.partialImages) return this.drop();
    this.partialsTaken.set(imageIndex, taken + 1);
    this.onPartial({ data: this.image(payload), partialIndex: index, imageIndex });
  }

  /** a partial image beyond what was asked for: not handed on; said once */
  private drop(): void {
    if (this.warned) return;
    this.warned = true;
    const each = this.n > 1 && this.n !== Infinity ? ` for each of n = ${this.n} images` : "";
    this.limits.onWarning?.(
      `the image stream sent more partial images than partial_images = ${this.partialImages} asked for${each}; the extra ones are dropped`,
    );
  }

  private tooManyFinals(): ImagesApiError {
    return new ImagesApiError(
      "api_error",
      `the image stream sent more finished images than n = ${this.n} asked for; the answer is refused`,
      {
        retryable: false,
      },
    );
  }

  private completed(payload: Record<string, unknown>): void {
    if (this.finals.length >= this.n) throw this.tooManyFinals();
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
