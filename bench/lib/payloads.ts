/**
 * What the benchmark sends and what its servers answer: a tiny PNG, large "photo-like" PNGs
 * (random pixels stored without compression, so the file is as big as the pixels: a real,
 * decodable PNG whose bytes do not compress), and the Images API answer bodies built from them.
 */
import { randomFillSync } from "node:crypto";
import { deflateSync } from "node:zlib";
import { lzwSubBlocks } from "../../test/server/gif";
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
export function answerBody(images: Buffer[], format = "png"): Buffer {
  const body = {
    created: 1_760_000_000,
    background: "opaque",
    output_format: format,
    quality: "low",
    size: "1024x1024",
    data: images.map((img) => ({ b64_json: img.toString("base64") })),
    usage: {
      input_tokens: 12,
      output_tokens: 272 * images.length,
      total_tokens: 12 + 272 * images.length,
      input_tokens_details: { text_tokens: 12, image_tokens: 0 },
    },
  };
  return Buffer.from(JSON.stringify(body));
}

/** The generate request every client sends. */
export const GENERATE_BODY = {
  model: "gpt-image-1",
  prompt: "a lighthouse on a cliff at dawn, watercolour",
  n: 1,
  size: "1024x1024",
  quality: "low",
};

export const MB = 1024 * 1024;
export const API_KEY = "sk-bench-0123456789abcdef";

/**
 * A real animated GIF of random pixels (16 colours, `frames` full-size frames, LZW that finds nothing to
 * compress): about width × height bytes per frame, like a busy animation, unlike the test server's tiles.
 */
export function noiseGif(width: number, height: number, frames: number): Buffer {
  const screen = Buffer.alloc(13);
  screen.write("GIF89a", 0, "latin1");
  screen.writeUInt16LE(width, 6);
  screen.writeUInt16LE(height, 8);
  screen[10] = 0x80 | (7 << 4) | 3; // global table of 16 colours
  const palette = Buffer.alloc(16 * 3);
  randomFillSync(palette);
  const parts: Buffer[] = [
    screen,
    palette,
    Buffer.from([0x21, 0xff, 0x0b, ...Buffer.from("NETSCAPE2.0", "latin1"), 0x03, 0x01, 0x00, 0x00, 0x00]),
  ];
  const indices = new Uint8Array(width * height);
  for (let f = 0; f < frames; f++) {
    randomFillSync(indices);
    for (let i = 0; i < indices.length; i++) indices[i] &= 15;
    const descriptor = Buffer.alloc(10);
    descriptor[0] = 0x2c;
    descriptor.writeUInt16LE(width, 5);
    descriptor.writeUInt16LE(height, 7);
    parts.push(Buffer.from([0x21, 0xf9, 0x04, 0x04, 10, 0, 0, 0]), descriptor, Buffer.from([4]), lzwSubBlocks(indices, 4, 16));
  }
  parts.push(Buffer.from([0x3b]));
  return Buffer.concat(parts);
}
