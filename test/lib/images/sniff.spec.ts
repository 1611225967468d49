/**
 * sniffImage() on every fixture and on damaged files, describeUnknown() on what is not an image,
 * GIF frame counting and SVG recognition, pngHasTransparentPixel() on real and encoded PNGs, and the
 * edit node's input checks refusing GIF and SVG inputs.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { isImagesApiError } from "../../../src/lib/errors";
import { readEditImages, readImage, readMask } from "../../../src/lib/check/image-input";
import { MODELS } from "../../../src/lib/models/table";
import { ADAM7, CHANNELS, pngHasTransparentPixel } from "../../../src/lib/images/png-alpha";
import { pngChunk } from "../../server/png";
import { describeUnknown, sniffImage, type ImageInfo } from "../../../src/lib/images/sniff";

const FIXTURES = join(__dirname, "..", "..", "fixtures");
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

type Expected = Pick<ImageInfo, "mime" | "ext" | "width" | "height" | "hasAlpha" | "frames">;

const EXPECTED: Record<string, Expected> = {
  "photo-256.png": { mime: "image/png", ext: "png", width: 256, height: 256, hasAlpha: false },
  "logo-rgba-256.png": { mime: "image/png", ext: "png", width: 256, height: 256, hasAlpha: true },
  "logo-palette-trns-256.png": { mime: "image/png", ext: "png", width: 256, height: 256, hasAlpha: true },
  "original-1024.png": { mime: "image/png", ext: "png", width: 1024, height: 1024, hasAlpha: false },
  "mask-1024.png": { mime: "image/png", ext: "png", width: 1024, height: 1024, hasAlpha: true },
  "mask-256.png": { mime: "image/png", ext: "png", width: 256, height: 256, hasAlpha: true },
  "mask-128-wrong-size.png": { mime: "image/png", ext: "png", width: 128, height: 128, hasAlpha: true },
  "mask-256-no-alpha.png": { mime: "image/png", ext: "png", width: 256, height: 256, hasAlpha: false },
  "photo-256-rgba-opaque.png": { mime: "image/png", ext: "png", width: 256, height: 256, hasAlpha: true },
  "wide-384x256.png": { mime: "image/png", ext: "png", width: 384, height: 256, hasAlpha: false },
  "photo-256.jpg": { mime: "image/jpeg", ext: "jpeg", width: 256, height: 256, hasAlpha: false },
  "photo-256-progressive.jpg": { mime: "image/jpeg", ext: "jpeg", width: 256, height: 256, hasAlpha: false },
  "photo-256-lossy.webp": { mime: "image/webp", ext: "webp", width: 256, height: 256, hasAlpha: false },
  "photo-256-lossless.webp": { mime: "image/webp", ext: "webp", width: 256, height: 256, hasAlpha: false },
  "logo-rgba-256.webp": { mime: "image/webp", ext: "webp", width: 256, height: 256, hasAlpha: true },
  "photo-256.gif": { mime: "image/gif", ext: "gif", width: 256, height: 256, hasAlpha: false, frames: 1 },
  "anim-4-frames-96x64.gif": { mime: "image/gif", ext: "gif", width: 96, height: 64, hasAlpha: true, frames: 4 },
  "drawing-512x384.svg": { mime: "image/svg+xml", ext: "svg", width: 512, height: 384, hasAlpha: true },
  "icon-viewbox-48.svg": { mime: "image/svg+xml", ext: "svg", width: 48, height: 48, hasAlpha: true },
};

// ---- small PNG and GIF encoders, to make the images these tests need ----

interface PngSpec {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  depth: 1 | 2 | 4 | 8 | 16;
  /** the samples of pixel (x, y), one per channel, each within the bit depth */
  pixel: (x: number, y: number) => number[];
  /** a filter type for every row, or "adaptive" (the smallest sum of absolute differences, as libpng does) */
  filter?: 0 | 1 | 2 | 3 | 4 | "adaptive";
  interlace?: boolean;
  plte?: Buffer;
  trns?: Buffer;
  /** the padding bits at the end of rows of sub-byte pixels (0 normally) */
  padBits?: 0 | 1;
  /** the image data is split into IDAT chunks of this many bytes */
  idatSize?: number;
}

/** One row of pixels packed as PNG samples (high bits first below 8 bits, big-endian at 16). */
function packRow(spec: PngSpec, xs: number[], y: number): Buffer {
  const bits = CHANNELS[spec.colorType] * spec.depth;
  const row = Buffer.alloc(Math.ceil((xs.length * bits) / 8), spec.padBits ? 0xff : 0);
  let bit = 0;
  for (const x of xs) {
    for (const sample of spec.pixel(x, y)) {
      if (spec.depth === 16) row.writeUInt16BE(sample, bit >> 3);
      else if (spec.depth === 8) row[bit >> 3] = sample;
      else {
        const shift = 8 - spec.depth - (bit & 7);
        const mask = ((1 << spec.depth) - 1) << shift;
        row[bit >> 3] = (row[bit >> 3] & ~mask) | (sample << shift);
      }
      bit += spec.depth;
    }
  }
  return row;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** A row filtered with one filter type: the filter byte, then the differences. */
function filterRow(type: number, row: Buffer, prior: Buffer | undefined, step: number): Buffer {
  const out = Buffer.alloc(row.length + 1);
  out[0] = type;
  for (let i = 0; i < row.length; i++) {
    const a = i >= step ? row[i - step] : 0;
    const b = prior ? prior[i] : 0;
    const c = prior && i >= step ? prior[i - step] : 0;
    const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][type];
    out[i + 1] = (row[i] - predictor) & 0xff;
  }
  return out;
}

