/**
 * Decodes a PNG's pixels far enough to tell whether any of them is (partly) transparent: for an
 * edit's markup or mask, which must hold transparent pixels, an alpha channel alone proves nothing.
 * It streams the image data through zlib on the thread pool, two rows at a time, so even a
 * 4096x4096 image never holds the event loop for long.
 */
import { createInflate } from "node:zlib";

/**
 * The most raw pixel data decoded: a 4096x4096 RGBA image (64 MiB, a few hundred ms on the thread
 * pool). Larger ones, and decompression bombs (a few MB that inflate to gigabytes), are not decoded:
 * the API decides.
 */
export const MAX_DECODED_BYTES = 4096 * 4097 * 4 + 4096;
/** a little slack: some encoders leave a few bytes of padding after the image data */
const SLACK = 1024;
/** how much inflated data the streaming decoder hands over at a time, and how much compressed data it takes */
const OUTPUT_CHUNK = 64 * 1024;
const INPUT_PIECE = 64 * 1024;
/** chunk types, as big-endian numbers */
const IHDR = 0x49484452;
const TRNS = 0x74524e53;
const IDAT = 0x49444154;
const IEND = 0x49454e44;
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** samples per pixel by colour type */
export const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** the bit depths each colour type allows */
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
/** Adam7 passes: x start, y start, x step, y step */
export const ADAM7: Array<[number, number, number, number]> = [
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

/** What the rows of a PNG need: its image data, the passes (width and height, one unless Adam7) and the row test. */
interface Plan {
  buf: Buffer;
  /** where the first IDAT chunk starts */
  firstIdat: number;
  passes: Array<[number, number]>;
  bitsPerPixel: number;
  /** the raw data the passes take, filter bytes included */
  expected: number;
  pixel: PixelTest;
}

/** Reads the chunks: undefined when the PNG cannot be decoded, false when none of its pixels can be transparent. */
function planOf(buf: Buffer): Plan | false | undefined {
  if (buf.length < 8 || !buf.subarray(0, 8).equals(SIGNATURE)) return undefined;
  let header: Header | undefined;
  let trns: Buffer | undefined;
  let firstIdat = 0;
  let offset = 8;
  // types compared as numbers: a PNG may hold a million tiny chunks
  while (offset + 8 <= buf.length) {
    const length = buf.readUInt32BE(offset);
    const type = buf.readUInt32BE(offset + 4);
    const data = offset + 8;
    if (data + length + 4 > buf.length) return undefined;
    if (type === IHDR) {
      if (length < 13) return undefined;
      header = {
        width: buf.readUInt32BE(data),
        height: buf.readUInt32BE(data + 4),
        depth: buf[data + 8],
        colorType: buf[data + 9],
        interlaced: buf[data + 12] === 1,
      };
      if (buf[data + 10] !== 0 || buf[data + 11] !== 0 || buf[data + 12] > 1) return undefined;
    } else if (type === TRNS) {
      trns = buf.subarray(data, data + length);
    } else if (type === IDAT) {
      firstIdat ||= offset;
    } else if (type === IEND) {
      break;
    }
    offset = data + length + 4;
  }
  if (!header || !firstIdat) return undefined;
  const { width, height, depth, colorType } = header;
  if (!DEPTHS[colorType]?.includes(depth) || width === 0 || height === 0) return undefined;
  const pixel = pixelTest(header, trns);
  if (!pixel) return false; // nothing in this PNG can be transparent

  const bitsPerPixel = CHANNELS[colorType] * depth;
  const passes: Array<[number, number]> = header.interlaced
    ? ADAM7.map(([x0, y0, dx, dy]): [number, number] => [Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy)]).filter(
        ([w, h]) => w > 0 && h > 0,
      )
    : [[width, height]];
  let expected = 0;
  for (const [w, h] of passes) expected += h * (1 + Math.ceil((w * bitsPerPixel) / 8));
  if (expected > MAX_DECODED_BYTES) return undefined;
  return { buf, firstIdat, passes, bitsPerPixel, expected, pixel };
}

