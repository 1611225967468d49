/**
 * A small PNG encoder for tests: 8-bit samples of any colour type, a chosen filter type per row
 * (so decoders must undo all five), optional Adam7 interlacing, PLTE/tRNS, IDAT split, real CRCs.
 * Fast enough for 4096x4096 RGBA fixtures (about a second).
 */
import { deflateSync } from "node:zlib";

import { ADAM7, CHANNELS } from "../../../src/lib/images/png-alpha";
import { pngChunk, PNG_SIGNATURE as SIGNATURE } from "../../server/png";

export { pngChunk };

export interface PngOptions {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  /** the samples, row after row, 8 bits each: width * height * channels bytes */
  samples: Buffer;
  /** the filter type (0–4) of the n-th row written; default n % 5 */
  filter?: (n: number) => number;
  interlace?: boolean;
  plte?: Buffer;
  trns?: Buffer;
  /** split the image data into IDAT chunks of this many bytes */
  idatSize?: number;
  /** zlib level (default 6) */
  level?: number;
}

/** Writes `row` filtered with `type` into out[at] (the filter byte) and the bytes after it. */
function filterInto(out: Buffer, at: number, type: number, row: Buffer, above: Buffer | undefined, bpp: number): void {
  out[at] = type;
  const n = row.length;
  for (let i = 0; i < n; i++) {
    const a = i >= bpp ? row[i - bpp] : 0;
    const b = above ? above[i] : 0;
    const c = above && i >= bpp ? above[i - bpp] : 0;
    let predicted = 0;
    if (type === 1) predicted = a;
    else if (type === 2) predicted = b;
    else if (type === 3) predicted = (a + b) >> 1;
    else if (type === 4) {
      const pa = Math.abs(b - c);
      const pb = Math.abs(a - c);
      const pc = Math.abs(a + b - 2 * c);
      predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    out[at + 1 + i] = (row[i] - predicted) & 0xff;
  }
}

/** The filtered, uncompressed image data (what IDAT holds once inflated). */
export function filteredRows(o: PngOptions): Buffer {
  const bpp = CHANNELS[o.colorType];
  const filter = o.filter ?? ((n: number) => n % 5);
  const passes = o.interlace ? ADAM7 : [[0, 0, 1, 1]];
  const parts: Buffer[] = [];
  let n = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const w = Math.ceil((o.width - x0) / dx);
    const h = Math.ceil((o.height - y0) / dy);
    if (w <= 0 || h <= 0) continue;
    const out = Buffer.alloc(h * (1 + w * bpp));
    let above: Buffer | undefined;
    for (let j = 0; j < h; j++) {
      const y = y0 + j * dy;
      let row: Buffer;
      if (dx === 1) row = o.samples.subarray(y * o.width * bpp, (y + 1) * o.width * bpp);
      else {
        row = Buffer.alloc(w * bpp);
        for (let i = 0; i < w; i++) o.samples.copy(row, i * bpp, (x0 + i * dx + y * o.width) * bpp, (x0 + i * dx + y * o.width + 1) * bpp);
      }
      filterInto(out, j * (1 + w * bpp), filter(n++), row, above, bpp);
      above = row;
    }
    parts.push(out);
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/** A whole PNG file from already filtered rows (see filteredRows). */
export function pngFile(o: Omit<PngOptions, "samples">, rows: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(o.width, 0);
  ihdr.writeUInt32BE(o.height, 4);
  ihdr[8] = 8;
  ihdr[9] = o.colorType;
  ihdr[12] = o.interlace ? 1 : 0;
  const data = deflateSync(rows, { level: o.level ?? 6 });
  const size = o.idatSize ?? data.length;
  const idat: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) idat.push(pngChunk("IDAT", data.subarray(at, at + size)));
  return Buffer.concat([
    SIGNATURE,
    pngChunk("IHDR", ihdr),
    ...(o.plte ? [pngChunk("PLTE", o.plte)] : []),
    ...(o.trns ? [pngChunk("tRNS", o.trns)] : []),
    ...idat,
    pngChunk("IEND"),
  ]);
}

export function encodePng(o: PngOptions): Buffer {
  return pngFile(o, filteredRows(o));
}

/**
 * A size x size opaque RGBA PNG with a photo-like texture (gradients and a little noise) and every
 * filter type used (row y: (y + 4) % 5, so the last row is Paeth); `withHole` makes the same with one
 * pixel's alpha set to 0 (re-filtering only the two rows it touches).
 */
export function bigRgba(size: number): { opaque: Buffer; withHole: (x: number, y: number) => Buffer } {
  const samples = Buffer.alloc(size * size * 4);
  let seed = 12345;
  for (let y = 0, i = 0; y < size; y++) {
    for (let x = 0; x < size; x++, i += 4) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      samples[i] = (x >> 4) & 0xff;
      samples[i + 1] = (y >> 4) & 0xff;
      samples[i + 2] = ((x + y) >> 5) + ((seed >>> 24) & 7);
      samples[i + 3] = 255;
    }
  }
  const options = { width: size, height: size, colorType: 6 as const, filter: (n: number) => (n + 4) % 5, level: 1, idatSize: 64 * 1024 };
  const rows = filteredRows({ ...options, samples });
  const opaque = pngFile(options, rows);
  const stride = size * 4;
  const refilter = (y: number) => {
    if (y >= size) return;
    const above = y > 0 ? samples.subarray((y - 1) * stride, y * stride) : undefined;
    filterInto(rows, y * (1 + stride), options.filter(y), samples.subarray(y * stride, (y + 1) * stride), above, 4);
  };
  const withHole = (x: number, y: number) => {
    const at = y * stride + x * 4 + 3;
    samples[at] = 0;
    refilter(y);
    refilter(y + 1);
    const png = pngFile(options, rows);
    samples[at] = 255;
    refilter(y);
    refilter(y + 1);
    return png;
  };
  return { opaque, withHole };
}
