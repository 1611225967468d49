/**
 * Turns what a flow hands the edit node (a Buffer, a base64 string, a data: URL, or an array of
 * these) into checked image files, and checks them against the model's edit rules before sending.
 */
import { isUint8Array } from "node:util/types";
import { ImagesApiError, listOr, show } from "../errors";
import { GENERIC_LIMITS, type ModelRule } from "../models/table";
import type { CheckedRequest } from "./params";
import { modelsTaking, notTaken } from "./params";
import { pngHasTransparentPixel } from "../images/png-alpha";
import { describeUnknown, sniffImage, type ImageInfo } from "../images/sniff";

export interface ImageFile {
  data: Buffer;
  info: ImageInfo;
  /** e.g. "image-1.png", "mask.png" */
  filename: string;
}

const MB = 1024 * 1024;
const MASK_MAX_BYTES = 4 * MB;
/** the largest input any known model takes; also the cap for gateway models */
const GENERIC_MAX_BYTES = 50 * MB;
/** what the edits endpoint takes at all, whatever the model */
const GENERIC_FORMATS = ["image/png", "image/jpeg", "image/webp"];
const DATA_URL = /^data:([^;,]*)(;[^,]*)?,/;
/**
 * base64 with white space anywhere (MIME line breaks). White space after the padding only ever follows an "=", so
 * no two parts of the pattern can take the same spaces: linear even on long runs of spaces.
 */
const BASE64 = /^[A-Za-z0-9+/\s]*(?:=\s*){0,2}$/;

function invalidImage(message: string, parameter: string): ImagesApiError {
  return new ImagesApiError("invalid_image", message, { parameter });
}