/** The IDAT data, in pieces of at least `size` bytes (small chunks joined) but the last, up to IEND. */
function* idatPieces(plan: Plan, size: number): Generator<Buffer> {
  const { buf } = plan;
  let parts: Buffer[] = [];
  let bytes = 0;
  for (let offset = plan.firstIdat; offset + 8 <= buf.length;) {
    const length = buf.readUInt32BE(offset);
    const type = buf.readUInt32BE(offset + 4);
    if (type === IEND) break;
    if (type === IDAT) {
      parts.push(buf.subarray(offset + 8, offset + 8 + length));
      bytes += length;
    }
    offset += 12 + length;
    if (bytes >= size) {
      yield parts.length === 1 ? parts[0] : Buffer.concat(parts);
      parts = [];
      bytes = 0;
    }
  }
  if (parts.length > 0) yield parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/**
 * Whether any pixel of the PNG has an alpha below the maximum: colour types 4 and 6 (8 and 16 bit),
 * a palette entry that tRNS makes transparent and that some pixel uses, or a pixel with the tRNS key
 * colour (types 0 and 2). False for PNGs that cannot hold transparency. Undefined when the file is not
 * a PNG or its image data cannot be decoded (truncated, corrupt, unknown filter).
 *
 * Inflates on the thread pool and scans each 64 KB of output as it arrives, keeping two rows: each
 * callback holds the event loop well under a millisecond, whatever the size. Stops at the first
 * transparent pixel: true even when the data breaks off after it.
 */
export function pngHasTransparentPixel(buf: Buffer): Promise<boolean | undefined> {
  const plan = planOf(buf);
  if (!plan) return Promise.resolve(plan);
  const rows = new RowScanner(plan);
  const limit = plan.expected + SLACK;
  return new Promise((resolve) => {
    const inflater = createInflate({ chunkSize: OUTPUT_CHUNK });
    let decoded = 0;
    let settled = false;
    const settle = (verdict: boolean | undefined) => {
      if (settled) return;
      settled = true;
      inflater.destroy();
      resolve(verdict);
    };
    inflater.on("data", (chunk: Buffer) => {
      if (settled) return;
      decoded += chunk.length;
      const found = rows.push(chunk);
      if (found !== false) settle(found);
      else if (decoded > limit) settle(undefined); // more data than the image holds: corrupt or a bomb
    });
    inflater.on("error", () => settle(undefined));
    inflater.on("end", () => settle(rows.complete ? false : undefined));
    // the compressed data goes in a piece at a time, as zlib takes it
    const pieces = idatPieces(plan, INPUT_PIECE);
    const feed = () => {
      for (let piece = pieces.next(); !piece.done; piece = pieces.next()) {
        if (settled) return;
        if (!inflater.write(piece.value)) {
          inflater.once("drain", feed);
          return;
        }
      }
      inflater.end();
    };
    feed();
  });
}

/**
 * Takes the raw (inflated) image data in pieces of any size, unfilters each row once it is whole and
 * tests it. Holds only the current row and the one above.
 */
class RowScanner {
  /** the pass, the row within it, and how many bytes of the current row (filter byte first) arrived */
  private pass = 0;
  private y = 0;
  private filled = 0;
  private row: Buffer;
  private above: Buffer;
  private hasAbove = false;
  private readonly rowLengths: number[];
  private readonly step: number;

  constructor(private readonly plan: Plan) {
    this.rowLengths = plan.passes.map(([w]) => 1 + Math.ceil((w * plan.bitsPerPixel) / 8));
    const longest = Math.max(...this.rowLengths);
    this.row = Buffer.alloc(longest);
    this.above = Buffer.alloc(longest);
    this.step = Math.max(1, plan.bitsPerPixel >> 3);
  }

  /** every row arrived (and none was transparent) */
  get complete(): boolean {
    return this.pass >= this.plan.passes.length;
  }

  /** true at the first transparent pixel, undefined at an unknown filter type, false otherwise (bytes after the last row are ignored) */
  push(data: Buffer): boolean | undefined {
    const { passes, pixel } = this.plan;
    let at = 0;
    while (at < data.length && !this.complete) {
      const length = this.rowLengths[this.pass];
      const n = Math.min(length - this.filled, data.length - at);
      data.copy(this.row, this.filled, at, at + n);
      this.filled += n;
      at += n;
      if (this.filled < length) break;
      const row = this.row;
      if (!unfilter(row, this.hasAbove ? this.above : undefined, length, this.step, pixel.firstByte, pixel.bytes)) return undefined;
      if (pixel.test(row, 1, passes[this.pass][0])) return true;
      this.row = this.above;
      this.above = row;
      this.hasAbove = true;
      this.filled = 0;
      if (++this.y === passes[this.pass][1]) {
        this.pass++;
        this.y = 0;
        this.hasAbove = false;
      }
    }
    return false;
  }
}

/**
 * Undoes the filter of the row d[1 … end - 1] (d[0] is the filter type) in place, for the bytes
 * firstByte … firstByte + bytes - 1 of each pixel (all bytes: 0, step). `up` is the row above (already
 * unfiltered, laid out alike), undefined for the first row of a pass. False for an unknown filter
 * type. Uint8Array stores wrap modulo 256, as the filters want.
 */
function unfilter(d: Buffer, up: Buffer | undefined, end: number, step: number, firstByte: number, bytes: number): boolean {
  const filter = d[0];
  if (filter === 0) return true;
  if (filter > 4) return false;
  for (let lane = firstByte; lane < firstByte + bytes; lane++) {
    const first = 1 + lane; // this byte of the row's first pixel: it has no left neighbour
    if (first >= end) break;
    if (filter === 1 || (!up && filter === 4)) {
      // Sub; and Paeth on a first row, where above and upper left are 0 and the left byte is chosen
      for (let i = first + step; i < end; i += step) d[i] += d[i - step];
    } else if (filter === 2) {
      if (!up) continue; // Up on a first row adds 0
      for (let i = first; i < end; i += step) d[i] += up[i];
    } else if (filter === 3) {
      if (!up) {
        for (let i = first + step; i < end; i += step) d[i] += d[i - step] >> 1;
        continue;
      }
      d[first] += up[first] >> 1;
      for (let i = first + step; i < end; i += step) d[i] += (d[i - step] + up[i]) >> 1;
    } else {
      d[first] += up![first]; // Paeth with a and c 0 picks b
      for (let i = first + step; i < end; i += step) {
        const a = d[i - step];
        const b = up![i];
        const c = up![i - step];
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
    return samples(
      depth,
      (d, start, width) => {
        for (let i = start, end = start + width; i < end; i++) if (transparent[d[i]]) return true;
        return false;
      },
      (index) => transparent[index] === 1,
    );
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
    return samples(
      depth,
      (d, start, width) => {
        for (let i = start, end = start + width; i < end; i++) if (d[i] === key) return true;
        return false;
      },
      (value) => value === key,
    );
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
