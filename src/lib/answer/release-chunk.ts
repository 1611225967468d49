/**
 * Handing a response chunk's memory back as soon as the reader is done with it (answers, batch files).
 */

/** the socket chunks worth handing back: never a view of Node's shared 8 KiB pool (views of up to 4 KiB) */
const RELEASE_MIN_BYTES = 4096 + 1;
const canRelease = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === "function"; // Node >= 21

/**
 * Frees the memory of a response chunk the reader is done with, now instead of at the next garbage
 * collection. A large answer arrives in hundreds of 16–64 KiB chunks; each is its own ArrayBuffer,
 * freed only when V8 collects its small wrapper, and the base64 decoder makes no garbage that would
 * make V8 collect: without this, an answer's chunks pile up (4/3 of its images) until V8's
 * external-memory limit (bench/README.md, section 7). Only a chunk that is the whole of its
 * ArrayBuffer is released (undici hands out views of the socket's reads: one that covers all of it
 * shares it with nothing), and only after undici's parser has returned (a microtask), since it
 * may still be reading the socket's bytes when it hands the chunk over. Node 20 has no
 * ArrayBuffer.prototype.transfer: there the collector frees them, as before.
 */
export function releaseChunk(chunk: Buffer): void {
  const buffer = chunk.buffer as ArrayBuffer & { transfer(length: number): ArrayBuffer; readonly detached: boolean };
  if (!canRelease || chunk.byteOffset !== 0 || chunk.length !== buffer.byteLength || buffer.byteLength < RELEASE_MIN_BYTES) return;
  queueMicrotask(() => {
    if (!buffer.detached) buffer.transfer(0); // detaches it: its memory is freed at once
  });
}
