/**
 * What the benchmark sends and what its servers answer: a tiny PNG, large "photo-like" PNGs
 * (random pixels stored without compression, so the file is as big as the pixels: a real,
 * decodable PNG whose bytes do not compress), and the Images API answer bodies built from them.
 */
import { randomFillSync } from "node:crypto";
import * as zlib from "node:zlib";
import { deflateSync } from "node:zlib";
import { encodePng, PNG_SIGNATURE } from "../../test/server/png";

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

const nativeCrc32 = (zlib as unknown as { crc32?: (data: Buffer, value?: number) => number }).crc32;

function crc32(parts: Buffer[]): number {
  if (nativeCrc32) return parts.reduce((c, data) => nativeCrc32(data, c), 0) >>> 0;
  let c = 0xffffffff;
  for (const data of parts) for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32([head.subarray(4), data]), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A real RGB PNG of random pixels, deflate level 0 (stored blocks): about width × height × 3 bytes.
 * `seed` only makes images differ (the pixels are random anyway).
 */
export function noisePng(width: number, height: number): Buffer {
  const stride = 1 + width * 3;
  const raw = Buffer.allocUnsafe(stride * height);
  randomFillSync(raw);
  for (let y = 0; y < height; y++) raw[y * stride] = 0; // filter type "none" on every row
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const idat = deflateSync(raw, { level: 0 });
  return Buffer.concat([PNG_SIGNATURE, chunk("IHDR", ihdr), chunk("IDAT", idat), chunk("IEND", Buffer.alloc(0))]);
}

/** A noise PNG of about `bytes` bytes (a square-ish image). */
export function noisePngOfSize(bytes: number): Buffer {
  const width = 1024;
  const height = Math.max(1, Math.round(bytes / (1 + width * 3)));
  return noisePng(width, height);
}

export const TINY_PNG = encodePng(64, 64);

/** The JSON a gpt-image model answers with, as bytes, around the given images. */
export function answerBody(images: Buffer[]): Buffer {
  const body = {
    created: 1_760_000_000,
    background: "opaque",
    output_format: "png",
    quality: "low",
    size: "1024x1024",
    data: images.map((img) => ({ b64_json: img.toString("base64") })),
    usage: { input_tokens: 12, output_tokens: 272 * images.length, total_tokens: 12 + 272 * images.length, input_tokens_details: { text_tokens: 12, image_tokens: 0 } },
  };
  return Buffer.from(JSON.stringify(body));
}

/** The generate request every client sends. */
export const GENERATE_BODY = { model: "gpt-image-1", prompt: "a lighthouse on a cliff at dawn, watercolour", n: 1, size: "1024x1024", quality: "low" };

export const MB = 1024 * 1024;
export const API_KEY = "sk-bench-0123456789abcdef";
