/**
 * The request lines of a batch input file (JSONL: custom_id, method, url, body) and how a queue of them
 * is cut into files within the Batch API's limits. Edit requests become JSON edit bodies (the JSON form of
 * /images/edits takes `images: [{image_url}]` or `[{file_id}]`): small images as data URLs, larger ones
 * uploaded first (Files API, purpose "vision") and named by their file id.
 */
import { formatBytes, ImagesApiError } from "../errors";
import type { ImageFile } from "../check/image-input";
import type { Operation } from "../models/table";
import type { Params } from "../check/params";
import { BATCH_ENDPOINTS } from "./api";

export const BATCH_LIMITS = {
  /** requests per input file */
  maxLines: 50_000,
  /** bytes per input file */
  maxBytes: 200 * 1024 * 1024,
  /**
   * images up to this size go inline as data URLs (no extra request, nothing left on the server); larger
   * ones are uploaded: as base64 they would grow the input file by a third and wait in memory in the queue,
   * and beyond 15 MB they pass the 20,971,520 characters the API takes in one image_url
   */
  inlineImageBytes: 4 * 1024 * 1024,
} as const;

/** Uploads an edit's image (purpose "vision"); its file id. `where` names it: "image", "image 2", "mask" … */
export type UploadImage = (file: ImageFile, where: string) => Promise<string>;

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

/** How one image of a batch edit is named in its line: a data URL when small, else its uploaded file id. */
async function imageRef(file: ImageFile, where: string, upload: UploadImage): Promise<{ image_url: string } | { file_id: string }> {
  if (file.data.length <= BATCH_LIMITS.inlineImageBytes)
    return { image_url: `data:${file.info.mime};base64,${file.data.toString("base64")}` };
  return { file_id: await upload(file, where) };
}

/** The JSON body of an edit request for a batch line: the parameters, and the images (data URLs or file ids). */
export async function jsonEditBody(
  params: Params,
  images: ImageFile[],
  upload: UploadImage,
  mask?: ImageFile,
  markup?: ImageFile,
): Promise<Params> {
  const body: Params = { ...params, images: [] };
  // one at a time: uploads in order, and a failed one stops the rest
  for (const [i, f] of images.entries())
    (body.images as unknown[]).push(await imageRef(f, images.length > 1 ? `image ${i + 1}` : "image", upload));
  if (mask) body.mask = await imageRef(mask, "mask", upload);
  if (markup) body.markup = await imageRef(markup, "markup", upload);
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
