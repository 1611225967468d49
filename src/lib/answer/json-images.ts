/**
 * Reads an ImagesResponse JSON body as it streams in, decoding every "b64_json" string straight
 * into bytes instead of holding the base64 text: the answer never exists as one big string, so
 * n large images cost little more than their decoded bytes. Everything else in the body is kept
 * as a small JSON "skeleton" (the b64_json values replaced by an index) and parsed at the end.
 *
 * Small answers (up to 64 KiB, a thumbnail or an error-shaped 200) are simply kept and parsed whole
 * at the end: scanning byte by byte costs more than it saves there. An answer that grows past that
 * is scanned from its first byte on, so the memory bound holds for every size.
 */

import { Base64Decoder } from "./base64";
import { formatBytes } from "../errors";
import { releaseChunk } from "./release-chunk";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const KEY = "b64_json";
/** an Images API answer is nested 4 deep; deeper than this is refused (JSON.parse and the walk below would not cope with 100,000) */
export const MAX_DEPTH = 64;
/**
 * what an answer may hold besides its images: an Images API answer has a few kB (revised prompts, usage);
 * parsing 2 MiB of JSON takes 20–40 ms, during which nothing else runs
 */
export const MAX_SKELETON_BYTES = 2 * 1024 * 1024;
/** how much of the body's start is kept to describe an answer that is not JSON (long enough to hold a whole key, for the key filter) */
const HEAD_BYTES = 1024;
/** answers up to this many bytes are parsed whole (JSON.parse + one Buffer.from per image) */
export const WHOLE_ANSWER_MAX = 64 * 1024;

type State =
  | "out" // between tokens
  | "string" // inside a string that is not a b64_json value
  | "escape" // after a backslash inside such a string
  | "afterKey" // after the string "b64_json": waiting for ':'
  | "beforeValue" // after "b64_json": waiting for the opening quote
  | "b64" // inside a b64_json value
  | "b64escape" // after a backslash inside it (JSON may write "/" as "\/")
  | "b64unicode"; // inside a \uXXXX escape in it (some JSON writers escape "+" as "\u002B")

export class JsonImagesReader {
  private state: State = "out";
  private skeleton: Buffer[] = [];
  private skeletonBytes = 0;
  /** the current string's first bytes, to recognise the key "b64_json" */
  private key = "";
  private keyTooLong = false;
  private readonly images: Buffer[] = [];
  /** the first bytes of the body (a copy), to describe an answer that is not JSON */
  private headBytes: Buffer[] = [];
  private headLength = 0;
  /** the current image's bytes that did not fit the arena, in order: views of `blocks` */
  private decoded: Buffer[] = [];
  /** the blocks those were decoded into (each its own memory: freed as soon as they are joined) */
  private blocks: Buffer[] = [];
  private readonly base64 = new Base64Decoder();
  /** the hex digits of a \uXXXX escape read so far */
  private hex = "";
  /** how deep the scanner is in objects and arrays */
  private depth = 0;
  /** the decoded bytes of the current image so far */
  private imageBytes = 0;

  /**
   * With the body's length known (content-length), all images are decoded into one block of at most
   * 3/4 of it and each image is a view of that block: no piece is copied twice and no garbage is left.
   */
  private arena: Buffer | undefined;
  private arenaUsed = 0;
  private imageStart = 0;

  /** the chunks of an answer that is still small enough to be parsed whole; undefined once scanning */
  private held: Buffer[] | undefined = [];
  private heldBytes = 0;
  private readonly wholeMax: number;

  /**
   * @param maxSkeletonBytes refuse an answer with more than this besides its images (RangeError)
   * @param expectedBodyBytes the content-length, when known
   * @param wholeMax answers up to this size are parsed whole (0: always scan)
   * @param maxImageBytes refuse an image that decodes to more than this (RangeError)
   */
  constructor(
    private readonly maxSkeletonBytes = MAX_SKELETON_BYTES,
    expectedBodyBytes?: number,
    wholeMax = WHOLE_ANSWER_MAX,
    private readonly maxImageBytes = Infinity,
  ) {
    this.wholeMax = Math.min(wholeMax, maxSkeletonBytes);
    if (this.wholeMax <= 0) this.held = undefined;
    if (expectedBodyBytes && expectedBodyBytes > this.wholeMax) {
      this.held = undefined;
      if (expectedBodyBytes > WHOLE_ANSWER_MAX) this.arena = Buffer.allocUnsafe(Math.ceil((expectedBodyBytes * 3) / 4));
    }
  }

  /** true while the answer is small enough to be parsed whole: the chunks pushed so far are kept (not copied) */
  get holdsChunks(): boolean {
    return this.held !== undefined;
  }

