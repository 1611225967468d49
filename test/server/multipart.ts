/**
 * A strict multipart/form-data parser (RFC 7578 / RFC 2046) for the test server.
 *
 * - Part bodies are returned byte-exact (a view on the input buffer).
 * - Line breaks must be CRLF; bare CR or LF in a part's header block is an error.
 * - Every part needs `Content-Disposition: form-data; name="…"`.
 * - Quoted parameter values are taken literally up to the next `"` (browsers and
 *   undici percent-encode `"` as %22 and do not backslash-escape); `filename*`
 *   (RFC 5987) wins over `filename`.
 * - A preamble before the first delimiter and an epilogue after the close
 *   delimiter are allowed, as RFC 2046 says; anything else malformed throws.
 */

export interface FormPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
  /** utf-8 text of non-file parts (parts without a filename) */
  value?: string;
}

export class MultipartError extends Error {
  constructor(message: string) {
    super(`malformed multipart body: ${message}`);
    this.name = "MultipartError";
  }
}

const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;

/** Boundary from a `multipart/form-data; boundary=…` content type; throws otherwise. */
export function getBoundary(contentType: string | undefined): string {
  const [type, ...rest] = (contentType ?? "").split(";");
  if (type.trim().toLowerCase() !== "multipart/form-data") {
    throw new MultipartError(`content type is not multipart/form-data: ${contentType ?? "(none)"}`);
  }
  const params = parseParams(rest.join(";"));
  const boundary = params.get("boundary");
  if (boundary === undefined) throw new MultipartError("no boundary parameter");
  if (boundary.length < 1 || boundary.length > 70 || /[\r\n]/.test(boundary) || / $/.test(boundary)) {
    throw new MultipartError(`invalid boundary ${JSON.stringify(boundary)}`);
  }
  return boundary;
}

/** Parses a whole multipart/form-data body into its parts, in order. */
export function parseMultipart(body: Buffer, boundary: string): FormPart[] {
  const dashBoundary = Buffer.from(`--${boundary}`, "latin1");
  const delimiter = Buffer.from(`\r\n--${boundary}`, "latin1");

  let pos: number;
  if (body.subarray(0, dashBoundary.length).equals(dashBoundary)) {
    pos = dashBoundary.length;
  } else {
    const first = body.indexOf(delimiter); // after a preamble
    if (first < 0) throw new MultipartError("no boundary delimiter found");
    pos = first + delimiter.length;
  }

  const parts: FormPart[] = [];
  for (;;) {
    // just after a delimiter: "--" closes, otherwise optional padding then CRLF
    if (body[pos] === DASH && body[pos + 1] === DASH) {
      checkEpilogue(body, pos + 2);
      return parts;
    }
    pos = skipPadding(body, pos);
    if (body[pos] !== CR || body[pos + 1] !== LF) {
      throw new MultipartError(`expected CRLF after boundary at byte ${pos}`);
    }
    pos += 2;
    if (body[pos] === CR && body[pos + 1] === LF) throw new MultipartError(`part without headers at byte ${pos}`);

    const headerEnd = body.indexOf("\r\n\r\n", pos, "latin1");
    if (headerEnd < 0) throw new MultipartError("unterminated part headers");
    const nextInHeaders = body.indexOf(delimiter, pos);
    if (nextInHeaders >= 0 && nextInHeaders < headerEnd) throw new MultipartError("boundary inside part headers");
    const contentStart = headerEnd + 4;
    const next = body.indexOf(delimiter, contentStart);
    if (next < 0) throw new MultipartError("missing closing boundary");

    const part = partFromHeaders(body.subarray(pos, headerEnd).toString("utf8"));
    part.data = body.subarray(contentStart, next);
    if (part.filename === undefined) part.value = part.data.toString("utf8");
    parts.push(part);
    pos = next + delimiter.length;
  }
}

function skipPadding(body: Buffer, pos: number): number {
  while (body[pos] === 0x20 || body[pos] === 0x09) pos++;
  return pos;
}

function checkEpilogue(body: Buffer, pos: number): void {
  if (pos >= body.length) return;
  const p = skipPadding(body, pos);
  if (p >= body.length) return;
  if (body[p] !== CR || body[p + 1] !== LF) throw new MultipartError("garbage after the close delimiter");
}

