/**
 * A small animated-GIF encoder for the test server: GIF89a, a 16-colour global
 * colour table, a NETSCAPE2.0 loop extension (loop forever), and per frame one
 * Graphic Control Extension (delay in 1/100 s, optional transparency on index 0)
 * followed by a full-size image descriptor and real variable-width LZW data
 * (codes 5..12 bits, a clear code whenever the 4096-entry table fills up).
 *
 * The picture: coloured tiles (shifted by `seed`) with a bar that moves from
 * left to right across the frames and changes colour, so every frame differs.
 * With `transparent`, the top-left triangle is colour index 0, marked
 * transparent in every frame's Graphic Control Extension.
 *
 * Results are cached by all options; the returned Buffer is shared, so treat it
 * as read-only.
 */

export interface GifOptions {
  /** number of frames, 1..1000 (default 9) */
  frames?: number;
  /** per-frame duration in ms; rounded to 1/100 s, capped at 655,350 ms (default 200) */
  frameDurationMs?: number;
  seed?: number;
  transparent?: boolean;
}

export const GIF_SIGNATURE = "GIF89a";
export const MAX_GIF_SIDE = 65535;

const COLOURS = 16;
const MIN_CODE_SIZE = 4; // log2(COLOURS)
const TILE_COLOURS = 12; // indices 1..12; 0 = background/transparent, 13..15 = the bar
const MAX_CODES = 4096;

const CACHE_LIMIT = 8;
const cache = new Map<string, Buffer>();

/** The GIF delay field (1/100 s) for a frame duration in ms: nearest 10 ms, at most 65535. */
export function gifDelay(frameDurationMs: number): number {
  return Math.min(0xffff, Math.max(0, Math.round(frameDurationMs / 10)));
}

function palette(seed: number): Buffer {
  const table = Buffer.alloc(COLOURS * 3);
  table.set([24, 24, 32], 0); // index 0: background
  for (let i = 0; i < TILE_COLOURS; i++) {
    const hue = ((i * 360) / TILE_COLOURS + seed * 47) % 360;
    const [r, g, b] = hsl(hue, 0.55, 0.5);
    table.set([r, g, b], (1 + i) * 3);
  }
  table.set([255, 255, 255], 13 * 3);
  table.set([255, 220, 0], 14 * 3);
  table.set([255, 40, 120], 15 * 3);
  return table;
}

