/**
 * Real image bytes of any size for the provider emulators, beside ../png.ts (the gradient PNG):
 * - `encodeJpeg`: a baseline JFIF JPEG (SOF0, YCbCr 4:4:4) whose 8×8 blocks are flat colours (DC only), so any size encodes fast;
 * - `encodeWebp`: a lossless WebP (VP8L) of one colour, a few dozen bytes at any size;
 * - `blackPng`: an all-black RGB PNG, what a diffusers-style safety checker hands back;
 * - `sniff` / `imageSize`: the format and pixel size of PNG, JPEG and WebP bytes.
 */
import { deflateSync } from "node:zlib";
import { encodePng, PNG_SIGNATURE, pngChunk, pngSize } from "../png";

export type ImageFormat = "png" | "jpeg" | "webp";
export const MIME: Record<ImageFormat, string> = { png: "image/png", jpeg: "image/jpeg", webp: "image/webp" };

/** Real bytes of `format`, width×height, different for different seeds. */
export function makeImage(format: ImageFormat, width: number, height: number, seed: number): Buffer {
  if (format === "jpeg") return encodeJpeg(width, height, seed);
  if (format === "webp") return encodeWebp(width, height, seed);
  return encodePng(width, height, { seed });
}

export function blackPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const idat = deflateSync(Buffer.alloc(height * (1 + width * 3)), { level: 1 });
  return Buffer.concat([PNG_SIGNATURE, pngChunk("IHDR", ihdr), pngChunk("IDAT", idat), pngChunk("IEND")]);
}

// ---- JPEG ----------------------------------------------------------------------------------------

/** Standard luminance DC table (ITU T.81 Annex K.3): code lengths 1..16, then the categories 0..11. */
const DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_VALUES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
/** An AC table with one symbol, EOB (0x00), coded "0": every block ends right after its DC coefficient. */
const AC_BITS = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const AC_VALUES = [0];

const DC_CODES = (() => {
  const codes: { code: number; length: number }[] = [];
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    for (let i = 0; i < DC_BITS[length - 1]; i++) codes[DC_VALUES[k++]] = { code: code++, length };
    code <<= 1;
  }
  return codes;
})();

class BitWriter {
  private bytes: number[] = [];
  private acc = 0;
  private count = 0;
  write(value: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >> i) & 1);
      if (++this.count === 8) this.flushByte();
    }
  }
  private flushByte(): void {
    this.bytes.push(this.acc);
    if (this.acc === 0xff) this.bytes.push(0x00); // byte stuffing
    this.acc = 0;
    this.count = 0;
  }
  finish(): Buffer {
    if (this.count > 0) this.write(0x7f, 8 - this.count); // pad with 1-bits
    return Buffer.from(this.bytes);
  }
}

function segment(marker: number, data: number[] | Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(data.length + 2, 2);
  return Buffer.concat([head, Buffer.from(data)]);
}

function blockColour(bx: number, by: number, width: number, height: number, seed: number): [number, number, number] {
  const x = Math.min(width - 1, bx * 8 + 4);
  const y = Math.min(height - 1, by * 8 + 4);
  const r = (Math.floor((x * 255) / Math.max(1, width - 1)) + ((seed * 53) & 0xff)) & 0xff;
  const g = Math.floor((y * 255) / Math.max(1, height - 1));
  const b = ((x >> 5) ^ (y >> 5)) & 1 ? (40 + seed * 67) & 0xff : ((40 + seed * 67) & 0xff) ^ 0x60;
  return [0.299 * r + 0.587 * g + 0.114 * b, 128 - 0.168736 * r - 0.331264 * g + 0.5 * b, 128 + 0.5 * r - 0.418688 * g - 0.081312 * b];
}

