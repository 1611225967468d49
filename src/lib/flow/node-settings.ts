/**
 * Reads an image node's dialog settings into API parameters (by their API names) and output options.
 */
import type { OutputOptions } from "./messages";
import type { OutputForm, Params } from "../check/params";
import { PARAMETERS } from "../models/parameters";

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

/** The dialog properties that each make one API parameter, from the one parameter table: text ones, then numbers. */
const ONE_FIELD = PARAMETERS.filter((p) => p.fields?.length === 1);
const propsOf = (numbers: boolean) =>
  ONE_FIELD.filter((p) => (p.fields![0].control === "number") === numbers).map((p): [keyof ImageNodeDef, string] => [
    p.fields![0].prop as keyof ImageNodeDef,
    p.api,
  ]);
const TEXT = propsOf(false);
const NUMBERS = propsOf(true);

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