/** Bytes from one input value; `where` names it in messages ("image 2", "mask"). */
export function toBytes(value: unknown, where: string): Buffer {
  if (Buffer.isBuffer(value)) return value;
  // from this realm or a function node's (a vm context of its own, with its own Uint8Array)
  if (isUint8Array(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === "string") {
    const text = value.trim();
    const m = DATA_URL.exec(text);
    if (m) {
      if (!/;base64/i.test(m[2] ?? "")) throw invalidImage(`${where} is a data URL that is not base64-encoded`, where);
      return decodeBase64(text.slice(m[0].length), where);
    }
    if (/^https?:\/\//i.test(text)) {
      throw invalidImage(`${where} is a URL; download it first (e.g. with an http request node set to return a binary buffer)`, where);
    }
    return decodeBase64(text, where);
  }
  throw invalidImage(`${where} must be a Buffer, a base64 string or a data: URL, got ${show(value)}`, where);
}

function decodeBase64(text: string, where: string): Buffer {
  if (text.length === 0 || !BASE64.test(text)) {
    throw invalidImage(`${where} is a string that is neither base64 nor a data: URL (${show(text)})`, where);
  }
  return Buffer.from(text, "base64");
}

/** Reads and recognises one image, or says what was found instead. */
export function readImage(value: unknown, where: string, filenameBase: string): ImageFile {
  const data = toBytes(value, where);
  if (data.length === 0) throw invalidImage(`${where} is empty (0 bytes)`, where);
  const info = sniffImage(data);
  if (!info) throw invalidImage(`${where} is not a PNG, JPEG or WebP image: found ${describeUnknown(data)}`, where);
  if (info.problem) throw invalidImage(`${where} cannot be used: ${info.problem}`, where);
  return { data, info, filename: `${filenameBase}.${info.ext === "jpeg" ? "jpg" : info.ext}` };
}

function megabytes(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

/** The images to edit, checked against the model's edit rule (or generic limits for gateway models). */
export function readEditImages(value: unknown, model: string, rule: ModelRule | undefined, now?: Date): ImageFile[] {
  if (value === undefined || value === null) {
    throw invalidImage("no image to edit: set the node's Image property (default msg.payload) to a Buffer, base64 or data URL", "image");
  }
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw invalidImage("the image array is empty", "image");
  if (rule && !rule.edit) {
    throw new ImagesApiError(
      "invalid_params",
      `${model} cannot edit images; use ${listOr(modelsTaking((r) => r.edit !== null, now).ids)}`,
      {
        parameter: "model",
      },
    );
  }
  const edit = rule?.edit;
  const maxImages = edit ? edit.maxImages : GENERIC_LIMITS.editMaxImages;
  if (list.length > maxImages) {
    throw new ImagesApiError(
      "invalid_params",
      `${list.length} images given; ${rule ? model : "the edits endpoint"} takes at most ${maxImages}`,
      { parameter: "image" },
    );
  }
  const maxBytes = edit ? edit.maxBytes : GENERIC_MAX_BYTES;
  return list.map((item, i) => {
    const where = list.length > 1 ? `image ${i + 1} of ${list.length}` : "image";
    // size first: a 60 MB input is refused without being parsed further
    const data = toBytes(item, where);
    if (data.length >= maxBytes) {
      throw new ImagesApiError(
        "image_too_large",
        `${where} is ${megabytes(data.length)}; ${rule ? model : "the edits endpoint"} takes files under ${megabytes(maxBytes)}`,
        { parameter: where },
      );
    }
    const file = readImage(data, where, list.length > 1 ? `image-${i + 1}` : "image");
    const formats = edit ? edit.formats : GENERIC_FORMATS;
    if (!formats.includes(file.info.mime)) {
      throw invalidImage(`${where} is ${file.info.mime}; ${rule ? model : "the edits endpoint"} takes ${listOr(formats)}`, where);
    }
    if (edit?.square && file.info.width !== file.info.height) {
      throw invalidImage(`${where} is ${file.info.width}x${file.info.height}; ${model} takes only square images`, where);
    }
    return file;
  });
}

/** The mask: a PNG with an alpha channel, the same size as the first image, under 4 MB. */
export function readMask(value: unknown, first: ImageFile): ImageFile | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const data = toBytes(value, "mask");
  if (data.length >= MASK_MAX_BYTES) {
    throw new ImagesApiError("image_too_large", `mask is ${megabytes(data.length)}; masks must be under 4 MB`, { parameter: "mask" });
  }
  const mask = readImage(data, "mask", "mask");
  const size = (f: ImageFile) => `${f.info.width}x${f.info.height}`;
  if (mask.info.mime !== "image/png") {
    throw new ImagesApiError("mask_mismatch", `mask must be a PNG with an alpha channel, got ${mask.info.mime}`, { parameter: "mask" });
  }
  if (!mask.info.hasAlpha) {
    throw new ImagesApiError(
      "mask_mismatch",
      "mask has no alpha channel: transparent pixels mark the area to edit, so save it as an RGBA PNG",
      { parameter: "mask" },
    );
  }
  if (mask.info.width !== first.info.width || mask.info.height !== first.info.height) {
    throw new ImagesApiError("mask_mismatch", `mask is ${size(mask)} but the first image is ${size(first)}; they must be the same size`, {
      parameter: "mask",
    });
  }
  return mask;
}

/**
 * The markup: a PNG with transparent pixels, the same size as the first image, drawn over it to show
 * what to change where. Never together with a mask; only for models that take it.
 */
export async function readMarkup(
  value: unknown,
  first: ImageFile,
  mask: ImageFile | undefined,
  checked: CheckedRequest,
  now?: Date,
): Promise<ImageFile | undefined> {
  if (value === undefined || value === null || value === "") return undefined;
  if (mask) {
    throw new ImagesApiError(
      "invalid_params",
      "markup and mask cannot be sent together: a mask marks the area to edit, markup draws what to change; give one of them",
      { parameter: "markup" },
    );
  }
  if (checked.rule && !checked.rule.markup) {
    throw new ImagesApiError(
      "invalid_params",
      notTaken("markup", checked.model, (r) => r.markup, now),
      { parameter: "markup" },
    );
  }
  const data = toBytes(value, "markup");
  const maxBytes = checked.rule?.edit?.maxBytes ?? GENERIC_MAX_BYTES;
  if (data.length >= maxBytes) {
    throw new ImagesApiError("image_too_large", `markup is ${megabytes(data.length)}; it must be under ${megabytes(maxBytes)}`, {
      parameter: "markup",
    });
  }
  const markup = readImage(data, "markup", "markup");
  if (markup.info.mime !== "image/png") {
    throw invalidImage(`markup must be a PNG with transparent pixels (drawn over the image), got ${markup.info.mime}`, "markup");
  }
  // the size first: it is read from the header, before anything is decoded
  if (markup.info.width !== first.info.width || markup.info.height !== first.info.height) {
    throw invalidImage(
      `markup is ${markup.info.width}x${markup.info.height} but the first image is ${first.info.width}x${first.info.height}; they must be the same size`,
      "markup",
    );
  }
  // streamed through zlib on the thread pool: a 4096x4096 markup is 64 MB of pixels
  if (!markup.info.hasAlpha || (await pngHasTransparentPixel(markup.data)) === false) {
    throw invalidImage(
      "markup has no transparent pixels: it is drawn over the first image, so everything but the marks must be transparent (an RGBA PNG)",
      "markup",
    );
  }
  return markup;
}

/** What the output format forbids of the edit inputs: GIF output takes no mask. */
export function checkOverlays(checked: CheckedRequest, mask: ImageFile | undefined): void {
  if (mask && checked.params.output_format === "gif") {
    throw new ImagesApiError(
      "invalid_params",
      'a mask cannot be used with output_format "gif": GIF edits take no mask; remove the mask or choose png, jpeg or webp',
      {
        parameter: "mask",
      },
    );
  }
}
