/**
 * Reads a batch's output or error file (JSONL, possibly hundreds of MB of base64) as it streams in,
 * line by line: each line goes through the answer reader's streaming decode, so a line's images exist
 * only as decoded bytes and only one line is held at a time.
 */
import { JsonImagesReader } from "../answer/json-images";

const NEWLINE = 0x0a;

export interface BatchLine {
  customId: string;
  /** the HTTP status the request got inside the batch */
  statusCode?: number;
  requestId?: string;
  /** the answer's body, b64_json already decoded to Buffers */
  body?: unknown;
  /** set when the request could not be executed at all (expired, cancelled) */
  error?: { code?: string; message?: string };
}

function lineOf(json: unknown, number: number): BatchLine {
  const line = (json ?? {}) as { custom_id?: unknown; response?: unknown; error?: unknown };
  if (typeof line.custom_id !== "string") throw new SyntaxError(`line ${number} of the batch file has no custom_id`);
  const out: BatchLine = { customId: line.custom_id };
  const response = line.response as { status_code?: unknown; request_id?: unknown; body?: unknown } | null | undefined;
  if (response && typeof response === "object") {
    if (typeof response.status_code === "number") out.statusCode = response.status_code;
    if (typeof response.request_id === "string") out.requestId = response.request_id;
    out.body = response.body;
  }
  const error = line.error as { code?: unknown; message?: unknown } | null | undefined;
  if (error && typeof error === "object") {
    out.error = {
      code: typeof error.code === "string" ? error.code : undefined,
      message: typeof error.message === "string" ? error.message : undefined,
    };
  }
  return out;
}

export interface ReadLinesOptions {
  /** what one line may hold besides its images (a RangeError beyond) */
  maxLineBytes?: number;
  /** given each chunk once nothing read from it refers to it any more (releaseChunk, for chunks of an HTTP body) */
  chunkDone?: (chunk: Buffer) => void;
}

/**
 * Reads a batch file to its end, handing each line to `onLine` as soon as it is complete, in file order
 * (blank lines skipped). `onLine` is called synchronously, and once it returns nothing here refers to the
 * line: a line's images are freed as soon as the consumer is done with them, while the next line is read.
 * (An async generator cannot promise that: its suspended frame keeps the line it yielded last, and the
 * consumer's for-await frame keeps it too, so the previous line's images lived through the next line.)
 * An error thrown by `onLine` stops the reading and rejects.
 */
export async function readBatchLines(
  stream: AsyncIterable<Buffer>,
  onLine: (line: BatchLine) => void,
  options: ReadLinesOptions = {},
): Promise<void> {
  const { maxLineBytes = 16 * 1024 * 1024, chunkDone } = options;
  let reader = new JsonImagesReader(maxLineBytes);
  let pending = 0;
  let number = 0;
  // the line is made and handed over in this function's own frame, which is gone when it returns
  const finish = (): void => {
    number++;
    const had = pending;
    const done = reader;
    reader = new JsonImagesReader(maxLineBytes);
    pending = 0;
    if (had === 0) return;
    let json: unknown;
    try {
      json = done.end().json;
    } catch (err) {
      // a line of white space only is blank; anything else that is not JSON is an error
      if (/^\s*$/.test(done.head)) return;
      throw new SyntaxError(`line ${number} of the batch file is not JSON: ${(err as Error).message}`, { cause: err });
    }
    onLine(lineOf(json, number));
  };
  for await (const chunk of stream) {
    let from = 0;
    for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, from)) {
      if (at > from) {
        reader.push(chunk.subarray(from, at));
        pending += at - from;
      }
      from = at + 1;
      finish();
    }
    if (from < chunk.length) {
      reader.push(chunk.subarray(from));
      pending += chunk.length - from;
    }
    // a short line still being read holds views of its chunks (it is parsed whole at its end)
    if (!reader.holdsChunks || pending === 0) chunkDone?.(chunk);
  }
  finish();
}
