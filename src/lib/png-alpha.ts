/**
 * Decodes a PNG's pixels far enough to tell whether any of them is (partly) transparent: for an
 * edit's markup or mask, which must hold transparent pixels, an alpha channel alone proves nothing.
 */
import { inflateSync, constants as zlibConstants } from "node:zlib";

/** how much of the compressed data is decoded first, hoping it shows a transparent pixel (at most ~8 MB of pixels: deflate expands at most ~1032:1) */
const HEAD_BYTES = 8 * 1024;
/**
 * The most raw pixel data decoded: a 4096x4096 RGBA image (64 MiB, about half a second at worst). Larger
 * ones, and decompression bombs (a few MB that inflate to gigabytes), are not decoded: the API decides.
 */
export const MAX_DECODED_BYTES = 4096 * 4097 * 4 + 4096;
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** samples per pixel by colour type */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** the bit depths each colour type allows */
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
/** Adam7 passes: x start, y start, x step, y step */
const ADAM7: Array<[number, number, number, number]> = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

interface Header {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlaced: boolean;
}

/** Tells whether one row (unfiltered samples, no filter byte) holds a transparent pixel. */
type RowTest = (data: Buffer, start: number, width: number) => boolean;

/**
 * A row test and the bytes of each pixel it reads. PNG filters work byte by byte, each byte predicted
 * from the bytes at the same place in the pixel to the left and above, so the bytes at each place form
 * a stream of their own: only those the test reads need unfiltering (the alpha bytes of RGBA: a quarter).
 */
interface PixelTest {
  test: RowTest;
  /** the first byte of the pixel the test reads, and how many from there */
  firstByte: number;
  bytes: number;
}

/**
 * Whether any pixel of the PNG has an alpha below the maximum: colour types 4 and 6 (8 and 16 bit),
 * a palette entry that tRNS makes transparent and that some pixel uses, or a pixel with the tRNS key
 * colour (types 0 and 2). False for PNGs that cannot hold transparency. Undefined when the file is not
 * a PNG or its image data cannot be decoded (truncated, corrupt, unknown filter).
 */
export function pngHasTransparentPixel(buf: Buffer): boolean | undefined {
  if (buf.length < 8 || !buf.subarray(0, 8).equals(SIGNATURE)) return undefined;
  let header: Header | undefined;
  let trns: Buffer | undefined;
  const idat: Buffer[] = [];
  let offset = 8;
  while (offset + 8 <= buf.length) {
    const length = buf.readUInt32BE(offset);
    const type = buf.toString("latin1", offset + 4, offset + 8);
    const data = offset + 8;
    if (data + length + 4 > buf.length) return undefined;
    if (type === "IHDR") {
      if (length < 13) return undefined;
      header = {
        width: buf.readUInt32BE(data),
        height: buf.readUInt32BE(data + 4),
        depth: buf[data + 8],
        colorType: buf[data + 9],
        interlaced: buf[data + 12] === 1,
      };
      if (buf[data + 10] !== 0 || buf[data + 11] !== 0 || buf[data + 12] > 1) return undefined;
    } else if (type === "tRNS") {
      trns = buf.subarray(data, data + length);
    } else if (type === "IDAT") {
      idat.push(buf.subarray(data, data + length));
    } else if (type === "IEND") {
      break;
    }
    offset = data + length + 4;
  }
  if (!header || idat.length === 0) return undefined;
  const { width, height, depth, colorType } = header;
  if (!DEPTHS[colorType]?.includes(depth) || width === 0 || height === 0) return undefined;
  const test = pixelTest(header, trns);
  if (!test) return false; // nothing in this PNG can be transparent

  const bitsPerPixel = CHANNELS[colorType] * depth;
  const filterStep = Math.max(1, bitsPerPixel >> 3);
  const passes = header.interlaced
    ? ADAM7.map(([x0, y0, dx, dy]) => [Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy)]).filter(([w, h]) => w > 0 && h > 0)
    : [[width, height]];
  let expected = 0;
  for (const [w, h] of passes) expected += h * (1 + Math.ceil((w * bitsPerPixel) / 8));
  if (expected > MAX_DECODED_BYTES) return undefined;

  const data = idat.length === 1 ? idat[0] : Buffer.concat(idat);
  // a little slack: some encoders leave a few bytes of padding at the end of the data
  const maxOutputLength = expected + 1024;
  const scan = (raw: Buffer) => scanRows(raw, passes, bitsPerPixel, filterStep, test);

  // Markup and masks are mostly transparent: their first rows usually settle it, so the start of the
  // data is decoded first and the whole only when that found no transparent pixel.
  if (data.length > HEAD_BYTES) {
    let head: Buffer | undefined;
    try {
      head = inflateSync(data.subarray(0, HEAD_BYTES), { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength });
    } catch {
      head = undefined; // the whole decides
    }
    if (head) {
      const found = scan(head);
      if (found !== false) return found;
    }
  }
  let raw: Buffer;
  try {
    raw = inflateSync(data, { maxOutputLength });
  } catch {
    return undefined;
  }
  if (raw.length < expected) return undefined;
  return scan(raw);
}