function encodePng(spec: PngSpec): Buffer {
  const step = Math.max(1, (CHANNELS[spec.colorType] * spec.depth) >> 3);
  const passes = spec.interlace ? ADAM7 : [[0, 0, 1, 1]];
  const rows: Buffer[] = [];
  let rowIndex = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const xs: number[] = [];
    for (let x = x0; x < spec.width; x += dx) xs.push(x);
    if (xs.length === 0) continue;
    let prior: Buffer | undefined;
    for (let y = y0; y < spec.height; y += dy) {
      const row = packRow(spec, xs, y);
      let filtered: Buffer;
      if (spec.filter === "adaptive") {
        const candidates = [0, 1, 2, 3, 4].map((t) => filterRow(t, row, prior, step));
        const cost = (f: Buffer) => f.subarray(1).reduce((sum, v) => sum + (v < 128 ? v : 256 - v), 0);
        filtered = candidates.reduce((best, f) => (cost(f) < cost(best) ? f : best));
      } else {
        filtered = filterRow(spec.filter ?? rowIndex % 5, row, prior, step);
      }
      rows.push(filtered);
      prior = row;
      rowIndex++;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(spec.width, 0);
  ihdr.writeUInt32BE(spec.height, 4);
  ihdr[8] = spec.depth;
  ihdr[9] = spec.colorType;
  ihdr[12] = spec.interlace ? 1 : 0;
  const data = deflateSync(Buffer.concat(rows));
  const idats: Buffer[] = [];
  const size = spec.idatSize ?? data.length;
  for (let at = 0; at < data.length; at += size) idats.push(pngChunk("IDAT", data.subarray(at, at + size)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    ...(spec.plte ? [pngChunk("PLTE", spec.plte)] : []),
    ...(spec.trns ? [pngChunk("tRNS", spec.trns)] : []),
    ...idats,
    pngChunk("IEND"),
  ]);
}

/** Deterministic photo-like noise in 0..255 (so that every filter type has work to do). */
function noise(x: number, y: number, channel: number): number {
  let h = (x * 374761393 + y * 668265263 + channel * 2147483647) | 0;
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  return ((h ^ (h >>> 16)) & 0x3f) + ((x * 3 + y * 5 + channel * 40) & 0xbf);
}

interface GifFrame {
  /** colour indices, width × height */
  pixels: Uint8Array;
  width: number;
  height: number;
  left?: number;
  top?: number;
  /** a local colour table of this many colours (a power of 2) */
  localColours?: number;
  /** the transparent colour index, set in the frame's graphic control extension */
  transparent?: number;
  delay?: number;
  interlaced?: boolean;
}

/** Data sub-blocks (at most 255 bytes each) and the block terminator. */
function subBlocks(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += 255) {
    const piece = data.subarray(at, at + 255);
    parts.push(Buffer.from([piece.length]), piece);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** GIF LZW (variable code width from minCodeSize + 1 up to 12 bits, a clear code when the table is full). */
function lzw(indices: Uint8Array, minCodeSize: number): Buffer {
  const clear = 1 << minCodeSize;
  const end = clear + 1;
  const bytes: number[] = [];
  let acc = 0;
  let accBits = 0;
  let codeSize = minCodeSize + 1;
  const write = (code: number) => {
    acc |= code << accBits;
    accBits += codeSize;
    while (accBits >= 8) {
      bytes.push(acc & 0xff);
      acc >>>= 8;
      accBits -= 8;
    }
  };
  let table = new Map<number, number>();
  let next = end + 1;
  write(clear);
  let prefix = indices[0];
  for (let i = 1; i < indices.length; i++) {
    const k = indices[i];
    const key = (prefix << 8) | k;
    const known = table.get(key);
    if (known !== undefined) {
      prefix = known;
      continue;
    }
    write(prefix);
    if (next < 4096) {
      table.set(key, next++);
      if (next > 1 << codeSize && codeSize < 12) codeSize++;
    } else {
      write(clear);
      table = new Map();
      next = end + 1;
      codeSize = minCodeSize + 1;
    }
    prefix = k;
  }
  write(prefix);
  write(end);
  if (accBits > 0) bytes.push(acc & 0xff);
  return Buffer.from(bytes);
}

function gifPalette(colours: number, seed: number): Buffer {
  const table = Buffer.alloc(colours * 3);
  for (let i = 0; i < table.length; i++) table[i] = (i * 37 + seed * 91) & 0xff;
  return table;
}

/** An (animated) GIF89a: global colour table, NETSCAPE2.0 loop and comment extensions, per frame a graphic control extension. */
function encodeGif(width: number, height: number, frames: GifFrame[], options: { colours?: number; version?: "87a" | "89a" } = {}): Buffer {
  const colours = options.colours ?? 16;
  const tableBits = Math.log2(colours) - 1;
  const screen = Buffer.alloc(7);
  screen.writeUInt16LE(width, 0);
  screen.writeUInt16LE(height, 2);
  screen[4] = 0x80 | (tableBits << 4) | tableBits;
  const parts: Buffer[] = [Buffer.from(`GIF${options.version ?? "89a"}`, "latin1"), screen, gifPalette(colours, 0)];
  if (options.version !== "87a") {
    parts.push(Buffer.from([0x21, 0xff, 11]), Buffer.from("NETSCAPE2.0", "latin1"), Buffer.from([3, 1, 0, 0, 0]));
    parts.push(Buffer.from([0x21, 0xfe]), subBlocks(Buffer.from("made by the sniff tests", "latin1")));
  }
  frames.forEach((frame, n) => {
    if (options.version !== "87a") {
      const gce = Buffer.from([0x21, 0xf9, 4, 0, 0, 0, 0, 0]);
      gce[3] = (2 << 2) | (frame.transparent !== undefined ? 1 : 0); // dispose: restore to background
      gce.writeUInt16LE(frame.delay ?? 10, 4);
      gce[6] = frame.transparent ?? 0;
      parts.push(gce);
    }
    const descriptor = Buffer.alloc(10);
    descriptor[0] = 0x2c;
    descriptor.writeUInt16LE(frame.left ?? 0, 1);
    descriptor.writeUInt16LE(frame.top ?? 0, 3);
    descriptor.writeUInt16LE(frame.width, 5);
    descriptor.writeUInt16LE(frame.height, 7);
    const localBits = frame.localColours ? Math.log2(frame.localColours) - 1 : 0;
    descriptor[9] = (frame.localColours ? 0x80 | localBits : 0) | (frame.interlaced ? 0x40 : 0);
    parts.push(descriptor);
    if (frame.localColours) parts.push(gifPalette(frame.localColours, n + 1));
    const minCodeSize = Math.max(2, Math.log2(frame.localColours ?? colours));
    parts.push(Buffer.from([minCodeSize]), subBlocks(lzw(frame.pixels, minCodeSize)));
  });
  parts.push(Buffer.from([0x3b]));
  return Buffer.concat(parts);
}

/** Frames of a small animation: a bar that moves across a striped background. */
function animation(width: number, height: number, count: number, extra: Partial<GifFrame> = {}): GifFrame[] {
  return Array.from({ length: count }, (_, n) => {
    const pixels = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const bar = Math.abs(x - Math.round(((n + 0.5) * width) / count)) < 3;
        const corner = extra.transparent !== undefined && x + y < 12;
        pixels[y * width + x] = corner ? extra.transparent! : bar ? 15 : 1 + (((x >> 3) + (y >> 3) + n) % 12);
      }
    }
    return { pixels, width, height, ...extra };
  });
}

