/**
 * A tiny PNG encoder for the test server: 8-bit RGB (colour type 2) or RGBA
 * (colour type 6), filter 0 on every row, deflate level 1. The picture is a
 * deterministic gradient with a 32-pixel checker in the blue channel; `seed`
 * shifts the colours so that images with different seeds differ. With alpha,
 * opacity runs diagonally from 0 (top-left, fully transparent) to 255.
 *
 * Results are cached by (width, height, alpha, seed); the returned Buffer is
 * shared, so treat it as read-only.
 */
import * as zlib from "node:zlib";
import { deflateSync } from "node:zlib";

export interface PngOptions {
  alpha?: boolean;
  seed?: number;
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
export const MAX_PNG_SIDE = 16384;

const CACHE_LIMIT = 16;
const cache = new Map<string, Buffer>();

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

const nativeCrc32 = (zlib as unknown as { crc32?: (data: Buffer) => number }).crc32;

function crc32(data: Buffer): number {
  if (nativeCrc32) return nativeCrc32(data) >>> 0; // Node ≥ 20.15: far faster on multi-megabyte chunks
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One PNG chunk: length, type, data, CRC. */
export function pngChunk(type: string, data: Buffer = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

function pixels(width: number, height: number, alpha: boolean, seed: number): Buffer {
  const channels = alpha ? 4 : 3;
  const stride = 1 + width * channels;
  const raw = Buffer.alloc(stride * height); // filter byte 0 at each row start
  const shiftR = (seed * 53) & 0xff;
  const blue = (40 + seed * 67) & 0xff;
  // per-column values, computed once
  const red = new Uint8Array(width);
  const checkX = new Uint8Array(width);
  for (let x = 0; x < width; x++) {
    red[x] = (Math.floor((x * 255) / Math.max(1, width - 1)) + shiftR) & 0xff;
    checkX[x] = (x >> 5) & 1;
  }
  for (let y = 0; y < height; y++) {
    const green = Math.floor((y * 255) / Math.max(1, height - 1));
    const checkY = (y >> 5) & 1;
    let p = y * stride + 1;
    for (let x = 0; x < width; x++) {
      raw[p++] = red[x];
      raw[p++] = green;
      raw[p++] = checkX[x] ^ checkY ? blue : blue ^ 0x60;
      if (alpha) raw[p++] = Math.floor(((x / width + y / height) * 255) / 2 + 0.5) & 0xff;
    }
  }
  return raw;
}

/** Encodes a real, decodable PNG of exactly width×height pixels. */
export function encodePng(width: number, height: number, opts: PngOptions = {}): Buffer {
  const alpha = opts.alpha === true;
  const seed = opts.seed ?? 0;
  for (const [label, v] of [
    ["width", width],
    ["height", height],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_PNG_SIDE) {
      throw new RangeError(`encodePng: ${label} must be an integer in 1..${MAX_PNG_SIDE}, got ${v}`);
    }
  }
  if (!Number.isInteger(seed)) throw new RangeError(`encodePng: seed must be an integer, got ${seed}`);

  const key = `${width}x${height}:${alpha ? "a" : "o"}:${seed}`;
  const hit = cache.get(key);
  if (hit) return hit;

  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = alpha ? 6 : 2; // colour type: RGBA / RGB
  // compression 0, filter 0, interlace 0 (already zero)
  const idat = deflateSync(pixels(width, height, alpha, seed), { level: 1 });
  const png = Buffer.concat([PNG_SIGNATURE, pngChunk("IHDR", ihdr), pngChunk("IDAT", idat), pngChunk("IEND", Buffer.alloc(0))]);

  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, png);
  return png;
}

/** Width and height from a PNG's IHDR, or undefined when the bytes are not a PNG. */
export function pngSize(data: Buffer): { width: number; height: number } | undefined {
  if (data.length < 24 || !data.subarray(0, 8).equals(PNG_SIGNATURE)) return undefined;
  if (data.toString("latin1", 12, 16) !== "IHDR") return undefined;
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}
