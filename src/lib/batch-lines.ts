/**
 * The request lines of a batch input file (JSONL: custom_id, method, url, body) and how a queue of them
 * is cut into files within the Batch API's limits. Edit requests become JSON edit bodies, their images
 * data URLs (the JSON form of /images/edits takes `images: [{image_url}]`).
 */
import { formatBytes, ImagesApiError } from "./errors";
import type { ImageFile } from "./image-input";
import type { Operation } from "./models";
import type { Params } from "./params";
import { BATCH_ENDPOINTS } from "./batch-api";

export const BATCH_LIMITS = {
  /** requests per input file */
  maxLines: 50_000,
  /** bytes per input file */
  maxBytes: 200 * 1024 * 1024,
  /** characters of one image_url (a data URL) in a JSON edit */
  maxImageUrl: 20_971_520,
} as const;

export interface BatchLineIn {
  customId: string;
  /** the JSONL line, newline included */
  line: Buffer;
}

/** One request as a JSONL line of an input file. */
export function requestLine(customId: string, op: Operation, body: Params): BatchLineIn {
  const line = Buffer.from(`${JSON.stringify({ custom_id: customId, method: "POST", url: BATCH_ENDPOINTS[op], body })}\n`, "utf8");
  if (line.length > BATCH_LIMITS.maxBytes) {
    throw new ImagesApiError(
      "invalid_params",
      `this request is ${formatBytes(line.length)} as a batch line; a batch input file takes at most ${formatBytes(BATCH_LIMITS.maxBytes)}: use the delivery "now" for it`,
      { parameter: "delivery" },
    );
  }
  return { customId, line };
}

function dataUrl(file: ImageFile, where: string): string {
  const url = `data:${file.info.mime};base64,${file.data.toString("base64")}`;
  if (url.length > BATCH_LIMITS.maxImageUrl) {
    throw new ImagesApiError(
      "image_too_large",
      `${where} is ${formatBytes(file.data.length)}: as a data URL it is ${url.length} characters, more than the ${BATCH_LIMITS.maxImageUrl} a batch edit takes; use a smaller image or the delivery "now"`,
      { parameter: where },
    );
  }
  return url;
}

/** The JSON body of an edit request for a batch line: the parameters, and the images as data URLs. */
export function jsonEditBody(params: Params, images: ImageFile[], mask?: ImageFile, markup?: ImageFile): Params {
  const body: Params = { ...params, images: images.map((f, i) => ({ image_url: dataUrl(f, images.length > 1 ? `image ${i + 1}` : "image") })) };
  if (mask) body.mask = { image_url: dataUrl(mask, "mask") };
  if (markup) body.markup = { image_url: dataUrl(markup, "markup") };
  return body;
}

/** Cuts lines into input files of at most maxLines lines and maxBytes bytes, in order. */
export function inputFiles(lines: BatchLineIn[], limits: { maxLines: number; maxBytes: number } = BATCH_LIMITS): BatchLineIn[][] {
  const files: BatchLineIn[][] = [];
  let current: BatchLineIn[] = [];
  let bytes = 0;
  for (const l of lines) {
    if (current.length && (current.length >= limits.maxLines || bytes + l.line.length > limits.maxBytes)) {
      files.push(current);
      current = [];
      bytes = 0;
    }
    current.push(l);
    bytes += l.line.length;
  }
  if (current.length) files.push(current);
  return files;
}
