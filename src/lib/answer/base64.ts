/**
 * Base64 decoding from bytes to bytes, a piece at a time: the text of a b64_json value is decoded as
 * it arrives in the socket's chunks without ever becoming a JavaScript string. Node can decode base64
 * only from a string, and every such string is young-generation garbage: an answer's worth of it
 * (4/3 of its images) is committed memory until the next scavenge, which for one 10 MB GIF comes after
 * the whole answer (bench/README.md, section 7).
 *
 * It reads what Node's decoder reads: both alphabets (+/ and -_), characters outside them skipped
 * (line breaks in wrapped base64), and the first "=" ending the data.
 */

/** a character's 6 bits at each of the four places of a 24-bit group; INVALID for anything else */
const INVALID = 0x1000000;
const PLACES = [18, 12, 6, 0].map(() => new Int32Array(256).fill(INVALID));
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
for (let value = 0; value < 64; value++) {
  const codes = value === 62 ? [0x2b, 0x2d] : value === 63 ? [0x2f, 0x5f] : [ALPHABET.charCodeAt(value)];
  for (const code of codes) PLACES.forEach((table, place) => (table[code] = value << (18 - 6 * place)));
}
const [P0, P1, P2, P3] = PLACES;
const EQUALS = 0x3d;

export class Base64Decoder {
  /** bits of an unfinished group (up to three characters) */
  private bits = 0;
  private count = 0;
  /** after "=": the rest of the text carries nothing */
  private ended = false;

  /** The most bytes that `write` of `length` more characters (and `end`) can produce. */
  room(length: number): number {
    return Math.floor(((this.count + length) * 3) / 4);
  }

  /** Decodes src[from, to) into dst from `at` (which must have `room(to - from)` bytes); returns the new end in dst. */
  write(src: Uint8Array, from: number, to: number, dst: Uint8Array, at: number): number {
    let i = from;
    let o = at;
    if (this.ended) return o;
    const last = to - 4;
    while (i < to) {
      // whole groups of four, while nothing is pending and every character is plain base64
      if (this.count === 0) {
        while (i <= last) {
          const v = P0[src[i]] | P1[src[i + 1]] | P2[src[i + 2]] | P3[src[i + 3]];
          if (v & INVALID) break;
          dst[o] = v >> 16;
          dst[o + 1] = v >> 8;
          dst[o + 2] = v;
          i += 4;
          o += 3;
        }
        if (i >= to) break;
      }
      // one character: a group cut at a piece's edge, a character to skip, or "="
      const code = src[i++];
      const v = P3[code];
      if (v === INVALID) {
        if (code === EQUALS) {
          this.ended = true;
          break;
        }
        continue;
      }
      this.bits = (this.bits << 6) | v;
      if (++this.count === 4) {
        dst[o] = this.bits >> 16;
        dst[o + 1] = this.bits >> 8;
        dst[o + 2] = this.bits;
        o += 3;
        this.bits = 0;
        this.count = 0;
      }
    }
    return o;
  }

  /** Writes what an unfinished last group holds (0 to 2 bytes) and starts afresh; returns the new end in dst. */
  end(dst: Uint8Array, at: number): number {
    let o = at;
    if (this.count === 2) dst[o++] = this.bits >> 4;
    else if (this.count === 3) {
      dst[o] = this.bits >> 10;
      dst[o + 1] = this.bits >> 2;
      o += 2;
    }
    this.bits = 0;
    this.count = 0;
    this.ended = false;
    return o;
  }
}