/** PNG chunks of a file as [type, whole chunk bytes]. */
function pngChunks(buf: Buffer): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  let pos = 8;
  while (pos + 8 <= buf.length) {
    const len = buf.readUInt32BE(pos);
    out.push([buf.toString("latin1", pos + 4, pos + 8), buf.subarray(pos, pos + 12 + len)]);
    pos += 12 + len;
  }
  return out;
}

describe("sniffImage()", () => {
  it("every image fixture is in the table (and nothing else is)", () => {
    const images = readdirSync(FIXTURES).filter((f) => /\.(png|jpe?g|webp|gif|svg)$/.test(f) && f !== "truncated.png");
    assert.deepEqual(images.sort(), Object.keys(EXPECTED).sort());
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name} → ${expected.mime} ${expected.width}x${expected.height}${expected.hasAlpha ? " with alpha" : ""}`, () => {
      const info = sniffImage(fixture(name));
      assert.deepEqual(info, expected);
    });
  }

  it("the file's first bytes decide, not its name", () => {
    // the same bytes whatever they are called; a PNG never comes back as JPEG
    assert.equal(sniffImage(fixture("photo-256.jpg"))?.mime, "image/jpeg");
    assert.equal(sniffImage(Buffer.concat([Buffer.from("x"), fixture("photo-256.png")])), undefined);
  });

  describe("damaged files", () => {
    it("truncated.png (the first 100 bytes of a PNG) → problem: truncated", () => {
      const info = sniffImage(fixture("truncated.png"));
      assert.equal(info?.mime, "image/png");
      assert.equal(info?.width, 256);
      assert.equal(info?.height, 256);
      assert.match(info?.problem ?? "", /truncated/);
    });

    it("a PNG cut inside its image data → truncated (chunk cut off)", () => {
      const full = fixture("photo-256.png");
      const info = sniffImage(full.subarray(0, full.length - 200));
      assert.match(info?.problem ?? "", /the PNG is truncated/);
    });

    it("a PNG without its IEND chunk → truncated", () => {
      const full = fixture("photo-256.png");
      const info = sniffImage(full.subarray(0, full.length - 12));
      assert.match(info?.problem ?? "", /truncated \(no IEND chunk\)/);
    });

    it("a PNG with IHDR and IEND but no IDAT → no image data", () => {
      const chunks = pngChunks(fixture("photo-256.png"));
      const keep = chunks.filter(([type]) => type !== "IDAT").map(([, bytes]) => bytes);
      const info = sniffImage(Buffer.concat([fixture("photo-256.png").subarray(0, 8), ...keep]));
      assert.equal(info?.problem, "the PNG has no image data");
    });

    it("a PNG with a short IHDR → corrupt header", () => {
      const ihdr = Buffer.alloc(12 + 4);
      ihdr.writeUInt32BE(4, 0);
      ihdr.write("IHDR", 4, "latin1");
      const info = sniffImage(Buffer.concat([fixture("photo-256.png").subarray(0, 8), ihdr]));
      assert.equal(info?.problem, "the PNG header is corrupt");
    });

    it("a baseline JPEG cut in half → truncated", () => {
      const full = fixture("photo-256.jpg");
      const info = sniffImage(full.subarray(0, Math.floor(full.length / 2)));
      assert.equal(info?.mime, "image/jpeg");
      assert.equal(info?.width, 256);
      assert.match(info?.problem ?? "", /the JPEG is truncated/);
    });

    it("a progressive JPEG cut in half → truncated", () => {
      const full = fixture("photo-256-progressive.jpg");
      const info = sniffImage(full.subarray(0, Math.floor(full.length / 2)));
      assert.match(info?.problem ?? "", /the JPEG is truncated/);
    });

    it("a JPEG cut inside its headers → truncated", () => {
      const info = sniffImage(fixture("photo-256.jpg").subarray(0, 30));
      assert.match(info?.problem ?? "", /truncated/);
    });

    it("a JPEG with garbage where a marker belongs → corrupt", () => {
      const info = sniffImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0x12, 0x34, 0x56, 0x78]));
      assert.equal(info?.problem, "the JPEG is corrupt (bad marker)");
    });

    it("a WebP shorter than its RIFF size says → truncated", () => {
      const full = fixture("photo-256-lossy.webp");
      const info = sniffImage(full.subarray(0, 40));
      assert.equal(info?.mime, "image/webp");
      assert.equal(info?.problem, "the WebP is truncated");
    });

    it("a WebP whose RIFF holds nothing but the WEBP tag → problem", () => {
      const buf = Buffer.concat([Buffer.from("RIFF", "latin1"), Buffer.from([4, 0, 0, 0]), Buffer.from("WEBP", "latin1")]);
      const info = sniffImage(buf);
      assert.equal(info?.mime, "image/webp");
      assert.ok(info?.problem, "expected a problem");
    });

    it("a WebP with an unknown first chunk → corrupt", () => {
      const full = Buffer.from(fixture("photo-256-lossy.webp"));
      full.write("XXXX", 12, "latin1");
      assert.equal(sniffImage(full)?.problem, "the WebP is corrupt (unknown first chunk)");
    });

    it("undamaged fixtures have no problem", () => {
      for (const name of Object.keys(EXPECTED)) assert.equal(sniffImage(fixture(name))?.problem, undefined, name);
    });
  });

  describe("not images", () => {
    for (const [name, buf] of [
      ["text", fixture("not-an-image.txt")],
      ["empty", Buffer.alloc(0)],
      ["7 bytes of a PNG signature", fixture("photo-256.png").subarray(0, 7)],
      ["2 bytes of a JPEG", Buffer.from([0xff, 0xd8])],
      ["RIFF but WAVE", Buffer.from("RIFF\x24\0\0\0WAVEfmt ", "latin1")],
      ["HEIC", Buffer.from("\0\0\0\x18ftypheic\0\0\0\0mif1heic", "latin1")],
      ["BMP", Buffer.from("BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00\x00\x00", "latin1")],
    ] as Array<[string, Buffer]>) {
      it(`${name} → undefined`, () => assert.equal(sniffImage(buf), undefined));
    }
  });
});

describe("describeUnknown()", () => {
  it("text shows its beginning", () => {
    const text = fixture("not-an-image.txt");
    const d = describeUnknown(text);
    assert.match(d, /^text \(/);
    assert.ok(d.includes(JSON.stringify(text.toString("utf8", 0, 24))), d);
  });

  it("an empty buffer", () => {
    assert.equal(describeUnknown(Buffer.alloc(0)), "empty data (0 bytes)");
  });

  it("a HEIC header", () => {
    const heic = Buffer.from("\0\0\0\x18ftypheic\0\0\0\0mif1heic", "latin1");
    assert.equal(describeUnknown(heic), "a HEIC/HEIF image (not accepted: convert it to PNG, JPEG or WebP)");
  });

  it("an AVIF header", () => {
    const avif = Buffer.from("\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf", "latin1");
    assert.equal(describeUnknown(avif), "an AVIF image (not accepted: convert it to PNG, JPEG or WebP)");
  });

  it("an MP4 is an ISO media file with its brand", () => {
    const mp4 = Buffer.from("\0\0\0\x20ftypisom\0\0\x02\0isomiso2", "latin1");
    assert.equal(describeUnknown(mp4), "an ISO media file (isom)");
  });

  it("a BMP", () => {
    const bmp = Buffer.alloc(54);
    bmp.write("BM", 0, "latin1");
    bmp.writeUInt32LE(54, 2);
    assert.equal(describeUnknown(bmp), "a BMP image (not accepted: convert it to PNG, JPEG or WebP)");
  });

  it("a PDF and a TIFF", () => {
    assert.equal(describeUnknown(Buffer.from("%PDF-1.7\n%\xe2\xe3", "latin1")), "a PDF document");
    assert.match(describeUnknown(Buffer.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0])), /^a TIFF image/);
    assert.match(describeUnknown(Buffer.from([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8])), /^a TIFF image/);
  });

  it("other binary shows its first bytes in hex", () => {
    assert.equal(describeUnknown(Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])), "unknown data starting with 00 01 02 03 04 05 06 07");
  });
});

describe("sniffImage() on GIFs: frames, transparency, damage", () => {
  it("photo-256.gif (a real single-image GIF) → 1 frame", () => {
    assert.equal(sniffImage(fixture("photo-256.gif"))?.frames, 1);
  });

  it("anim-4-frames-96x64.gif → 4 frames, transparent, a local colour table in frame 3", () => {
    const info = sniffImage(fixture("anim-4-frames-96x64.gif"));
    assert.deepEqual(info, { mime: "image/gif", ext: "gif", width: 96, height: 64, hasAlpha: true, frames: 4 });
  });

  for (const count of [1, 2, 9, 16]) {
    it(`an animated GIF of ${count} frame${count > 1 ? "s" : ""} (loop and comment extensions) → frames: ${count}`, () => {
      const info = sniffImage(encodeGif(120, 80, animation(120, 80, count)));
      assert.deepEqual(info, { mime: "image/gif", ext: "gif", width: 120, height: 80, hasAlpha: false, frames: count });
    });
  }

  it("frames smaller than the screen, with local colour tables and interlacing, are counted", () => {
    const frames = animation(30, 20, 3).map((f, n) => ({ ...f, left: n * 10, top: 5, localColours: 4 << n, interlaced: n === 1 }));
    const info = sniffImage(encodeGif(64, 40, frames, { colours: 2 }));
    assert.equal(info?.frames, 3);
    assert.equal(info?.width, 64);
    assert.equal(info?.problem, undefined);
  });

  it("a frame whose image data spans many sub-blocks (noisy pixels, LZW table resets) → counted once", () => {
    const pixels = new Uint8Array(300 * 200).map((_, i) => noise(i % 300, Math.floor(i / 300), 0) & 15);
    const gif = encodeGif(300, 200, [
      { pixels, width: 300, height: 200 },
      { pixels, width: 300, height: 200 },
    ]);
    assert.ok(gif.length > 20_000, "many sub-blocks");
    assert.equal(sniffImage(gif)?.frames, 2);
  });

  it("a GIF87a (no extensions) is read too", () => {
    const info = sniffImage(encodeGif(16, 16, animation(16, 16, 1), { version: "87a" }));
    assert.equal(info?.frames, 1);
    assert.equal(info?.problem, undefined);
  });

  it("a transparent colour in any frame's graphic control extension → hasAlpha", () => {
    const frames = animation(20, 20, 3);
    frames[2].transparent = 0;
    assert.equal(sniffImage(encodeGif(20, 20, frames))?.hasAlpha, true);
    assert.equal(sniffImage(encodeGif(20, 20, animation(20, 20, 3)))?.hasAlpha, false);
  });

  it("every cut of a GIF (from 6 bytes on) → recognised as GIF with a problem, never a throw", () => {
    const full = encodeGif(24, 16, animation(24, 16, 3, { transparent: 0 }));
    for (let length = 6; length < full.length; length++) {
      const info = sniffImage(full.subarray(0, length));
      assert.equal(info?.mime, "image/gif", `cut at ${length}`);
      assert.match(info?.problem ?? "", /^the GIF is truncated/, `cut at ${length}`);
      // all three frames are complete only when just the trailer is missing
      if (length === full.length - 1) assert.equal(info?.frames, 3);
      else assert.ok((info?.frames ?? 0) <= 2, `cut at ${length}`);
    }
    assert.equal(sniffImage(full)?.problem, undefined);
  });

  it("names the part that was cut off", () => {
    const full = encodeGif(24, 16, animation(24, 16, 2));
    assert.equal(sniffImage(full.subarray(0, 12))?.problem, "the GIF is truncated (no screen descriptor)");
    assert.equal(sniffImage(full.subarray(0, full.length - 1))?.problem, "the GIF is truncated (no trailer)");
    assert.equal(sniffImage(full.subarray(0, full.length - 1))?.frames, 2);
    assert.equal(sniffImage(full.subarray(0, full.length - 10))?.problem, "the GIF is truncated (image data cut off)");
    assert.equal(sniffImage(full.subarray(0, full.length - 10))?.frames, 1);
  });

  it("an unknown block where an extension, an image or the trailer belongs → corrupt", () => {
    const full = Buffer.from(encodeGif(24, 16, animation(24, 16, 1)));
    full[full.length - 1] = 0x00;
    assert.equal(sniffImage(full)?.problem, "the GIF is corrupt (unknown block 0x00)");
    const junk = Buffer.concat([full.subarray(0, full.length - 1), Buffer.from("junk", "latin1")]);
    assert.equal(sniffImage(junk)?.problem, "the GIF is corrupt (unknown block 0x6a)");
  });

  it("an impossible LZW code size → corrupt", () => {
    const gif = Buffer.from(encodeGif(8, 8, animation(8, 8, 1), { version: "87a", colours: 2 }));
    const at = 6 + 7 + 6 + 10; // header, screen, 2-colour table, image descriptor
    assert.equal(gif[at], 2, "the LZW minimum code size");
    gif[at] = 0;
    assert.equal(sniffImage(gif)?.problem, "the GIF is corrupt (LZW code size 0)");
    gif[at] = 12;
    assert.equal(sniffImage(gif)?.problem, "the GIF is corrupt (LZW code size 12)");
  });

  it("a GIF with no image at all (header, table, trailer) → no image data", () => {
    const gif = encodeGif(8, 8, [], { version: "87a" });
    assert.deepEqual(sniffImage(gif), {
      mime: "image/gif",
      ext: "gif",
      width: 8,
      height: 8,
      hasAlpha: false,
      frames: 0,
      problem: "the GIF has no image data",
    });
  });

  it("5 bytes of a GIF signature, or GIF88a → not recognised", () => {
    assert.equal(sniffImage(Buffer.from("GIF89", "latin1")), undefined);
    assert.equal(sniffImage(Buffer.from("GIF88a\x01\0\x01\0\0\0\0;", "latin1")), undefined);
  });
});

describe("sniffImage() on SVGs", () => {
  const svg = (text: string) => sniffImage(Buffer.from(text, "utf8"));
  const size = (text: string) => {
    const info = svg(text);
    return info && `${info.width}x${info.height}`;
  };
  const NS = 'xmlns="http://www.w3.org/2000/svg"';

  it("width and height attributes → the size, image/svg+xml, ext svg, hasAlpha", () => {
    assert.deepEqual(svg(`<svg ${NS} width="640" height="480"><rect width="10" height="10"/></svg>`), {
      mime: "image/svg+xml",
      ext: "svg",
      width: 640,
      height: 480,
      hasAlpha: true,
    });
  });

  it("px units, decimals (rounded), spaces and single quotes", () => {
    assert.equal(size(`<svg ${NS} width='512px' height=" 256.6 "></svg>`), "512x257");
    assert.equal(size(`<svg\n  ${NS}\n  width = "100.4px"\n  height="1e2"\n></svg>`), "100x100");
  });

  it("absolute units are converted to px (96 per inch)", () => {
    assert.equal(size(`<svg ${NS} width="2in" height="72pt"></svg>`), "192x96");
    assert.equal(size(`<svg ${NS} width="210mm" height="297mm"></svg>`), "794x1123");
  });

  it("only a viewBox → its third and fourth numbers", () => {
    assert.equal(size(`<svg ${NS} viewBox="0 0 1024 768"></svg>`), "1024x768");
    assert.equal(size(`<svg ${NS} viewBox="-10,-10,100.4,50.5"></svg>`), "100x51");
    assert.equal(size(`<svg ${NS} viewBox=" 0  0\t300 150 "/>`), "300x150");
  });

  it("% and em sizes are ignored: the viewBox decides", () => {
    assert.equal(size(`<svg ${NS} width="100%" height="100%" viewBox="0 0 300 200"></svg>`), "300x200");
    assert.equal(size(`<svg ${NS} width="2em" height="auto" viewBox="0 0 30 20"></svg>`), "30x20");
  });

  it("one absolute length and a viewBox → the other from the viewBox's aspect ratio", () => {
    assert.equal(size(`<svg ${NS} width="400" viewBox="0 0 200 100"></svg>`), "400x200");
    assert.equal(size(`<svg ${NS} height="50%" width="90" viewBox="0 0 30 20"></svg>`), "90x60");
  });

  it("no usable size at all → 0x0 (but still an SVG)", () => {
    assert.equal(size(`<svg ${NS}><circle r="4"/></svg>`), "0x0");
    assert.equal(size(`<svg ${NS} width="0" height="-5" viewBox="0 0 0 10"></svg>`), "0x0");
  });

  it("a BOM, an XML declaration, comments, a processing instruction and a DOCTYPE with an internal subset before the root", () => {
    const text =
      '\uFEFF<?xml version="1.0" encoding="UTF-8"?>\r\n' +
      "<!-- Generator: some editor > 2.0 -->\n" +
      '<?xml-stylesheet href="style.css" type="text/css"?>\n' +
      '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [\n' +
      '  <!ENTITY ns_svg "http://www.w3.org/2000/svg">\n' +
      "]>\n" +
      "<!-- another comment -->\n" +
      `<svg version="1.1" xmlns="&ns_svg;" width="320" height="200" style="background: url('x>y')"><g/></svg>\n`;
    assert.equal(Buffer.from(text, "utf8")[0], 0xef, "the BOM is there");
    assert.equal(size(text), "320x200");
  });

  it("the fixtures: drawing-512x384.svg (width/height win over the viewBox) and icon-viewbox-48.svg", () => {
    assert.equal(sniffImage(fixture("drawing-512x384.svg"))?.width, 512);
    assert.equal(sniffImage(fixture("icon-viewbox-48.svg"))?.height, 48);
  });

  it("a namespace-prefixed root (svg:svg) is an SVG too", () => {
    assert.equal(size('<svg:svg xmlns:svg="http://www.w3.org/2000/svg" width="10" height="20"><svg:rect/></svg:svg>'), "10x20");
  });

  it("the first of repeated attributes counts; attributes of child elements do not", () => {
    assert.equal(size(`<svg ${NS} width="10" width="99" height="10"><svg width="500" height="500"/></svg>`), "10x10");
    assert.equal(size(`<svg ${NS} data-width="99" height="10" viewBox="0 0 20 10"></svg>`), "20x10");
  });

  it("a self-closing root needs no closing tag; comments and white space may follow the closing tag", () => {
    assert.equal(svg(`<svg ${NS} width="1" height="1"/>`)?.problem, undefined);
    assert.equal(svg(`<svg ${NS} width="1" height="1"></svg >\n<!-- end -->\n\n`)?.problem, undefined);
  });

  it("no closing </svg> at the end → truncated", () => {
    const info = svg(`<svg ${NS} width="64" height="64"><path d="M0 0 L 10`);
    assert.equal(info?.mime, "image/svg+xml");
    assert.equal(info?.width, 64);
    assert.equal(info?.problem, "the SVG is truncated (no closing </svg> tag)");
  });

  it("the data ends inside the root start tag → truncated", () => {
    assert.equal(svg(`<svg ${NS} width="64" height="6`)?.problem, "the SVG is truncated (root start tag cut off)");
  });

  it("a root start tag longer than 16 KB is not a problem (the attributes before the cut are read)", () => {
    const style = "x".repeat(40_000);
    const info = svg(`<svg ${NS} width="30" height="40" style="${style}"></svg>`);
    assert.equal(info?.problem, undefined);
    assert.equal(info?.width, 30);
    // but the end is still checked
    assert.equal(svg(`<svg ${NS} width="30" height="40" style="${style}"><g>`)?.problem, "the SVG is truncated (no closing </svg> tag)");
  });

  describe("not SVG → undefined", () => {
    for (const [name, text] of [
      ["an XML document with another root", '<?xml version="1.0"?><rss version="2.0"><channel/></rss>'],
      ["HTML", '<!DOCTYPE html>\n<html><body><svg width="10" height="10"></svg></body></html>'],
      ["an XHTML root with an svg inside", '<html xmlns="http://www.w3.org/1999/xhtml"><svg/></html>'],
      ["an element whose name starts with svg", '<svgfoo width="1" height="1"/>'],
      ["text that mentions <svg> later", 'draw this: <svg width="1" height="1"></svg>'],
      ["JSON", '{"svg": "<svg></svg>"}'],
      ["a root after more than 4 KB of prolog", `<!--${"-".repeat(5000)}--><svg ${NS} width="1" height="1"></svg>`],
      ["an unclosed comment", '<!-- <svg width="1" height="1"></svg>'],
      ["an empty document", ""],
    ] as Array<[string, string]>) {
      it(name, () => assert.equal(svg(text), undefined));
    }
  });
});

