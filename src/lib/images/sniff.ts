/**
 * Reads what an image really is from its bytes: format, width, height, alpha, and whether the
 * file is complete. Never trusts a file name or a declared type.
 */
import { sniffSvg } from "./svg-size";

export interface ImageInfo {
  mime: "image/png" | "image/jpeg" | "image/webp" | "image/gif" | "image/svg+xml";
  ext: "png" | "jpeg" | "webp" | "gif" | "svg";
  /** in pixels; 0 where the file does not say (an SVG without width, height and viewBox) */
  width: number;
  height: number;
  /** GIF: a frame has a transparent colour; SVG: always true (a drawing has no background) */
  hasAlpha: boolean;
  /** GIF only: the number of frames (image descriptors) */
  frames?: number;
  /** why the file cannot be used although its format was recognised (truncated, corrupt) */
  problem?: string;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function sniffImage(buf: Buffer): ImageInfo | undefined {
  if (buf.length >= 8 && buf.subarray(0, 8).equals(PNG_SIGNATURE)) return png(buf);
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return jpeg(buf);
  if (buf.length >= 12 && buf.toString("latin1", 0, 4) === "RIFF" && buf.toString("latin1", 8, 12) === "WEBP") return webp(buf);
  if (buf.length >= 6 && /^GIF8[79]a$/.test(buf.toString("latin1", 0, 6))) return gif(buf);
  return sniffSvg(buf);
}

/** A short description of unrecognised data, for error messages. */
export function describeUnknown(buf: Buffer): string {
  if (buf.length === 0) return "empty data (0 bytes)";
  const head = buf.toString("latin1", 0, Math.min(buf.length, 32));
  if (buf.length >= 12 && head.slice(4, 8) === "ftyp") {
    const brand = head.slice(8, 12).trim();
    if (/hei|hev|mif|msf/.test(brand)) return "a HEIC/HEIF image (not accepted: convert it to PNG, JPEG or WebP)";
    if (/avi/.test(brand)) return "an AVIF image (not accepted: convert it to PNG, JPEG or WebP)";
    return `an ISO media file (${brand})`;
  }
  if (head.startsWith("BM")) return "a BMP image (not accepted: convert it to PNG, JPEG or WebP)";
  if (head.startsWith("%PDF")) return "a PDF document";
  if (/^(II\*\0|MM\0\*)/.test(head)) return "a TIFF image (not accepted: convert it to PNG, JPEG or WebP)";
  const sample = buf.subarray(0, Math.min(buf.length, 512));
  const printable = sample.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127) || b >= 128);
  if (printable) return `text (${JSON.stringify(buf.toString("utf8", 0, Math.min(buf.length, 24)))}…)`;
  return `unknown data starting with ${buf.subarray(0, 8).toString("hex").replace(/(..)/g, "$1 ").trim()}`;
}

function png(buf: Buffer): ImageInfo {
  const info: ImageInfo = { mime: "image/png", ext: "png", width: 0, height: 0, hasAlpha: false };
  let offset = 8;
  let sawIhdr = false;
  let sawIdat = false;
  while (offset + 8 <= buf.length) {
    const length = buf.readUInt32BE(offset);
    const type = buf.toString("latin1", offset + 4, offset + 8);
    const dataStart = offset + 8;
    const next = dataStart + length + 4; // + CRC
    if (next > buf.length) return { ...info, problem: `the PNG is truncated (${type} chunk cut off)` };
    if (type === "IHDR") {
      if (length < 13) return { ...info, problem: "the PNG header is corrupt" };
      info.width = buf.readUInt32BE(dataStart);
      info.height = buf.readUInt32BE(dataStart + 4);
      const colorType = buf[dataStart + 9];
      info.hasAlpha = colorType === 4 || colorType === 6;
      sawIhdr = true;
    } else if (type === "tRNS") {
      info.hasAlpha = true;
    } else if (type === "IDAT") {
      sawIdat = true;
    } else if (type === "IEND") {
      if (!sawIhdr || !sawIdat) return { ...info, problem: "the PNG has no image data" };
      return info;
    }
    offset = next;
  }
  return { ...info, problem: "the PNG is truncated (no IEND chunk)" };
}

function jpeg(buf: Buffer): ImageInfo {
  const info: ImageInfo = { mime: "image/jpeg", ext: "jpeg", width: 0, height: 0, hasAlpha: false };
  let offset = 2;
  while (offset + 4 <= buf.length) {
    if (buf[offset] !== 0xff) return { ...info, problem: "the JPEG is corrupt (bad marker)" };
    const marker = buf[offset + 1];
    if (marker === 0xff) {
      offset++;
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      offset += 2;
      continue;
    }
    const length = buf.readUInt16BE(offset + 2);
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof && offset + 9 <= buf.length) {
      info.height = buf.readUInt16BE(offset + 5);
      info.width = buf.readUInt16BE(offset + 7);
    }
    if (marker === 0xda) {
      // start of scan: the entropy-coded data runs to the end-of-image marker
      if (!info.width) return { ...info, problem: "the JPEG has no frame header" };
      const end = buf.lastIndexOf(Buffer.from([0xff, 0xd9]));
      return end > offset ? info : { ...info, problem: "the JPEG is truncated (no end-of-image marker)" };
    }
    offset += 2 + length;
  }
  return { ...info, problem: "the JPEG is truncated" };
}