/**
 * Unfilters the rows that `raw` holds completely (in place) and tests each: true at the first
 * transparent pixel, undefined at an unknown filter type, false when none was found.
 */
function scanRows(raw: Buffer, passes: number[][], bitsPerPixel: number, filterStep: number, pixel: PixelTest): boolean | undefined {
  const { test, firstByte, bytes } = pixel;
  let pos = 0;
  for (const [w, h] of passes) {
    const rowBytes = Math.ceil((w * bitsPerPixel) / 8);
    let previous = -1;
    for (let y = 0; y < h; y++) {
      const start = pos + 1;
      if (start + rowBytes > raw.length) return false;
      if (!unfilter(raw, raw[pos], start, previous, rowBytes, filterStep, firstByte, bytes)) return undefined;
      if (test(raw, start, w)) return true;
      previous = start;
      pos = start + rowBytes;
    }
  }
  return false;
}

/**
 * Undoes a row's filter in place for the bytes firstByte … firstByte + bytes - 1 of each pixel (all
 * bytes: 0, step). `previous` is where the (already unfiltered) row above starts, -1 for the first row
 * of a pass. False for an unknown filter type. Uint8Array stores wrap modulo 256, as the filters want.
 */
function unfilter(d: Buffer, filter: number, start: number, previous: number, length: number, step: number, firstByte: number, bytes: number): boolean {
  if (filter === 0) return true;
  if (filter > 4) return false;
  const end = start + length;
  for (let lane = firstByte; lane < firstByte + bytes; lane++) {
    const first = start + lane; // this byte of the row's first pixel: it has no left neighbour
    if (first >= end) break;
    const above = previous + lane;
    if (filter === 1 || (previous < 0 && filter === 4)) {
      // Sub; and Paeth on a first row, where above and upper left are 0 and the left byte is chosen
      for (let i = first + step; i < end; i += step) d[i] += d[i - step];
    } else if (filter === 2) {
      if (previous < 0) continue; // Up on a first row adds 0
      for (let i = first, p = above; i < end; i += step, p += step) d[i] += d[p];
    } else if (filter === 3) {
      if (previous < 0) {
        for (let i = first + step; i < end; i += step) d[i] += d[i - step] >> 1;
        continue;
      }
      d[first] += d[above] >> 1;
      for (let i = first + step, p = above + step; i < end; i += step, p += step) d[i] += (d[i - step] + d[p]) >> 1;
    } else {
      d[first] += d[above]; // Paeth with a and c 0 picks b
      for (let i = first + step, p = above + step; i < end; i += step, p += step) {
        const a = d[i - step];
        const b = d[p];
        const c = d[p - step];
        const pa = Math.abs(b - c);
        const pb = Math.abs(a - c);
        const pc = Math.abs(a + b - c - c);
        d[i] += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
    }
  }
  return true;
}

/** How to find a transparent pixel in a row of this PNG; undefined when no pixel can be transparent. */
function pixelTest(header: Header, trns: Buffer | undefined): PixelTest | undefined {
  const { depth, colorType } = header;
  const pixelBytes = Math.max(1, (CHANNELS[colorType] * depth) >> 3);
  if (colorType === 6 || colorType === 4) {
    // the alpha sample: the last byte (8 bit) or two (16 bit) of each pixel; opaque only at all bits set
    const alphaOffset = pixelBytes - (depth >> 3);
    const test: RowTest =
      depth === 8
        ? (d, start, width) => {
            let all = 0xff;
            for (let i = start + alphaOffset, end = start + width * pixelBytes; i < end; i += pixelBytes) all &= d[i];
            return all !== 0xff;
          }
        : (d, start, width) => {
            let all = 0xff;
            for (let i = start + alphaOffset, end = start + width * pixelBytes; i < end; i += pixelBytes) all &= d[i] & d[i + 1];
            return all !== 0xff;
          };
    return { test, firstByte: alphaOffset, bytes: depth >> 3 };
  }
  const test = keyTest(header, trns);
  return test && { test, firstByte: 0, bytes: pixelBytes };
}

/** For PNGs without an alpha channel: a row test for pixels that tRNS makes transparent. */
function keyTest(header: Header, trns: Buffer | undefined): RowTest | undefined {
  const { depth, colorType } = header;
  if (!trns) return undefined;
  if (colorType === 3) {
    const transparent = new Uint8Array(256);
    let any = false;
    for (let i = 0; i < trns.length && i < 256; i++) {
      if (trns[i] < 255) transparent[i] = 1;
      any ||= trns[i] < 255;
    }
    if (!any) return undefined;
    return samples(depth, (d, start, width) => {
      for (let i = start, end = start + width; i < end; i++) if (transparent[d[i]]) return true;
      return false;
    }, (index) => transparent[index] === 1);
  }
  if (colorType === 0) {
    if (trns.length < 2) return undefined;
    const key = trns.readUInt16BE(0);
    if (key >= 2 ** depth) return undefined; // no sample can have this value
    if (depth === 16) {
      const hi = key >> 8;
      const lo = key & 0xff;
      return (d, start, width) => {
        for (let i = start, end = start + width * 2; i < end; i += 2) if (d[i] === hi && d[i + 1] === lo) return true;
        return false;
      };
    }
    return samples(depth, (d, start, width) => {
      for (let i = start, end = start + width; i < end; i++) if (d[i] === key) return true;
      return false;
    }, (value) => value === key);
  }
  // colour type 2: a pixel whose red, green and blue equal the key
  if (trns.length < 6) return undefined;
  const r = trns.readUInt16BE(0);
  const g = trns.readUInt16BE(2);
  const b = trns.readUInt16BE(4);
  if (depth === 8) {
    if (r > 255 || g > 255 || b > 255) return undefined;
    return (d, start, width) => {
      for (let i = start, end = start + width * 3; i < end; i += 3) if (d[i] === r && d[i + 1] === g && d[i + 2] === b) return true;
      return false;
    };
  }
  return (d, start, width) => {
    for (let i = start, end = start + width * 6; i < end; i += 6) {
      if (d.readUInt16BE(i) === r && d.readUInt16BE(i + 2) === g && d.readUInt16BE(i + 4) === b) return true;
    }
    return false;
  };
}

/** A row test for one-sample pixels: bytes for 8-bit rows, unpacked samples (high bits first) for 1, 2 and 4 bits. */
function samples(depth: number, bytes: RowTest, match: (sample: number) => boolean): RowTest {
  if (depth === 8) return bytes;
  const perByte = 8 / depth;
  const mask = (1 << depth) - 1;
  return (d, start, width) => {
    for (let x = 0; x < width; x++) {
      const byte = d[start + Math.floor(x / perByte)];
      const shift = 8 - depth * ((x % perByte) + 1);
      if (match((byte >> shift) & mask)) return true;
    }
    return false;
  };
}
