/**
 * Reading an HTTP body into memory with a cap: refused (and the rest left unread) once it passes `max` bytes.
 */
import type { Readable } from "node:stream";
import { formatBytes, ImagesApiError } from "../errors";

/**
 * Hands every chunk of a body to `take`, refusing more than `max` bytes; resolves with the size.
 * Plain 'data' events: an async iterator costs a promise and several stream callbacks per chunk.
 */
export function readCapped(
  body: Readable,
  max: number,
  take: (chunk: Buffer) => void,
  tooLarge: () => Error = () =>
    new ImagesApiError("api_error", `the answer is larger than ${formatBytes(max)}; refusing to read it all into memory`),
): Promise<number> {
  return new Promise((resolve, reject) => {
    let size = 0;
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      body.off("data", onData);
      body.destroy();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        fail(tooLarge());
        return;
      }
      try {
        take(chunk);
      } catch (err) {
        fail(err);
      }
    };
    body.on("data", onData);
    body.once("end", () => {
      if (!failed) resolve(size);
    });
    body.once("error", (err) => {
      if (failed) return;
      failed = true;
      reject(err);
    });
  });
}

/** A whole (small) body: error answers, model lists, downloads. */
export async function readAll(body: Readable, max: number, tooLarge?: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const size = await readCapped(body, max, (chunk) => chunks.push(chunk), tooLarge);
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
}
