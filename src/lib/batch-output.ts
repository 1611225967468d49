/**
 * Reads a batch's output or error file (JSONL, possibly hundreds of MB of base64) as it streams in,
 * line by line: each line goes through the answer reader's streaming decode, so a line's images exist
 * only as decoded bytes and only one line is held at a time.
 */
import { JsonImagesReader } from "./json-images";

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

/**
 * The lines of a batch file, one at a time, in file order. `maxLineBytes` bounds what one line may hold
 * besides its images (a RangeError beyond). Blank lines are skipped. `chunkDone` is given each chunk
 * once nothing read from it refers to it any more (releaseChunk, for chunks of an HTTP body).
 */
export async function* readBatchLines(stream: AsyncIterable<Buffer>, maxLineBytes = 16 * 1024 * 1024, chunkDone?: (chunk: Buffer) => void): AsyncGenerator<BatchLine> {
  let reader = new JsonImagesReader(maxLineBytes);
  let pending = 0;
  let number = 0;
  const finish = (): BatchLine | undefined => {
    number++;
    const had = pending;
    const done = reader;
    reader = new JsonImagesReader(maxLineBytes);
    pending = 0;
    if (had === 0) return undefined;
    let json: unknown;
    try {
      json = done.end().json;
    } catch (err) {
      // a line of white space only is blank; anything else that is not JSON is an error
      if (/^\s*$/.test(done.head)) return undefined;
      throw new SyntaxError(`line ${number} of the batch file is not JSON: ${(err as Error).message}`);
    }
    return lineOf(json, number);
  };
  for await (const chunk of stream) {
    let from = 0;
    for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, from)) {
      if (at > from) {
        reader.push(chunk.subarray(from, at));
        pending += at - from;
      }
      from = at + 1;
      const line = finish();
      if (line) yield line;
    }
    if (from < chunk.length) {
      reader.push(chunk.subarray(from));
      pending += chunk.length - from;
    }
    // a short line still being read holds views of its chunks (it is parsed whole at its end)
    if (!reader.holdsChunks || pending === 0) chunkDone?.(chunk);
  }
  const last = finish();
  if (last) yield last;
}
