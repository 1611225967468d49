/**
 * Shapes finished images into what leaves the node: the payload in the chosen form,
 * msg.images metadata read from the bytes, msg.usage (and msg.svgUsage), and join-ready msg.parts.
 */
import type { ImagesResult, ProducedImage } from "../answer/images-response";
import type { OutputForm } from "../check/params";
import { sniffImage } from "../images/sniff";
import type { Cost } from "../cost/price";

export interface ImageMeta {
  /** sniffed from the bytes; the answer's output_format only when the bytes are not recognised */
  mimeType?: string;
  /** in pixels, where the image says (an SVG may give no size) */
  width?: number;
  height?: number;
  /** GIF only: the number of frames */
  frames?: number;
  bytes?: number;
  revisedPrompt?: string;
  /** the model that made the image (the one sent) */
  model?: string;
  /** the retired model that was asked for, when its replacement made the image */
  replacedModel?: string;
  url?: string;
}

export interface OutputOptions {
  form: OutputForm;
  /** one message per image (with msg.parts) instead of one message with an array */
  split: boolean;
  /** the msg property that receives the image(s), default "payload" */
  property: string;
}

/** What the node needs from Node-RED to write messages (kept abstract: no Node-RED import here). */
export interface MessageTools {
  setProperty(msg: Record<string, unknown>, property: string, value: unknown): void;
  clone<T>(msg: T): T;
  newId(): string;
}

/** MIME types of the Images API's output_format values */
const FORMAT_MIME: Record<string, string> = {
  png: "image/png",
  jpeg: "image/jpeg",
  jpg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
  svg: "image/svg+xml",
};

/**
 * Metadata of one image, read from its bytes. `outputFormat` (the answer's output_format) gives the
 * MIME type only when the bytes are not recognised: what the bytes are wins over what the answer says.
 */
export function describeImage(image: ProducedImage, outputFormat?: string): ImageMeta {
  const meta: ImageMeta = {};
  if (image.data) {
    const info = sniffImage(image.data);
    if (info) {
      meta.mimeType = info.mime;
      if (info.width > 0 && info.height > 0) {
        meta.width = info.width;
        meta.height = info.height;
      }
      if (info.frames !== undefined) meta.frames = info.frames;
    } else if (outputFormat !== undefined && Object.hasOwn(FORMAT_MIME, outputFormat)) {
      meta.mimeType = FORMAT_MIME[outputFormat];
    }
    meta.bytes = image.data.length;
  }
  if (image.revisedPrompt !== undefined) meta.revisedPrompt = image.revisedPrompt;
  if (image.url !== undefined) meta.url = image.url;
  return meta;
}

export function imageValue(image: ProducedImage, meta: ImageMeta, form: OutputForm): unknown {
  switch (form) {
    case "url":
      return image.url;
    case "base64":
      return image.data?.toString("base64");
    case "dataUrl":
      return `data:${meta.mimeType ?? "application/octet-stream"};base64,${image.data?.toString("base64")}`;
    default:
      return image.data;
  }
}

/** Builds the output message(s) from the input message (which is reused). */
export function buildMessages<M extends Record<string, unknown>>(
  msg: M,
  result: ImagesResult,
  options: OutputOptions,
  tools: MessageTools,
  origin?: { model: string; replaced?: string; cost?: Cost },
): M[] {
  const metas = result.images.map((image) => {
    const meta = describeImage(image, result.outputFormat);
    if (origin) meta.model = origin.model;
    if (origin?.replaced) meta.replacedModel = origin.replaced;
    return meta;
  });
  const values = result.images.map((image, i) => imageValue(image, metas[i], options.form));
  const finish = (m: M, value: unknown, images: ImageMeta[]) => {
    tools.setProperty(m, options.property, value);
    (m as Record<string, unknown>).images = images;
    if (result.usage !== undefined) (m as Record<string, unknown>).usage = result.usage;
    else delete (m as Record<string, unknown>).usage;
    if (result.svgUsage !== undefined) (m as Record<string, unknown>).svgUsage = result.svgUsage;
    else delete (m as Record<string, unknown>).svgUsage;
    // the request's cost; split into one message per image, each carries its share (they add up to the whole)
    const cost = origin?.cost;
    if (cost)
      (m as Record<string, unknown>).cost = options.split ? { ...cost, usd: Math.round((cost.usd / values.length) * 1e6) / 1e6 } : cost;
    else delete (m as Record<string, unknown>).cost;
    return m;
  };
  if (!options.split) {
    return [finish(msg, values.length === 1 ? values[0] : values, metas)];
  }
  const id = tools.newId();
  const outer = msg.parts;
  return values.map((value, index) => {
    const m = index === values.length - 1 ? msg : tools.clone(msg);
    const parts: Record<string, unknown> = { id, index, count: values.length, type: "array", len: 1 };
    if (options.property !== "payload") parts.property = options.property;
    if (outer !== undefined) parts.parts = outer;
    (m as Record<string, unknown>).parts = parts;
    return finish(m, value, [metas[index]]);
  });
}

/** A message for one partial image of a stream: a copy of the input with the partial in the output form. */
export function partialMessage<M extends Record<string, unknown>>(
  msg: M,
  partial: { data: Buffer; partialIndex: number; imageIndex: number },
  options: OutputOptions,
  tools: MessageTools,
): M {
  const m = tools.clone(msg) as Record<string, unknown>;
  const image = { data: partial.data };
  const meta = describeImage(image);
  tools.setProperty(m, options.property, imageValue(image, meta, options.form === "url" ? "buffer" : options.form));
  m.partial = true;
  m.partialIndex = partial.partialIndex;
  m.imageIndex = partial.imageIndex;
  m.images = [meta];
  delete m.usage;
  delete m.svgUsage;
  delete m.cost;
  return m as M;
}
