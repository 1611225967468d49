/**
 * multipart/form-data for /images/edits, as a list of parts: the headers and boundaries as small Buffers
 * and the images as the very Buffers the message holds (never copied into one body, so a 16 × 20 MB edit
 * costs no second 320 MB). Every retry sends the same parts, so identical bytes; every file part has a
 * filename and its real content type (never application/octet-stream).
 */
import { randomBytes } from "node:crypto";
import type { ImageFile } from "./image-input";
import type { Params } from "./params";

export type ArrayStyle = "brackets" | "repeat";

export interface EditForm {
  images: ImageFile[];
  mask?: ImageFile;
  /** a transparent PNG drawn over the first image: what to change where (never with a mask) */
  markup?: ImageFile;
  /** scalar parameters, prompt and model included */
  fields: Params;
  /** several images as repeated `image[]` (OpenAI, the SDK) or repeated `image` (some gateways) */
  arrayStyle?: ArrayStyle;
}

export interface Multipart {
  /** the body, in order: to be sent one after the other (Buffer.concat(parts) is the whole body) */
  parts: Buffer[];
  /** bytes of all parts: the content-length */
  length: number;
  contentType: string;
}

const CRLF = "\r\n";

function quote(name: string): string {
  return name.replace(/[\r\n"\\]/g, (c) => encodeURIComponent(c));
}

/** Parameters of the API that are objects: sent as bracketed fields. Other objects (gateway extras) go as JSON text. */
const NESTED_PARAMS = new Set(["svg"]);

function fieldText(value: unknown): string {
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/**
 * Form fields of one parameter, as the official SDK encodes them: a nested object as bracketed names
 * (`svg[model]`, `svg[reasoning][effort]`), an array as repeated `name[]`, a scalar as its text.
 */
export function formFields(name: string, value: unknown): Array<[string, string]> {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.flatMap((v) => formFields(`${name}[]`, v));
  if (typeof value === "object" && !Buffer.isBuffer(value)) {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => formFields(`${name}[${k}]`, v));
  }
  return [[name, String(value)]];
}

export interface FilePart {
  name: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

/**
 * Text fields first (model and prompt lead, so a streaming parser knows what it is receiving),
 * then the images in order, then the mask or the markup.
 */
export function encodeEditForm(form: EditForm): Multipart {
  const imageName = form.images.length > 1 && form.arrayStyle !== "repeat" ? "image[]" : "image";
  const files = form.images.map((file) => ({ name: imageName, file }));
  if (form.mask) files.push({ name: "mask", file: form.mask });
  if (form.markup) files.push({ name: "markup", file: form.markup });
  return encodeForm(
    form.fields,
    files.map(({ name, file }) => ({ name, filename: file.filename, contentType: file.info.mime, data: file.data })),
  );
}

/** A multipart/form-data body: the text fields (model and prompt first), then the files in order. */
export function encodeForm(fields: Params, files: FilePart[]): Multipart {
  const boundary = `----images-api-${randomBytes(12).toString("hex")}`;
  const chunks: Buffer[] = [];
  const head = (disposition: string, type?: string) =>
    Buffer.from(
      `--${boundary}${CRLF}Content-Disposition: form-data; ${disposition}${CRLF}${type ? `Content-Type: ${type}${CRLF}` : ""}${CRLF}`,
    );

  const keys = Object.keys(fields).sort((a, b) => rank(a) - rank(b));
  for (const key of keys) {
    const value = fields[key];
    if (value === undefined || value === null) continue;
    const texts: Array<[string, string]> = NESTED_PARAMS.has(key) ? formFields(key, value) : [[key, fieldText(value)]];
    for (const [name, text] of texts) {
      chunks.push(head(`name="${quote(name)}"`), Buffer.from(text), Buffer.from(CRLF));
    }
  }
  for (const file of files) {
    chunks.push(head(`name="${quote(file.name)}"; filename="${quote(file.filename)}"`, file.contentType), file.data, Buffer.from(CRLF));
  }
  chunks.push(Buffer.from(`--${boundary}--${CRLF}`));
  return { parts: chunks, length: chunks.reduce((n, c) => n + c.length, 0), contentType: `multipart/form-data; boundary=${boundary}` };
}

function rank(key: string): number {
  return key === "model" ? 0 : key === "prompt" ? 1 : 2;
}