describe("the edit node's inputs refuse GIF and SVG (readEditImages, readImage, readMask)", () => {
  const SVG = fixture("drawing-512x384.svg");
  const GIF = fixture("anim-4-frames-96x64.gif");
  const refuses = (fn: () => unknown, code: string, message: RegExp) =>
    assert.throws(fn, (err: unknown) => isImagesApiError(err) && err.code === code && message.test(err.message));

  it("the models' edit formats and the generic list never include GIF or SVG", () => {
    for (const [model, rule] of Object.entries(MODELS)) {
      for (const format of rule.edit?.formats ?? [])
        assert.ok(["image/png", "image/jpeg", "image/webp"].includes(format), `${model}: ${format}`);
    }
  });

  it("an SVG to edit → invalid_image naming image/svg+xml and what the model takes", () => {
    const model = "gpt-image-2.6-sunburst";
    refuses(
      () => readEditImages(SVG, model, MODELS[model]),
      "invalid_image",
      /^image is image\/svg\+xml; gpt-image-2\.6-sunburst takes image\/png, image\/jpeg or image\/webp$/,
    );
    refuses(
      () => readEditImages(SVG, "dall-e-2", MODELS["dall-e-2"]),
      "invalid_image",
      /^image is image\/svg\+xml; dall-e-2 takes image\/png$/,
    );
  });

  it("an SVG for a gateway model → the edits endpoint's formats", () => {
    refuses(
      () => readEditImages(`data:image/svg+xml;base64,${SVG.toString("base64")}`, "flux-kontext-pro", undefined),
      "invalid_image",
      /^image is image\/svg\+xml; the edits endpoint takes image\/png, image\/jpeg or image\/webp$/,
    );
  });

  it("an animated GIF among several images → refused by its position", () => {
    const png = fixture("photo-256.png");
    refuses(
      () => readEditImages([png, GIF], "gpt-image-2.6-sunburst", MODELS["gpt-image-2.6-sunburst"]),
      "invalid_image",
      /^image 2 of 2 is image\/gif; /,
    );
  });

  it("a truncated GIF to edit → 'cannot be used: the GIF is truncated' (the damage is named before the format)", () => {
    refuses(
      () => readEditImages(GIF.subarray(0, 200), "gpt-image-2.6-sunburst", MODELS["gpt-image-2.6-sunburst"]),
      "invalid_image",
      /^image cannot be used: the GIF is truncated/,
    );
  });

  it("readImage names the file by its format (image.svg), so nothing is sent as PNG by mistake", () => {
    assert.equal(readImage(SVG, "image", "image").filename, "image.svg");
  });

  it("an SVG or GIF mask → mask_mismatch: a mask must be a PNG", () => {
    const first = readImage(fixture("photo-256.png"), "image", "image");
    refuses(() => readMask(SVG, first), "mask_mismatch", /^mask must be a PNG with an alpha channel, got image\/svg\+xml$/);
    refuses(() => readMask(GIF, first), "mask_mismatch", /^mask must be a PNG with an alpha channel, got image\/gif$/);
  });
});