function partFromHeaders(block: string): FormPart {
  const headers = new Map<string, string>();
  for (const line of block.split("\r\n")) {
    if (/[\r\n]/.test(line)) throw new MultipartError("bare CR or LF in part headers");
    if (/^[ \t]/.test(line)) throw new MultipartError("folded header lines are not allowed");
    const colon = line.indexOf(":");
    if (colon <= 0) throw new MultipartError(`invalid header line ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) throw new MultipartError(`invalid header name ${JSON.stringify(name)}`);
    if (headers.has(name)) throw new MultipartError(`duplicate ${name} header`);
    headers.set(name, line.slice(colon + 1).trim());
  }

  const disposition = headers.get("content-disposition");
  if (disposition === undefined) throw new MultipartError("part without Content-Disposition");
  const [kind, ...rest] = disposition.split(";");
  if (kind.trim().toLowerCase() !== "form-data") {
    throw new MultipartError(`Content-Disposition is not form-data: ${disposition}`);
  }
  const params = parseParams(rest.join(";"));
  const name = params.get("name");
  if (name === undefined) throw new MultipartError("Content-Disposition without a name");

  const part: FormPart = { name, data: Buffer.alloc(0) };
  const extended = params.get("filename*");
  const filename = extended !== undefined ? decodeExtValue(extended) : params.get("filename");
  if (filename !== undefined) part.filename = filename;
  const contentType = headers.get("content-type");
  if (contentType !== undefined) part.contentType = contentType;
  return part;
}

/** `; a=b; c="d e"` → Map (names lower-cased). Throws on syntax errors and duplicates. */
function parseParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  let i = 0;
  const ws = () => {
    while (text[i] === " " || text[i] === "\t") i++;
  };
  while (i < text.length) {
    ws();
    if (text[i] === ";") {
      i++;
      continue;
    }
    if (i >= text.length) break;
    const eq = text.indexOf("=", i);
    if (eq < 0) throw new MultipartError(`parameter without value in ${JSON.stringify(text)}`);
    const key = text.slice(i, eq).trim().toLowerCase();
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(key)) throw new MultipartError(`invalid parameter name ${JSON.stringify(key)}`);
    i = eq + 1;
    ws();
    let value: string;
    if (text[i] === '"') {
      const close = text.indexOf('"', i + 1);
      if (close < 0) throw new MultipartError(`unterminated quoted value in ${JSON.stringify(text)}`);
      value = text.slice(i + 1, close);
      i = close + 1;
    } else {
      const end = text.slice(i).search(/[;\s]/);
      value = end < 0 ? text.slice(i) : text.slice(i, i + end);
      i += value.length;
      if (value === "") throw new MultipartError(`empty parameter value for ${key}`);
    }
    ws();
    if (i < text.length && text[i] !== ";") throw new MultipartError(`unexpected text after ${key} parameter`);
    if (params.has(key)) throw new MultipartError(`duplicate parameter ${key}`);
    params.set(key, value);
  }
  return params;
}

/** RFC 5987 ext-value: charset'lang'percent-encoded (UTF-8 only). */
function decodeExtValue(value: string): string {
  const m = /^([^']*)'[^']*'(.*)$/.exec(value);
  if (!m || !/^utf-8$/i.test(m[1])) throw new MultipartError(`unsupported filename* value ${JSON.stringify(value)}`);
  try {
    return decodeURIComponent(m[2]);
  } catch {
    throw new MultipartError(`bad percent-encoding in filename* ${JSON.stringify(value)}`);
  }
}

const UNSAFE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/**
 * The text fields (parts without a filename) as request parameters, the way an
 * API reads an SDK's form: `a[b][c]=v` becomes `{ a: { b: { c: "v" } } }`
 * (e.g. `svg[model]`, `svg[reasoning][effort]`). Other names, `key[]` included,
 * stay flat; a later part with the same name wins.
 */
export function formFields(parts: FormPart[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of parts) {
    if (p.filename !== undefined) continue;
    const value = p.value ?? p.data.toString("utf8");
    const m = /^([^[\]]+)((?:\[[^[\]]+\])+)$/.exec(p.name);
    const keys = m ? [m[1], ...Array.from(m[2].matchAll(/\[([^[\]]+)\]/g), (x) => x[1])] : [];
    if (!m || keys.some((k) => UNSAFE_KEYS.has(k))) {
      out[p.name] = value;
      continue;
    }
    let target = out;
    for (const key of keys.slice(0, -1)) {
      const existing = target[key];
      if (existing === null || typeof existing !== "object") target[key] = {};
      target = target[key] as Record<string, unknown>;
    }
    target[keys[keys.length - 1]] = value;
  }
  return out;
}
