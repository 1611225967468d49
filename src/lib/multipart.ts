/**
 * multipart/form-data for /images/edits, built into one Buffer: every retry sends identical bytes,
 * and every file part has a filename and its real content type (never application/octet-stream).
 */
import { randomBytes } from "node:crypto";
import type { ImageFile } from "./image-input";
import type { Params } from "./params";

export type ArrayStyle = "brackets" | "repeat";

export interface EditForm {
  images: ImageFile[];
  mask?: ImageFile;
  /** scalar parameters, prompt and model included */
  fields: Params;
  /** several images as repeated `image[]` (OpenAI, the SDK) or repeated `image` (some gateways) */
  arrayStyle?: ArrayStyle;
}

export interface Multipart {
  body: Buffer;
  contentType: string;
}

const CRLF = "\r\n";

function quote(name: string): string {
  return name.replace(/[\r\n"\\]/g, (c) => encodeURIComponent(c));
}

function fieldText(value: unknown): string {
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/**
 * Text fields first (model and prompt lead, so a streaming parser knows what it is receiving),
 * then the images in order, then the mask.
 */
export function encodeEditForm(form: EditForm): Multipart {
  const boundary = `----images-api-${randomBytes(12).toString("hex")}`;
  const chunks: Buffer[] = [];
  const head = (disposition: string, type?: string) =>
    Buffer.from(`--${boundary}${CRLF}Content-Disposition: form-data; ${disposition}${CRLF}${type ? `Content-Type: ${type}${CRLF}` : ""}${CRLF}`);

  const keys = Object.keys(form.fields).sort((a, b) => rank(a) - rank(b));
  for (const key of keys) {
    const value = form.fields[key];
    if (value === undefined || value === null) continue;
    chunks.push(head(`name="${quote(key)}"`), Buffer.from(fieldText(value)), Buffer.from(CRLF));
  }
  const imageName = form.images.length > 1 && form.arrayStyle !== "repeat" ? "image[]" : "image";
  const files = form.images.map((file) => ({ name: imageName, file }));
  if (form.mask) files.push({ name: "mask", file: form.mask });
  for (const { name, file } of files) {
    chunks.push(head(`name="${name}"; filename="${quote(file.filename)}"`, file.info.mime), file.data, Buffer.from(CRLF));
  }
  chunks.push(Buffer.from(`--${boundary}--${CRLF}`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

function rank(key: string): number {
  return key === "model" ? 0 : key === "prompt" ? 1 : 2;
}
