/**
 * Reads an Images API answer (ImagesResponse JSON) into images: bytes where the API sent
 * base64, URLs where it sent links. Refuses answers that are not a usable result.
 */
import { httpError, readErrorBody, type Refusals } from "../http/http-errors";
import type { ApiAnswer } from "../http/client";
import { ImagesApiError } from "../errors";

export interface ProducedImage {
  data?: Buffer;
  url?: string;
  revisedPrompt?: string;
}

export interface ImagesResult {
  images: ProducedImage[];
  /** the API's usage object, unchanged */
  usage?: unknown;
  /** the API's svg_usage object (the SVG author model's tokens, SVG output only), unchanged */
  svgUsage?: unknown;
  /** the answer's top-level output_format (png, jpeg, webp, gif, svg), lower case; names the type of bytes that cannot be sniffed */
  outputFormat?: string;
  requestId?: string;
  attempts: number;
}

/** What a provider profile adds to reading an answer: its answer shape made OpenAI's, and its words for a refusal. */
export interface AnswerShape {
  answer?(json: Record<string, unknown>): Record<string, unknown>;
  refusals?: Refusals;
}

export function readAnswer(answer: ApiAnswer, redact: (s: string) => string, shape: AnswerShape = {}): ImagesResult {
  const details = { statusCode: answer.status, requestId: answer.requestId, attempts: answer.attempts, retryable: false };
  let json: unknown;
  try {
    json = answer.reader.end().json;
  } catch (err) {
    // the reader's own refusals (nested too deep, too much besides the images, an image too large) say what happened
    if (err instanceof RangeError) throw new ImagesApiError("api_error", err.message, details);
    const what = answer.size === 0 ? "an empty body" : `${answer.size} bytes of ${answer.contentType || "unknown content"}`;
    // the key filter on the whole head first, then the cut: a cut key would no longer be recognised
    const start = redact(answer.reader.head).trim().slice(0, 60);
    throw new ImagesApiError(
      "api_error",
      `the Images API answered with ${what} instead of JSON${start ? ` (${JSON.stringify(start)}…)` : ""}`,
      details,
    );
  }
  return imagesFromBody(json, answer.status, details, redact, shape);
}

/**
 * The images of a parsed ImagesResponse (b64_json already decoded to Buffers, or still base64 text):
 * from a direct answer, or from one line of a batch's output file.
 */
export function imagesFromBody(
  json: unknown,
  status: number,
  details: { statusCode?: number; requestId?: string; attempts: number; retryable?: boolean },
  redact: (s: string) => string,
  shape: AnswerShape = {},
): ImagesResult {
  if (!json || typeof json !== "object") {
    throw new ImagesApiError("api_error", "the Images API answered with JSON that is not an object", details);
  }
  const raw = json as Record<string, unknown>;
  const body = (shape.answer ? shape.answer(raw) : raw) as {
    data?: unknown;
    usage?: unknown;
    svg_usage?: unknown;
    output_format?: unknown;
    error?: unknown;
  };
  // Azure and some gateways report refusals with HTTP 200 and an error body.
  if (body.error) throw httpError(status, readErrorBody(body), details, redact, undefined, shape.refusals);
  if (!Array.isArray(body.data) || body.data.length === 0) {
    throw new ImagesApiError("api_error", "the Images API answered without any image (empty data)", details);
  }
  const images = body.data.map((item: unknown, i: number): ProducedImage => {
    const d = (item ?? {}) as { b64_json?: unknown; url?: unknown; revised_prompt?: unknown };
    const image: ProducedImage = {};
    // b64_json arrives decoded (JsonImagesReader); a plain string only from other readers
    if (Buffer.isBuffer(d.b64_json) && d.b64_json.length > 0) image.data = d.b64_json;
    else if (typeof d.b64_json === "string" && d.b64_json.length > 0) image.data = Buffer.from(d.b64_json, "base64");
    // texts that leave the node pass the key filter too: a gateway might echo the request
    if (typeof d.url === "string" && d.url.length > 0) image.url = redact(d.url);
    if (typeof d.revised_prompt === "string") image.revisedPrompt = redact(d.revised_prompt);
    if (!image.data?.length && !image.url) {
      throw new ImagesApiError("api_error", `image ${i + 1} of the answer has neither data nor a URL`, details);
    }
    return image;
  });
  const result: ImagesResult = { images, usage: body.usage, requestId: details.requestId, attempts: details.attempts };
  if (body.svg_usage !== undefined && body.svg_usage !== null) result.svgUsage = body.svg_usage;
  if (typeof body.output_format === "string" && body.output_format.trim()) result.outputFormat = body.output_format.trim().toLowerCase();
  return result;
}
