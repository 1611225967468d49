/**
 * A small SVG "author" for the test server: a valid, self-contained SVG 1.1
 * document of exactly width×height user units (width, height and viewBox set),
 * with a gradient background (left out for a transparent background), a few
 * shapes placed by `seed`, and the prompt as an XML-escaped <title>. No
 * scripts, no external references.
 */

export interface SvgOptions {
  seed?: number;
  transparent?: boolean;
  /** shown as the document's <title> (escaped) */
  title?: string;
}

export const SVG_NS = "http://www.w3.org/2000/svg";

/** Escapes text for XML character data and attribute values; drops characters XML 1.0 does not allow. */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

const hex = (n: number) => n.toString(16).padStart(2, "0");
function colour(seed: number, i: number): string {
  const v = (seed * 97 + i * 61) & 0xff;
  return `#${hex(v)}${hex((v * 3 + 40) & 0xff)}${hex((255 - v) & 0xff)}`;
}
const num = (n: number) => String(Math.round(n * 100) / 100);

export function encodeSvg(width: number, height: number, opts: SvgOptions = {}): Buffer {
  for (const [label, v] of [
    ["width", width],
    ["height", height],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`encodeSvg: ${label} must be a positive integer, got ${v}`);
  }
  const seed = opts.seed ?? 0;
  const lines = [`<svg xmlns="${SVG_NS}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`];
  if (opts.title !== undefined) lines.push(`  <title>${escapeXml(opts.title)}</title>`);
  lines.push(
    "  <defs>",
    `    <linearGradient id="bg" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${colour(seed, 0)}"/><stop offset="1" stop-color="${colour(seed, 1)}"/></linearGradient>`,
    "  </defs>",
  );
  if (!opts.transparent) lines.push(`  <rect x="0" y="0" width="${width}" height="${height}" fill="url(#bg)"/>`);
  const r = Math.min(width, height);
  const cx = width * (0.3 + ((seed * 13) % 40) / 100);
  const cy = height * 0.45;
  lines.push(
    `  <circle cx="${num(cx)}" cy="${num(cy)}" r="${num(r * 0.22)}" fill="${colour(seed, 2)}" stroke="#ffffff" stroke-width="${num(Math.max(1, r / 100))}"/>`,
    `  <rect x="${num(width * 0.1)}" y="${num(height * 0.75)}" width="${num(width * 0.8)}" height="${num(height * 0.08)}" rx="${num(r * 0.02)}" fill="${colour(seed, 3)}"/>`,
    `  <path d="M ${num(width * 0.1)} ${num(height * 0.2)} L ${num(width * 0.3)} ${num(height * 0.1)} L ${num(width * 0.5)} ${num(height * 0.2)} Z" fill="${colour(seed, 4)}" opacity="0.8"/>`,
    "</svg>",
  );
  return Buffer.from(lines.join("\n") + "\n", "utf8");
}

/** Width and height attributes of the root <svg> element, or undefined when the bytes do not start with one. */
export function svgSize(data: Buffer): { width: number; height: number } | undefined {
  const head = data.subarray(0, 1024).toString("utf8");
  const m = /^\s*(?:<\?xml[^>]*\?>\s*)?<svg\b([^>]*)>/.exec(head);
  if (!m) return undefined;
  const w = /\swidth="(\d+)"/.exec(m[1]);
  const h = /\sheight="(\d+)"/.exec(m[1]);
  return w && h ? { width: Number(w[1]), height: Number(h[1]) } : undefined;
}