  push(chunk: Buffer): void {
    if (this.headLength < HEAD_BYTES) {
      const part = Buffer.from(chunk.subarray(0, HEAD_BYTES - this.headLength));
      this.headBytes.push(part);
      this.headLength += part.length;
    }
    if (this.held) {
      if (this.heldBytes + chunk.length <= this.wholeMax) {
        this.held.push(chunk);
        this.heldBytes += chunk.length;
        return;
      }
      // too big to hold: scan what came so far, and everything after it
      const held = this.held;
      this.held = undefined;
      for (const c of held) this.scan(c);
    }
    this.scan(chunk);
  }

  private scan(chunk: Buffer): void {
    let i = 0;
    let copyFrom = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.state) {
        case "out": {
          // between tokens: the brackets count for the depth (these bytes all go to the skeleton, which is small)
          const b = chunk[i++];
          if (b === QUOTE) {
            this.state = "string";
            this.key = "";
            this.keyTooLong = false;
          } else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
            if (++this.depth > MAX_DEPTH) throw tooDeep();
          } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) this.depth--;
          break;
        }
        case "string": {
          const b = chunk[i++];
          if (b === BACKSLASH) {
            this.state = "escape";
            this.keyTooLong = true;
          } else if (b === QUOTE) {
            this.state = !this.keyTooLong && this.key === KEY ? "afterKey" : "out";
          } else if (!this.keyTooLong) {
            this.key += String.fromCharCode(b);
            if (this.key.length > KEY.length) this.keyTooLong = true;
          }
          break;
        }
        case "escape":
          i++;
          this.state = "string";
          break;
        case "afterKey": {
          const b = chunk[i];
          if (b === COLON) this.state = "beforeValue";
          else if (!isSpace(b)) {
            this.state = "out"; // "b64_json" was a value, not a key: this byte is read again there
            break;
          }
          i++;
          break;
        }
        case "beforeValue": {
          const b = chunk[i];
          if (b === QUOTE) {
            // keep the opening quote in the skeleton, then the image's index instead of its text
            this.copy(chunk, copyFrom, i + 1);
            this.copy(Buffer.from(`#${this.images.length}`));
            this.state = "b64";
            i++;
            copyFrom = i;
          } else if (isSpace(b)) {
            i++;
          } else {
            this.state = "out"; // not a string value (null …): leave it to JSON.parse
          }
          break;
        }
        case "b64": {
          const q = chunk.indexOf(QUOTE, i);
          const end = q === -1 ? n : q;
          const slash = chunk.indexOf(BACKSLASH, i);
          const stop = slash !== -1 && slash < end ? slash : end;
          this.decode(chunk, i, stop);
          if (stop === slash && slash < end) {
            this.state = "b64escape";
            i = slash + 1;
          } else if (q === -1) {
            i = n;
          } else {
            this.finishImage();
            this.state = "out";
            i = q + 1; // past the closing quote, which the skeleton keeps (copyFrom)
            copyFrom = q;
            break;
          }
          copyFrom = i;
          break;
        }
        case "b64escape": {
          const b = chunk[i++];
          // "\/" is "/"; "\uXXXX" any character; "\n", "\r" (line-wrapped base64) carry nothing
          if (b === 0x2f) this.decodeOne(0x2f);
          if (b === 0x75) {
            this.state = "b64unicode";
            this.hex = "";
          } else this.state = "b64";
          copyFrom = i;
          break;
        }
        case "b64unicode": {
          this.hex += String.fromCharCode(chunk[i++]);
          if (this.hex.length === 4) {
            // a base64 character counts; anything else (an escaped line break …) carries nothing
            const code = parseInt(this.hex, 16);
            if (code < 0x80) this.decodeOne(code);
            this.state = "b64";
          }
          copyFrom = i;
          break;
        }
      }
    }
    if (this.state !== "b64" && this.state !== "b64escape" && this.state !== "b64unicode") this.copy(chunk, copyFrom, n);
  }

  /** The start of the body as text, for an error message about an answer that is not JSON. */
  get head(): string {
    return Buffer.concat(this.headBytes, this.headLength).toString("utf8");
  }

  /** The parsed answer with every b64_json value replaced by its decoded bytes. */
  end(): { json: unknown; images: Buffer[] } {
    if (this.held) {
      // a small answer: parsed whole, each b64_json decoded in document order
      const body = this.held.length === 1 ? this.held[0] : Buffer.concat(this.held, this.heldBytes);
      if (nestedDeeperThan(body, MAX_DEPTH)) throw tooDeep();
      const json = JSON.parse(body.toString("utf8")) as unknown;
      const images: Buffer[] = [];
      replaceImages(json, (b64) => {
        const bytes = Buffer.from(b64, "base64");
        if (bytes.length > this.maxImageBytes) throw this.tooLarge(images.length);
        images.push(bytes);
        return bytes;
      });
      return { json, images };
    }
    if (this.state === "b64" || this.state === "b64escape" || this.state === "b64unicode")
      throw new SyntaxError("the answer ends inside an image's base64 text");
    const text = Buffer.concat(this.skeleton, this.skeletonBytes).toString("utf8");
    const json = JSON.parse(text) as unknown;
    const images = this.images;
    // the scanner left "#<index>" where each image was
    replaceImages(json, (placeholder) => (/^#\d+$/.test(placeholder) ? images[Number(placeholder.slice(1))] : placeholder));
    return { json, images };
  }

  private copy(chunk: Buffer, from = 0, to = chunk.length): void {
    if (to <= from) return;
    this.skeletonBytes += to - from;
    if (this.skeletonBytes > this.maxSkeletonBytes) {
      throw new RangeError(
        `the answer holds more than ${formatBytes(this.maxSkeletonBytes)} besides its images; more than an Images API answer ever has, so it is refused`,
      );
    }
    // a copy: a view would keep the whole (mostly base64) chunk alive
    this.skeleton.push(Buffer.from(chunk.subarray(from, to)));
  }

  /**
   * Decodes base64 text, src[from, to), into the arena while it has room, else into a piece of its own;
   * `to` undefined: what the image's last, unfinished group holds. (src is always a Buffer: one kind
   * of array keeps the decoder's loop fast.)
   */
  private decode(src: Buffer, from: number, to?: number): void {
    const room = this.base64.room(to === undefined ? 0 : to - from);
    const inArena = this.arena !== undefined && this.decoded.length === 0 && this.arenaUsed + room <= this.arena.length;
    // room 0: a group's first characters, kept in the decoder
    const dst = inArena ? (this.arena as Buffer) : room === 0 ? NO_BYTES : Buffer.allocUnsafeSlow(room);
    const at = inArena ? this.arenaUsed : 0;
    const end = to === undefined ? this.base64.end(dst, at) : this.base64.write(src, from, to, dst, at);
    this.imageBytes += end - at;
    if (this.imageBytes > this.maxImageBytes) throw this.tooLarge(this.images.length);
    if (inArena) this.arenaUsed = end;
    else if (end > 0) {
      this.decoded.push(dst.subarray(0, end));
      this.blocks.push(dst);
    }
  }

  /** one character of an escape ("\/", "\uXXXX") */
  private decodeOne(code: number): void {
    ONE[0] = code;
    this.decode(ONE, 0, 1);
  }

  private finishImage(): void {
    this.decode(NO_BYTES, 0); // what the last, unfinished group holds
    if (this.arena && this.decoded.length === 0) {
      this.images.push(this.arena.subarray(this.imageStart, this.arenaUsed));
    } else {
      // no arena, or it ran out mid-image: the pieces are joined (the arena part first)
      const head = this.arena ? [this.arena.subarray(this.imageStart, this.arenaUsed)] : [];
      const parts = [...head, ...this.decoded];
      if (parts.length === 1) this.images.push(parts[0]);
      else {
        this.images.push(Buffer.concat(parts));
        // joined: the blocks' memory goes now, not at the next collection (nothing else refers to them)
        for (const block of this.blocks) releaseChunk(block);
      }
      this.arena = undefined; // full (or none): the rest goes piecewise
    }
    this.decoded = [];
    this.blocks = [];
    this.imageStart = this.arenaUsed;
    this.imageBytes = 0;
  }

  private tooLarge(index: number): RangeError {
    return new RangeError(
      `image ${index + 1} of the answer is larger than ${formatBytes(this.maxImageBytes)}, the largest image this client takes; it is refused`,
    );
  }
}

function tooDeep(): RangeError {
  return new RangeError(`the answer is nested deeper than ${MAX_DEPTH} levels; an Images API answer never is, so it is refused`);
}

/** Whether JSON text opens more than `max` objects and arrays inside each other (brackets in strings do not count). */
function nestedDeeperThan(text: Buffer, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const b = text[i];
    if (b === QUOTE) {
      // to the closing quote: one not preceded by an odd number of backslashes
      for (;;) {
        const q = text.indexOf(QUOTE, i + 1);
        if (q === -1) return false; // unterminated: JSON.parse says so
        let slashes = 0;
        while (text[q - 1 - slashes] === BACKSLASH) slashes++;
        i = q;
        if (slashes % 2 === 0) break;
      }
    } else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
      if (++depth > max) return true;
    } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) depth--;
  }
  return false;
}

/** Replaces every string value of a "b64_json" key, anywhere in the parsed answer, by what `by` makes of it. */
function replaceImages(value: unknown, by: (text: string) => unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) replaceImages(item, by);
  } else if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (k === KEY && typeof v === "string") o[k] = by(v);
      else replaceImages(v, by);
    }
  }
}

const ONE = Buffer.alloc(1);
const NO_BYTES = Buffer.alloc(0);

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}
