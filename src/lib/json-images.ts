/**
 * Reads an ImagesResponse JSON body as it streams in, decoding every "b64_json" string straight
 * into bytes instead of holding the base64 text: the answer never exists as one big string, so
 * n large images cost little more than their decoded bytes. Everything else in the body is kept
 * as a small JSON "skeleton" (the b64_json values replaced by an index) and parsed at the end.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const KEY = "b64_json";

type State =
  | "out" // between tokens
  | "string" // inside a string that is not a b64_json value
  | "escape" // after a backslash inside such a string
  | "afterKey" // after the string "b64_json": waiting for ':'
  | "beforeValue" // after "b64_json": waiting for the opening quote
  | "b64" // inside a b64_json value
  | "b64escape"; // after a backslash inside it (JSON may write "/" as "\/")

export class JsonImagesReader {
  private state: State = "out";
  private skeleton: Buffer[] = [];
  private skeletonBytes = 0;
  /** the current string's first bytes, to recognise the key "b64_json" */
  private key = "";
  private keyTooLong = false;
  private readonly images: Buffer[] = [];
  /** the first bytes of the body, to describe an answer that is not JSON */
  head = "";
  private decoded: Buffer[] = [];
  private decodedBytes = 0;
  /** base64 characters not yet decoded (fewer than 4, or an escaped run) */
  private carry = "";

  /**
   * With the body's length known (content-length), all images are decoded into one block of at most
   * 3/4 of it and each image is a view of that block: no piece is copied twice and no garbage is left.
   */
  private arena: Buffer | undefined;
  private arenaUsed = 0;
  private imageStart = 0;

  constructor(
    private readonly maxSkeletonBytes = 16 * 1024 * 1024,
    expectedBodyBytes?: number,
  ) {
    if (expectedBodyBytes && expectedBodyBytes > 64 * 1024) this.arena = Buffer.allocUnsafe(Math.ceil((expectedBodyBytes * 3) / 4));
  }

  push(chunk: Buffer): void {
    if (this.head.length < 200) this.head += chunk.toString("utf8", 0, Math.min(chunk.length, 200));
    let i = 0;
    let copyFrom = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.state) {
        case "out": {
          const q = chunk.indexOf(QUOTE, i);
          if (q === -1) {
            i = n;
            break;
          }
          this.state = "string";
          this.key = "";
          this.keyTooLong = false;
          i = q + 1;
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
          const b = chunk[i++];
          if (b === COLON) this.state = "beforeValue";
          else if (!isSpace(b)) this.state = "out";
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
          this.decode(chunk.toString("latin1", i, stop));
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
          // "\/" is "/"; "\n", "\r" (line-wrapped base64) carry nothing
          if (b === 0x2f) this.decode("/");
          this.state = "b64";
          copyFrom = i;
          break;
        }
      }
    }
    if (this.state !== "b64" && this.state !== "b64escape") this.copy(chunk, copyFrom, n);
  }

  /** The parsed answer with every b64_json value replaced by its decoded bytes. */
  end(): { json: unknown; images: Buffer[] } {
    if (this.state === "b64" || this.state === "b64escape") throw new SyntaxError("the answer ends inside an image's base64 text");
    const text = Buffer.concat(this.skeleton, this.skeletonBytes).toString("utf8");
    const json = JSON.parse(text) as unknown;
    const images = this.images;
    const replace = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(replace);
      else if (value && typeof value === "object") {
        const o = value as Record<string, unknown>;
        for (const k of Object.keys(o)) {
          if (k === KEY && typeof o[k] === "string" && /^#\d+$/.test(o[k] as string)) o[k] = images[Number((o[k] as string).slice(1))];
          else replace(o[k]);
        }
      }
    };
    replace(json);
    return { json, images };
  }

  private copy(chunk: Buffer, from = 0, to = chunk.length): void {
    if (to <= from) return;
    this.skeletonBytes += to - from;
    if (this.skeletonBytes > this.maxSkeletonBytes) {
      throw new RangeError(`the answer has more than ${this.maxSkeletonBytes} bytes besides its images`);
    }
    // a copy: a view would keep the whole (mostly base64) chunk alive
    this.skeleton.push(Buffer.from(chunk.subarray(from, to)));
  }

  private decode(text: string): void {
    if (text.length === 0) return;
    const all = this.carry + text;
    const whole = all.length - (all.length % 4);
    this.carry = all.slice(whole);
    if (whole === 0) return;
    this.store(all.slice(0, whole));
  }

  /** Decodes whole base64 quads into the arena while it has room, else into a piece of their own. */
  private store(quads: string): void {
    const size = (quads.length / 4) * 3;
    if (this.arena && this.decoded.length === 0 && this.arenaUsed + size <= this.arena.length) {
      this.arenaUsed += this.arena.write(quads, this.arenaUsed, "base64");
      return;
    }
    const bytes = Buffer.from(quads, "base64");
    this.decoded.push(bytes);
    this.decodedBytes += bytes.length;
  }

  private finishImage(): void {
    if (this.carry.length > 0) {
      this.store(this.carry);
      this.carry = "";
    }
    if (this.arena && this.decoded.length === 0) {
      this.images.push(this.arena.subarray(this.imageStart, this.arenaUsed));
    } else {
      // no arena, or it ran out mid-image: the pieces are joined (the arena part first)
      const head = this.arena ? [this.arena.subarray(this.imageStart, this.arenaUsed)] : [];
      const parts = [...head, ...this.decoded];
      const size = parts.reduce((n, b) => n + b.length, 0);
      this.images.push(parts.length === 1 ? parts[0] : Buffer.concat(parts, size));
      if (this.arena) this.arena = undefined; // full: the rest goes piecewise
    }
    this.decoded = [];
    this.decodedBytes = 0;
    this.imageStart = this.arenaUsed;
  }
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}
