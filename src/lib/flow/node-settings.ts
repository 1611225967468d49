/**
 * Reads an image node's dialog settings into API parameters (by their API names) and output options.
 */
import type { OutputOptions } from "./messages";
import type { OutputForm, Params } from "../check/params";

/** Dialog properties, as Node-RED stores them (numbers may arrive as strings, unset as ""). */
export interface ImageNodeDef {
  model?: string;
  size?: string;
  quality?: string;
  /** `n` (Node-RED reserves one-letter property names) */
  imageCount?: string | number;
  style?: string;
  background?: string;
  moderation?: string;
  outputFormat?: string;
  outputCompression?: string | number;
  partialImages?: string | number;
  inputFidelity?: string;
  complexity?: string;
  /** GIF output */
  frameCount?: string | number;
  frameDuration?: string | number;
  /** SVG output: the model that writes the SVG, and its reasoning effort */
  svgModel?: string;
  svgEffort?: string;
  safetyIdentifier?: string;
  user?: string;
  output?: string;
  split?: boolean | string;
  property?: string;
}

const TEXT: Array<[keyof ImageNodeDef, string]> = [
  ["model", "model"],
  ["size", "size"],
  ["quality", "quality"],
  ["style", "style"],
  ["background", "background"],
  ["moderation", "moderation"],
  ["outputFormat", "output_format"],
  ["inputFidelity", "input_fidelity"],
  ["complexity", "complexity"],
  ["safetyIdentifier", "safety_identifier"],
  ["user", "user"],
];
const NUMBERS: Array<[keyof ImageNodeDef, string]> = [
  ["imageCount", "n"],
  ["outputCompression", "output_compression"],
  ["partialImages", "partial_images"],
  ["frameCount", "frame_count"],
  ["frameDuration", "frame_duration_ms"],
];

export function nodeSettings(def: ImageNodeDef): Params {
  const params: Params = {};
  for (const [prop, api] of TEXT) {
    const v = def[prop];
    if (typeof v === "string" && v.trim() !== "") params[api] = v.trim();
  }
  for (const [prop, api] of NUMBERS) {
    const v = def[prop];
    if (v === undefined || v === null || v === "") continue;
    const n = typeof v === "number" ? v : Number(String(v).trim());
    // 0 partial images is the API's default: nothing to send
    if (api === "partial_images" && n === 0) continue;
    params[api] = Number.isNaN(n) ? v : n;
  }
  const svgModel = typeof def.svgModel === "string" ? def.svgModel.trim() : "";
  const svgEffort = typeof def.svgEffort === "string" ? def.svgEffort.trim() : "";
  if (svgModel || svgEffort) {
    params.svg = { ...(svgModel ? { model: svgModel } : {}), ...(svgEffort ? { reasoning: { effort: svgEffort } } : {}) };
  }
  return params;
}

const FORMS: OutputForm[] = ["buffer", "base64", "dataUrl", "url"];

export function outputOptions(def: ImageNodeDef): OutputOptions {
  const form = FORMS.includes(def.output as OutputForm) ? (def.output as OutputForm) : "buffer";
  return { form, split: def.split === true || def.split === "true", property: def.property?.trim() || "payload" };
}