export function encodeJpeg(width: number, height: number, seed = 0): Buffer {
  checkSide(width, height);
  const jfif = [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const dqt = [0, ...new Array<number>(64).fill(1)]; // table 0, all ones: DC = 8 × (mean − 128)
  const sof = [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0];
  const dht = [0x00, ...DC_BITS, ...DC_VALUES, 0x10, ...AC_BITS, ...AC_VALUES];
  const sos = [3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0];

  const bits = new BitWriter();
  const prev = [0, 0, 0];
  for (let by = 0; by < Math.ceil(height / 8); by++) {
    for (let bx = 0; bx < Math.ceil(width / 8); bx++) {
      const ycc = blockColour(bx, by, width, height, seed);
      for (let c = 0; c < 3; c++) {
        const dc = Math.max(-1024, Math.min(1016, Math.round(8 * (ycc[c] - 128))));
        const diff = dc - prev[c];
        prev[c] = dc;
        const category = diff === 0 ? 0 : Math.floor(Math.log2(Math.abs(diff))) + 1;
        bits.write(DC_CODES[category].code, DC_CODES[category].length);
        if (category > 0) bits.write(diff > 0 ? diff : diff + (1 << category) - 1, category);
        bits.write(0, 1); // EOB
      }
    }
  }
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    segment(0xe0, jfif),
    segment(0xdb, dqt),
    segment(0xc0, sof),
    segment(0xc4, dht),
    segment(0xda, sos),
    bits.finish(),
    Buffer.from([0xff, 0xd9]),
  ]);
}

// ---- WebP (VP8L, one colour) ----------------------------------------------------------------------

export function encodeWebp(width: number, height: number, seed = 0): Buffer {
  checkSide(width, height);
  const bits: number[] = [];
  const put = (value: number, n: number) => {
    for (let i = 0; i < n; i++) bits.push((value >> i) & 1); // VP8L packs LSB first
  };
  put(0x2f, 8);
  put(width - 1, 14);
  put(height - 1, 14);
  put(0, 1); // alpha_is_used
  put(0, 3); // version
  put(0, 1); // no transform
  put(0, 1); // no colour cache
  put(0, 1); // no meta prefix codes
  const [g, r, b] = [(seed * 37 + 90) & 0xff, (seed * 53 + 30) & 0xff, (seed * 67 + 160) & 0xff];
  for (const symbol of [g, r, b, 255, 0]) {
    // green, red, blue, alpha, distance: a "simple" prefix code with one 8-bit symbol, so each pixel costs 0 bits
    put(1, 1);
    put(0, 1);
    put(1, 1);
    put(symbol, 8);
  }
  const data = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((bit, i) => (data[i >> 3] |= bit << (i & 7)));
  const padded = data.length % 2 ? Buffer.concat([data, Buffer.alloc(1)]) : data;
  const head = Buffer.alloc(20);
  head.write("RIFF", 0, "latin1");
  head.writeUInt32LE(12 + padded.length, 4);
  head.write("WEBPVP8L", 8, "latin1");
  head.writeUInt32LE(data.length, 16);
  return Buffer.concat([head, padded]);
}

// ---- reading ---------------------------------------------------------------------------------------

export function sniff(data: Buffer): ImageFormat | undefined {
  if (data.subarray(0, 8).equals(PNG_SIGNATURE)) return "png";
  if (data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return "jpeg";
  if (data.toString("latin1", 0, 4) === "RIFF" && data.toString("latin1", 8, 12) === "WEBP") return "webp";
  return undefined;
}

/** Pixel size of PNG, baseline/progressive JPEG or VP8L/VP8 WebP bytes. */
export function imageSize(data: Buffer): { width: number; height: number } | undefined {
  const format = sniff(data);
  if (format === "png") return pngSize(data);
  if (format === "jpeg") {
    for (let p = 2; p + 9 < data.length;) {
      if (data[p] !== 0xff) return undefined;
      const marker = data[p + 1];
      if (marker >= 0xc0 && marker <= 0xc3) return { height: data.readUInt16BE(p + 5), width: data.readUInt16BE(p + 7) };
      p += 2 + data.readUInt16BE(p + 2);
    }
    return undefined;
  }
  if (format === "webp") {
    const chunk = data.toString("latin1", 12, 16);
    if (chunk === "VP8L") {
      const v = data.readUInt32LE(21);
      return { width: (v & 0x3fff) + 1, height: ((v >> 14) & 0x3fff) + 1 };
    }
    if (chunk === "VP8 ") return { width: data.readUInt16LE(26) & 0x3fff, height: data.readUInt16LE(28) & 0x3fff };
  }
  return undefined;
}

function checkSide(width: number, height: number): void {
  for (const v of [width, height]) if (!Number.isInteger(v) || v < 1 || v > 16383) throw new RangeError(`image side ${v} out of range`);
}
