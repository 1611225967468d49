/**
 * Recognises an SVG document from its first bytes and reads its size from the root element's
 * start tag (width/height, else viewBox). Does not parse the document: only the prolog (BOM,
 * XML declaration, comments, processing instructions, DOCTYPE) and the root start tag are read.
 */
import type { ImageInfo } from "./sniff";

/** the root element must start within this many bytes */
const PROLOG_MAX = 4096;
/** how far the root start tag may run (its attributes can be long: inline styles, namespaces) */
const TAG_MAX = 16 * 1024;
/** how much of the end is searched for the closing root tag */
const TAIL_BYTES = 1024;

/** CSS absolute units in px (SVG user units) */
const UNITS: Record<string, number> = { "": 1, px: 1, in: 96, cm: 96 / 2.54, mm: 96 / 25.4, q: 96 / 101.6, pt: 96 / 72, pc: 16 };
const LENGTH = /^\+?((?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(px|in|cm|mm|q|pt|pc)?$/i;
const TRAILING_SPACE = /[ \t\r\n]+$/;
const ROOT_NAME = /^<([A-Za-z_][\w.-]*:)?svg(?=[\s/>])/;

/** An SVG's ImageInfo, or undefined when the data is not an SVG document. */
export function sniffSvg(buf: Buffer): ImageInfo | undefined {
  const bom = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  // latin1: one character per byte, so no multi-byte character is cut; names and numbers are ASCII
  const text = buf.toString("latin1", bom, Math.min(buf.length, bom + PROLOG_MAX + TAG_MAX));
  const root = findRoot(text);
  if (!root) return undefined;
  const info: ImageInfo = { mime: "image/svg+xml", ext: "svg", width: 0, height: 0, hasAlpha: true };
  const tag = startTag(text, root.at);
  const attributes = readAttributes(tag.text, root.prefix.length + 4);
  const size = svgSize(attributes.get("width"), attributes.get("height"), attributes.get("viewBox"));
  info.width = size.width;
  info.height = size.height;
  // a tag longer than TAG_MAX is fine (its first attributes were read); one cut off by the end of the data is not
  if (!tag.closed && bom + text.length >= buf.length) return { ...info, problem: "the SVG is truncated (root start tag cut off)" };
  if (!tag.selfClosing && !endsWithClosingTag(buf, root.prefix)) {
    return { ...info, problem: "the SVG is truncated (no closing </svg> tag)" };
  }
  return info;
}

/**
 * The size an SVG renders at by default: width and height where both are absolute lengths;
 * one of them with the viewBox's aspect ratio; else the viewBox's width and height. Rounded; 0 when unknown.
 */
export function svgSize(
  width: string | undefined,
  height: string | undefined,
  viewBox: string | undefined,
): { width: number; height: number } {
  let w = svgLength(width);
  let h = svgLength(height);
  const box = parseViewBox(viewBox);
  if (box && (w === undefined || h === undefined)) {
    if (w !== undefined) h = (w * box.height) / box.width;
    else if (h !== undefined) w = (h * box.width) / box.height;
    else {
      w = box.width;
      h = box.height;
    }
  }
  return { width: Math.round(w ?? 0), height: Math.round(h ?? 0) };
}

/** An absolute length in px ("512", "512px", "10cm"); undefined for %, em, auto, zero, negative or junk. */
function svgLength(value: string | undefined): number | undefined {
  const m = value === undefined || value.length > 64 ? null : LENGTH.exec(value.trim());
  if (!m) return undefined;
  const px = Number(m[1]) * UNITS[(m[2] ?? "").toLowerCase()];
  return Number.isFinite(px) && px > 0 ? px : undefined;
}

function parseViewBox(value: string | undefined): { width: number; height: number } | undefined {
  if (value === undefined || value.length > 256) return undefined;
  const parts = value.trim().split(/[\s,]+/);
  if (parts.length !== 4) return undefined;
  const numbers = parts.map(Number);
  if (!numbers.every(Number.isFinite)) return undefined;
  const [, , width, height] = numbers;
  return width > 0 && height > 0 ? { width, height } : undefined;
}

function isSpace(c: string): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\r";
}

/** Skips the prolog; where the root element starts if it is an svg element (with its namespace prefix, if any). */
function findRoot(text: string): { at: number; prefix: string } | undefined {
  let pos = 0;
  while (pos < PROLOG_MAX && pos < text.length) {
    if (isSpace(text[pos])) {
      pos++;
      continue;
    }
    if (text[pos] !== "<") return undefined;
    if (text.startsWith("<?", pos)) {
      const end = text.indexOf("?>", pos + 2);
      if (end < 0) return undefined;
      pos = end + 2;
    } else if (text.startsWith("<!--", pos)) {
      const end = text.indexOf("-->", pos + 4);
      if (end < 0) return undefined;
      pos = end + 3;
    } else if (text.slice(pos, pos + 9).toUpperCase() === "<!DOCTYPE") {
      const end = doctypeEnd(text, pos + 9);
      if (end < 0) return undefined;
      pos = end + 1;
    } else {
      const m = ROOT_NAME.exec(text.slice(pos, pos + 256));
      return m ? { at: pos, prefix: m[1] ?? "" } : undefined;
    }
  }
  return undefined;
}

/** The index of the '>' that ends a DOCTYPE (past quoted literals and an internal subset [...]), or -1. */
function doctypeEnd(text: string, from: number): number {
  let subset = false;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      const close = text.indexOf(c, i + 1);
      if (close < 0) return -1;
      i = close;
    } else if (c === "[") subset = true;
    else if (c === "]") subset = false;
    else if (c === ">" && !subset) return i;
  }
  return -1;
}

