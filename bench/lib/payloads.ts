/**
 * What the benchmark sends and what its servers answer: a tiny PNG, large "photo-like" PNGs
 * (random pixels stored without compression, so the file is as big as the pixels: a real,
 * decodable PNG whose bytes do not compress), and the Images API answer bodies built from them.
 */
import { randomFillSync } from "node:crypto";
import { deflateSync } from "node:zlib";
import { encodePng, pngChunk as chunk, PNG_SIGNATURE } from "../../test/server/png";

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