function webp(buf: Buffer): ImageInfo {
  const info: ImageInfo = { mime: "image/webp", ext: "webp", width: 0, height: 0, hasAlpha: false };
  const riffSize = buf.readUInt32LE(4);
  if (riffSize + 8 > buf.length) return { ...info, problem: "the WebP is truncated" };
  const chunk = buf.toString("latin1", 12, 16);
  const data = 20;
  if (chunk === "VP8X" && buf.length >= data + 10) {
    info.hasAlpha = (buf[data] & 0x10) !== 0;
    info.width = 1 + buf.readUIntLE(data + 4, 3);
    info.height = 1 + buf.readUIntLE(data + 7, 3);
  } else if (chunk === "VP8 " && buf.length >= data + 10) {
    info.width = buf.readUInt16LE(data + 6) & 0x3fff;
    info.height = buf.readUInt16LE(data + 8) & 0x3fff;
  } else if (chunk === "VP8L" && buf.length >= data + 5) {
    const bits = buf.readUInt32LE(data + 1);
    info.width = 1 + (bits & 0x3fff);
    info.height = 1 + ((bits >> 14) & 0x3fff);
    info.hasAlpha = ((bits >> 28) & 1) === 1;
  } else {
    return { ...info, problem: "the WebP is corrupt (unknown first chunk)" };
  }
  return info;
}

/**
 * Walks the GIF block structure (GIF89a spec): header, logical screen descriptor, global colour
 * table, then extensions (0x21), image descriptors (0x2C) and the trailer (0x3B). Counts the frames
 * and notes a transparent colour in any graphic control extension; decodes no pixel data.
 */
function gif(buf: Buffer): ImageInfo {
  const info: ImageInfo = { mime: "image/gif", ext: "gif", width: 0, height: 0, hasAlpha: false, frames: 0 };
  if (buf.length < 13) {
    if (buf.length >= 10) {
      info.width = buf.readUInt16LE(6);
      info.height = buf.readUInt16LE(8);
    }
    return { ...info, problem: "the GIF is truncated (no screen descriptor)" };
  }
  info.width = buf.readUInt16LE(6);
  info.height = buf.readUInt16LE(8);
  const screenFlags = buf[10];
  let offset = 13;
  if (screenFlags & 0x80) offset += 3 << ((screenFlags & 7) + 1);
  let frames = 0;
  /** skips data sub-blocks from offset up to and including the block terminator; -1 when cut off */
  const skipSubBlocks = (at: number): number => {
    while (at < buf.length) {
      const size = buf[at];
      at += 1 + size;
      if (size === 0) return at;
    }
    return -1;
  };
  const cut = (what: string): ImageInfo => ({ ...info, frames, problem: `the GIF is truncated (${what} cut off)` });
  while (offset < buf.length) {
    const block = buf[offset];
    if (block === 0x3b) {
      info.frames = frames;
      return frames === 0 ? { ...info, problem: "the GIF has no image data" } : info;
    }
    if (block === 0x21) {
      if (offset + 2 > buf.length) return cut("extension");
      const label = buf[offset + 1];
      if (label === 0xf9 && offset + 4 <= buf.length && buf[offset + 2] >= 4 && (buf[offset + 3] & 1) === 1) {
        info.hasAlpha = true; // graphic control extension with the transparent-colour flag
      }
      const next = skipSubBlocks(offset + 2);
      if (next < 0) return cut("extension");
      offset = next;
    } else if (block === 0x2c) {
      if (offset + 10 > buf.length) return cut("image descriptor");
      const flags = buf[offset + 9];
      offset += 10;
      if (flags & 0x80) offset += 3 << ((flags & 7) + 1);
      if (offset >= buf.length) return cut("image data");
      const minCodeSize = buf[offset];
      if (minCodeSize < 1 || minCodeSize > 11) {
        return { ...info, frames, problem: `the GIF is corrupt (LZW code size ${minCodeSize})` };
      }
      const next = skipSubBlocks(offset + 1);
      if (next < 0) return cut("image data");
      frames++;
      offset = next;
    } else {
      return { ...info, frames, problem: `the GIF is corrupt (unknown block 0x${block.toString(16).padStart(2, "0")})` };
    }
  }
  return { ...info, frames, problem: "the GIF is truncated (no trailer)" };
}