describe("pngHasTransparentPixel()", () => {
  const OPAQUE_RGBA = (x: number, y: number) => [noise(x, y, 0), noise(x, y, 1), noise(x, y, 2), 255];
  /** the RGBA noise image with one pixel's alpha set */
  const withHole =
    (hx: number, hy: number, alpha = 0) =>
    (x: number, y: number) => [noise(x, y, 0), noise(x, y, 1), noise(x, y, 2), x === hx && y === hy ? alpha : 255];

  describe("real PNGs", () => {
    for (const [name, expected] of [
      ["logo-rgba-256.png", true],
      ["mask-256.png", true],
      ["mask-1024.png", true],
      ["mask-128-wrong-size.png", true],
      ["logo-palette-trns-256.png", true],
      ["photo-256-rgba-opaque.png", false],
      ["photo-256.png", false],
      ["mask-256-no-alpha.png", false],
      ["original-1024.png", false],
      ["wide-384x256.png", false],
    ] as Array<[string, boolean]>) {
      it(`${name} → ${expected}`, async () => assert.equal(await pngHasTransparentPixel(fixture(name)), expected));
    }

    it("photo-256-rgba-opaque.png has an alpha channel (sniffImage) but no transparent pixel", async () => {
      assert.equal(sniffImage(fixture("photo-256-rgba-opaque.png"))?.hasAlpha, true);
      assert.equal(await pngHasTransparentPixel(fixture("photo-256-rgba-opaque.png")), false);
    });
  });

  describe("RGBA, each filter type", () => {
    for (const filter of [0, 1, 2, 3, 4, "adaptive"] as const) {
      it(`filter ${filter}: fully opaque → false; one pixel with alpha 0 or 254 → true`, async () => {
        const spec = { width: 37, height: 23, colorType: 6, depth: 8, filter } as const;
        assert.equal(await pngHasTransparentPixel(encodePng({ ...spec, pixel: OPAQUE_RGBA })), false);
        for (const [x, y] of [
          [0, 0],
          [36, 22],
          [18, 11],
          [1, 0],
          [0, 1],
        ]) {
          assert.equal(await pngHasTransparentPixel(encodePng({ ...spec, pixel: withHole(x, y) })), true, `hole at ${x},${y}`);
        }
        assert.equal(await pngHasTransparentPixel(encodePng({ ...spec, pixel: withHole(20, 20, 254) })), true);
      });
    }

    it("the image data split over many IDAT chunks", async () => {
      assert.equal(
        await pngHasTransparentPixel(encodePng({ width: 40, height: 40, colorType: 6, depth: 8, pixel: OPAQUE_RGBA, idatSize: 17 })),
        false,
      );
      assert.equal(
        await pngHasTransparentPixel(encodePng({ width: 40, height: 40, colorType: 6, depth: 8, pixel: withHole(39, 39), idatSize: 17 })),
        true,
      );
    });

    it("larger images, where the start of the data is decoded first: a hole at the start, in the middle, at the end", async () => {
      const spec = { width: 300, height: 220, colorType: 6, depth: 8 } as const;
      const opaque = encodePng({ ...spec, pixel: OPAQUE_RGBA });
      assert.ok(opaque.length > 8 * 1024 * 4, "much more compressed data than the 8 KB decoded first");
      assert.equal(await pngHasTransparentPixel(opaque), false);
      for (const [x, y] of [
        [3, 0],
        [150, 110],
        [299, 219],
      ]) {
        assert.equal(await pngHasTransparentPixel(encodePng({ ...spec, pixel: withHole(x, y) })), true, `hole at ${x},${y}`);
      }
    });
  });

  describe("other colour types and depths", () => {
    it("RGBA 16 bit: alpha 65535 everywhere → false; 65534 or 0xFEFF in one pixel → true", async () => {
      const spec = { width: 19, height: 13, colorType: 6, depth: 16 } as const;
      const rgb = (x: number, y: number) => [noise(x, y, 0) * 257, noise(x, y, 1) * 250, noise(x, y, 2)];
      assert.equal(await pngHasTransparentPixel(encodePng({ ...spec, pixel: (x, y) => [...rgb(x, y), 65535] })), false);
      for (const alpha of [65534, 0xfeff, 0]) {
        assert.equal(
          await pngHasTransparentPixel(encodePng({ ...spec, pixel: (x, y) => [...rgb(x, y), x === 7 && y === 12 ? alpha : 65535] })),
          true,
          `alpha ${alpha}`,
        );
      }
    });

    it("grey + alpha, 8 and 16 bit", async () => {
      for (const depth of [8, 16] as const) {
        const max = 2 ** depth - 1;
        const spec = { width: 21, height: 9, colorType: 4, depth } as const;
        assert.equal(
          await pngHasTransparentPixel(encodePng({ ...spec, pixel: (x, y) => [(noise(x, y, 0) * max) / 255, max] })),
          false,
          `${depth} bit`,
        );
        assert.equal(
          await pngHasTransparentPixel(
            encodePng({ ...spec, pixel: (x, y) => [(noise(x, y, 0) * max) / 255, x === 20 && y === 8 ? 1 : max] }),
          ),
          true,
          `${depth} bit`,
        );
      }
    });

    for (const depth of [1, 2, 4, 8] as const) {
      it(`palette, ${depth} bit, tRNS marks the last entry transparent: used by one pixel → true, unused → false`, async () => {
        const colours = 2 ** depth;
        const trns = Buffer.alloc(colours, 255);
        trns[colours - 1] = 0;
        const spec = { width: 13, height: 7, colorType: 3, depth, plte: Buffer.alloc(colours * 3, 9), trns } as const;
        const index = (x: number, y: number) => (x * 3 + y) % (colours - 1);
        assert.equal(await pngHasTransparentPixel(encodePng({ ...spec, pixel: (x, y) => [index(x, y)] })), false);
        assert.equal(
          await pngHasTransparentPixel(encodePng({ ...spec, pixel: (x, y) => [x === 12 && y === 6 ? colours - 1 : index(x, y)] })),
          true,
        );
      });
    }

    it("palette: the padding bits at the end of a row are not pixels", async () => {
      // 1 bit, 13 pixels a row: 3 padding bits, set to 1, and index 1 is transparent; every pixel is index 0
      const spec = {
        width: 13,
        height: 4,
        colorType: 3,
        depth: 1,
        plte: Buffer.alloc(6, 9),
        trns: Buffer.from([255, 0]),
        padBits: 1,
      } as const;
      assert.equal(await pngHasTransparentPixel(encodePng({ ...spec, pixel: () => [0] })), false);
    });

    it("palette: a tRNS without entries below 255, or no tRNS → false", async () => {
      const spec = { width: 8, height: 8, colorType: 3, depth: 8, plte: Buffer.alloc(12, 9), pixel: (x: number) => [x % 4] } as const;
      assert.equal(await pngHasTransparentPixel(encodePng({ ...spec, trns: Buffer.from([255, 255, 255]) })), false);
      assert.equal(await pngHasTransparentPixel(encodePng(spec)), false);
    });

    for (const depth of [1, 2, 4, 8, 16] as const) {
      it(`grey, ${depth} bit, with a tRNS key: a pixel of that grey → true, none → false`, async () => {
        const key = 2 ** depth - 1;
        const trns = Buffer.alloc(2);
        trns.writeUInt16BE(key);
        const spec = { width: 11, height: 5, colorType: 0, depth, trns } as const;
        const grey = (x: number, y: number) => (x + y) % key;
        assert.equal(await pngHasTransparentPixel(encodePng({ ...spec, pixel: (x, y) => [grey(x, y)] })), false);
        assert.equal(await pngHasTransparentPixel(encodePng({ ...spec, pixel: (x, y) => [x === 10 && y === 0 ? key : grey(x, y)] })), true);
      });
    }

    for (const depth of [8, 16] as const) {
      it(`RGB, ${depth} bit, with a tRNS key colour: a pixel of that colour → true, none → false`, async () => {
        const key = depth === 8 ? [10, 20, 30] : [1000, 2000, 3000];
        const trns = Buffer.alloc(6);
        key.forEach((v, i) => trns.writeUInt16BE(v, i * 2));
        const spec = { width: 9, height: 9, colorType: 2, depth, trns } as const;
        const colour = (x: number, y: number) => [key[0], key[1], key[2] + 1 + ((x + y) % 5)]; // close to the key, never equal
        assert.equal(await pngHasTransparentPixel(encodePng({ ...spec, pixel: colour })), false);
        assert.equal(
          await pngHasTransparentPixel(encodePng({ ...spec, pixel: (x, y) => (x === 4 && y === 8 ? key : colour(x, y)) })),
          true,
        );
      });
    }

    it("grey and RGB without tRNS → false", async () => {
      assert.equal(await pngHasTransparentPixel(encodePng({ width: 5, height: 5, colorType: 0, depth: 8, pixel: () => [0] })), false);
      assert.equal(
        await pngHasTransparentPixel(encodePng({ width: 5, height: 5, colorType: 2, depth: 16, pixel: () => [0, 0, 0] })),
        false,
      );
    });
  });

  describe("Adam7 interlaced", () => {
    for (const [w, h] of [
      [1, 1],
      [3, 2],
      [9, 9],
      [33, 17],
    ]) {
      it(`${w}x${h}: opaque → false; a hole in each place (so in every pass) → true`, async () => {
        const spec = { width: w, height: h, colorType: 6, depth: 8, interlace: true } as const;
        assert.equal(await pngHasTransparentPixel(encodePng({ ...spec, pixel: OPAQUE_RGBA })), false);
        for (let y = 0; y < Math.min(h, 8); y++) {
          for (let x = 0; x < Math.min(w, 8); x++) {
            assert.equal(
              await pngHasTransparentPixel(encodePng({ ...spec, pixel: withHole(w - 1 - x, h - 1 - y) })),
              true,
              `hole at ${w - 1 - x},${h - 1 - y}`,
            );
          }
        }
      });
    }

    it("interlaced palette and 16-bit RGBA", async () => {
      const trns = Buffer.from([255, 255, 0, 255]);
      const palette = { width: 10, height: 10, colorType: 3, depth: 2, plte: Buffer.alloc(12, 5), trns, interlace: true } as const;
      assert.equal(await pngHasTransparentPixel(encodePng({ ...palette, pixel: (x, y) => [(x + y) % 2] })), false);
      assert.equal(await pngHasTransparentPixel(encodePng({ ...palette, pixel: (x, y) => [x === 9 && y === 9 ? 2 : (x + y) % 2] })), true);
      const deep = { width: 10, height: 10, colorType: 6, depth: 16, interlace: true } as const;
      assert.equal(await pngHasTransparentPixel(encodePng({ ...deep, pixel: (x, y) => [x * 999, y * 999, 7, 65535] })), false);
      assert.equal(
        await pngHasTransparentPixel(encodePng({ ...deep, pixel: (x, y) => [x * 999, y * 999, 7, x === 5 && y === 3 ? 65534 : 65535] })),
        true,
      );
    });
  });

  describe("what cannot be decoded → undefined", () => {
    const good = encodePng({ width: 16, height: 16, colorType: 6, depth: 8, pixel: OPAQUE_RGBA, filter: 0 });

    it("not a PNG (JPEG, text, empty)", async () => {
      assert.equal(await pngHasTransparentPixel(fixture("photo-256.jpg")), undefined);
      assert.equal(await pngHasTransparentPixel(fixture("not-an-image.txt")), undefined);
      assert.equal(await pngHasTransparentPixel(Buffer.alloc(0)), undefined);
    });

    it("truncated.png (cut inside its first IDAT) and an RGBA PNG cut inside its image data", async () => {
      assert.equal(await pngHasTransparentPixel(fixture("truncated.png")), undefined);
      const logo = fixture("logo-rgba-256.png");
      assert.equal(await pngHasTransparentPixel(logo.subarray(0, logo.length - 100)), undefined);
    });

    it("an unknown filter type (5)", async () => {
      const rows = Buffer.alloc(16 * (1 + 16 * 4), 255);
      for (let y = 0; y < 16; y++) rows[y * 65] = y === 15 ? 5 : 0;
      const chunks = pngChunks(good);
      const ihdr = chunks.find(([type]) => type === "IHDR")![1];
      const bad = Buffer.concat([good.subarray(0, 8), ihdr, pngChunk("IDAT", deflateSync(rows)), pngChunk("IEND")]);
      assert.equal(await pngHasTransparentPixel(bad), undefined);
    });

    it("image data that is not zlib, or too short for the image", async () => {
      const chunks = pngChunks(good);
      const ihdr = chunks.find(([type]) => type === "IHDR")![1];
      const withData = (data: Buffer) => Buffer.concat([good.subarray(0, 8), ihdr, pngChunk("IDAT", data), pngChunk("IEND")]);
      assert.equal(await pngHasTransparentPixel(withData(Buffer.from("not deflate at all"))), undefined);
      // opaque as far as it goes (filter 0, every sample 255), then it ends
      assert.equal(
        await pngHasTransparentPixel(withData(deflateSync(Buffer.concat([Buffer.from([0]), Buffer.alloc(99, 255)])))),
        undefined,
      );
    });

    it("no IDAT, or an impossible bit depth for the colour type", async () => {
      const chunks = pngChunks(good);
      assert.equal(
        await pngHasTransparentPixel(Buffer.concat([good.subarray(0, 8), ...chunks.filter(([t]) => t !== "IDAT").map(([, b]) => b)])),
        undefined,
      );
      const ihdr = Buffer.from(chunks.find(([type]) => type === "IHDR")![1]);
      ihdr[8 + 8] = 4; // RGBA at 4 bits
      assert.equal(
        await pngHasTransparentPixel(Buffer.concat([good.subarray(0, 8), ihdr, ...chunks.slice(1).map(([, b]) => b)])),
        undefined,
      );
    });
  });
});