/** The root start tag's text (from "<"), whether its ">" was found, and whether it ends with "/>". */
function startTag(text: string, at: number): { text: string; closed: boolean; selfClosing: boolean } {
  let quote = "";
  for (let i = at + 1; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ">") return { text: text.slice(at, i), closed: true, selfClosing: text[i - 1] === "/" };
  }
  return { text: text.slice(at), closed: false, selfClosing: false };
}

/** The attributes of a start tag (its text from "<" without the ">"), reading from `from` (after the element name); the first of repeated names wins. */
function readAttributes(tag: string, from: number): Map<string, string> {
  const attributes = new Map<string, string>();
  let i = from;
  const skipSpace = () => {
    while (i < tag.length && isSpace(tag[i])) i++;
  };
  while (i < tag.length) {
    skipSpace();
    const nameStart = i;
    while (i < tag.length && !isSpace(tag[i]) && tag[i] !== "=" && tag[i] !== "/" && tag[i] !== '"' && tag[i] !== "'") i++;
    const name = tag.slice(nameStart, i);
    skipSpace();
    if (tag[i] !== "=") {
      if (i === nameStart) i++; // a stray "/" or quote
      continue;
    }
    i++;
    skipSpace();
    const quote = tag[i];
    let value: string;
    if (quote === '"' || quote === "'") {
      const close = tag.indexOf(quote, i + 1);
      const end = close < 0 ? tag.length : close;
      value = tag.slice(i + 1, end);
      i = end + 1;
    } else {
      const valueStart = i;
      while (i < tag.length && !isSpace(tag[i])) i++;
      value = tag.slice(valueStart, i);
    }
    if (name && !attributes.has(name)) attributes.set(name, value);
  }
  return attributes;
}

/** Whether the data ends with the root's closing tag (then only white space, comments or processing instructions). */
function endsWithClosingTag(buf: Buffer, prefix: string): boolean {
  let tail = buf.toString("latin1", Math.max(0, buf.length - TAIL_BYTES));
  for (;;) {
    tail = tail.replace(TRAILING_SPACE, "");
    if (tail.endsWith("-->")) {
      const open = tail.lastIndexOf("<!--");
      if (open < 0) return false;
      tail = tail.slice(0, open);
    } else if (tail.endsWith("?>")) {
      const open = tail.lastIndexOf("<?");
      if (open < 0) return false;
      tail = tail.slice(0, open);
    } else break;
  }
  const close = tail.lastIndexOf("</");
  if (close < 0) return false;
  const name = tail.slice(close + 2, tail.length - 1).replace(TRAILING_SPACE, "");
  return tail.endsWith(">") && name === `${prefix}svg`;
}