function hsl(h: number, s: number, l: number): [number, number, number] {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const x = c * (1 - Math.abs(((h / 60) % 2) - 1));
  const m = l - c / 2;
  const [r, g, b] = h < 60 ? [c, x, 0] : h < 120 ? [x, c, 0] : h < 180 ? [0, c, x] : h < 240 ? [0, x, c] : h < 300 ? [x, 0, c] : [c, 0, x];
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

/** The colour indices of one frame, row by row. */
function frameIndices(width: number, height: number, frame: number, frames: number, seed: number, transparent: boolean): Uint8Array {
  const out = new Uint8Array(width * height);
  const tileX = new Uint8Array(width);
  for (let x = 0; x < width; x++) tileX[x] = Math.floor((x * 6) / width);
  const barWidth = Math.max(1, Math.floor(width / 12));
  const barLeft = frames > 1 ? Math.round((frame * (width - barWidth)) / (frames - 1)) : 0;
  const barColour = 13 + (frame % 3);
  for (let y = 0; y < height; y++) {
    const tileY = Math.floor((y * 4) / height);
    const row = y * width;
    for (let x = 0; x < width; x++) out[row + x] = 1 + ((tileX[x] + tileY * 2 + seed) % TILE_COLOURS);
    if (transparent) {
      // x/width + y/height < 0.5  ⇔  x < width * (0.5 - y/height)
      const edge = Math.ceil(width * (0.5 - y / height));
      out.fill(0, row, row + Math.max(0, Math.min(width, edge)));
    }
    out.fill(barColour, row + barLeft, row + Math.min(width, barLeft + barWidth));
  }
  return out;
}

/** LZW-compresses colour indices the way GIF wants it (LSB-first codes), as data sub-blocks plus the terminator. */
export function lzwSubBlocks(indices: Uint8Array, minCodeSize: number, colours: number): Buffer {
  const clear = 1 << minCodeSize;
  const end = clear + 1;
  // children[code * colours + index] = the code for string(code) + index, or -1
  const children = new Int16Array(MAX_CODES * colours).fill(-1);
  let next = end + 1;
  let codeSize = minCodeSize + 1;

  let out = Buffer.alloc(Math.max(1024, indices.length >> 2));
  let length = 0;
  let bits = 0;
  let bitCount = 0;
  const emit = (code: number) => {
    bits |= code << bitCount;
    bitCount += codeSize;
    while (bitCount >= 8) {
      if (length === out.length) {
        const bigger = Buffer.alloc(out.length * 2);
        out.copy(bigger);
        out = bigger;
      }
      out[length++] = bits & 0xff;
      bits >>>= 8;
      bitCount -= 8;
    }
  };

  emit(clear);
  if (indices.length > 0) {
    let prefix = indices[0];
    for (let i = 1; i < indices.length; i++) {
      const k = indices[i];
      const key = prefix * colours + k;
      const child = children[key];
      if (child >= 0) {
        prefix = child;
        continue;
      }
      emit(prefix);
      if (next === MAX_CODES) {
        emit(clear);
        children.fill(-1);
        next = end + 1;
        codeSize = minCodeSize + 1;
      } else {
        if (next >= 1 << codeSize) codeSize++;
        children[key] = next++;
      }
      prefix = k;
    }
    emit(prefix);
  }
  emit(end);
  if (bitCount > 0) {
    if (length === out.length) out = Buffer.concat([out, Buffer.alloc(1)]);
    out[length++] = bits & 0xff;
  }

  const blocks = Math.ceil(length / 255);
  const packed = Buffer.alloc(length + blocks + 1);
  let p = 0;
  for (let i = 0; i < length; i += 255) {
    const n = Math.min(255, length - i);
    packed[p++] = n;
    out.copy(packed, p, i, i + n);
    p += n;
  }
  packed[p] = 0; // block terminator
  return packed;
}

/** Encodes a real, decodable animated GIF of exactly width×height pixels. */
export function encodeGif(width: number, height: number, opts: GifOptions = {}): Buffer {
  const frames = opts.frames ?? 9;
  const duration = opts.frameDurationMs ?? 200;
  const seed = opts.seed ?? 0;
  const transparent = opts.transparent === true;
  for (const [label, v] of [
    ["width", width],
    ["height", height],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_GIF_SIDE)
      throw new RangeError(`encodeGif: ${label} must be an integer in 1..${MAX_GIF_SIDE}, got ${v}`);
  }
  if (!Number.isInteger(frames) || frames < 1 || frames > 1000)
    throw new RangeError(`encodeGif: frames must be an integer in 1..1000, got ${frames}`);
  if (!Number.isFinite(duration) || duration < 0) throw new RangeError(`encodeGif: frameDurationMs must be a number ≥ 0, got ${duration}`);
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`encodeGif: seed must be an integer ≥ 0, got ${seed}`);

  const delay = gifDelay(duration);
  const key = `${width}x${height}:${frames}:${delay}:${seed}:${transparent ? "t" : "o"}`;
  const hit = cache.get(key);
  if (hit) return hit;

  const parts: Buffer[] = [];
  const screen = Buffer.alloc(13);
  screen.write(GIF_SIGNATURE, 0, "latin1");
  screen.writeUInt16LE(width, 6);
  screen.writeUInt16LE(height, 8);
  screen[10] = 0x80 | (7 << 4) | (MIN_CODE_SIZE - 1); // global table, 8-bit colour resolution, 2^(3+1) entries
  screen[11] = 0; // background colour index
  screen[12] = 0; // no pixel aspect ratio
  parts.push(screen, palette(seed));
  // NETSCAPE2.0 application extension: loop forever
  parts.push(Buffer.from([0x21, 0xff, 0x0b, ...Buffer.from("NETSCAPE2.0", "latin1"), 0x03, 0x01, 0x00, 0x00, 0x00]));

  for (let f = 0; f < frames; f++) {
    const gce = Buffer.from([0x21, 0xf9, 0x04, 0, 0, 0, 0, 0x00]);
    gce[3] = ((transparent ? 2 : 1) << 2) | (transparent ? 1 : 0); // disposal: restore to background / leave in place
    gce.writeUInt16LE(delay, 4);
    gce[6] = 0; // transparent colour index
    const descriptor = Buffer.alloc(10);
    descriptor[0] = 0x2c;
    descriptor.writeUInt16LE(0, 1);
    descriptor.writeUInt16LE(0, 3);
    descriptor.writeUInt16LE(width, 5);
    descriptor.writeUInt16LE(height, 7);
    descriptor[9] = 0; // no local colour table, not interlaced
    const data = lzwSubBlocks(frameIndices(width, height, f, frames, seed, transparent), MIN_CODE_SIZE, COLOURS);
    parts.push(gce, descriptor, Buffer.from([MIN_CODE_SIZE]), data);
  }
  parts.push(Buffer.from([0x3b]));
  const gif = Buffer.concat(parts);

  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, gif);
  return gif;
}

/** Width and height from a GIF's logical screen descriptor, or undefined when the bytes are not a GIF. */
export function gifSize(data: Buffer): { width: number; height: number } | undefined {
  if (data.length < 13) return undefined;
  const sig = data.toString("latin1", 0, 6);
  if (sig !== "GIF89a" && sig !== "GIF87a") return undefined;
  return { width: data.readUInt16LE(6), height: data.readUInt16LE(8) };
}
