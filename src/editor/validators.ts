/**
 * The editor's checks. A verdict is true (the value may be right), a string (it is wrong: the runtime's own words
 * for the mistake, built from the registry's numbers and, for sizes, the runtime's customSizeProblem) or false (it
 * is wrong in a way the runtime words differently or not at all). Node-RED shows a validator's string as the
 * field's tooltip. test/tooling/editor-rules.spec.ts holds these verdicts to the runtime's (check/params.ts).
 */
import { customSizeProblem, type ModelEntry } from "../lib/models/table";
import { choices, formatOf, registry, rule, SELECT_ROWS } from "./registry";

export type Verdict = true | false | string;

/** A value as the runtime quotes it in a message (src/lib/errors.ts show). */
function show(value: unknown): string {
  const s = typeof value === "string" ? JSON.stringify(value) : String(value);
  return s.length > 80 ? s.slice(0, 60) + '\u2026" (' + String(value).length + " characters)" : s;
}

/** Allowed values as the runtime joins them in a message, "a, b or c" (src/lib/errors.ts listOr). */
function listOr(values: string[]): string {
  return values.length <= 1 ? values.join("") : values.slice(0, -1).join(", ") + " or " + values[values.length - 1];
}

/** A number setting as the runtime reads it (src/lib/flow/node-settings.ts): a number, or the text itself. */
function asNumber(value: unknown): unknown {
  const n = typeof value === "number" ? value : Number(String(value).trim());
  return isNaN(n) ? value : n;
}

/** true for a whole number from min to max; else the runtime's words (src/lib/check/params.ts intIn). */
export function inRange(param: string, value: unknown, min: number, max: number): Verdict {
  const n = asNumber(value);
  if (typeof n === "number" && Number.isInteger(n) && n >= min && n <= max) {
    return true;
  }
  return param + " must be a whole number from " + min + " to " + max + ", got " + show(n);
}

/** The API parameter of each number field, the one the runtime's messages name. */
const PARAMS: Record<string, string> = {
  imageCount: "n",
  outputCompression: "output_compression",
  partialImages: "partial_images",
  frameCount: "frame_count",
  frameDuration: "frame_duration_ms",
};

/** The range check of a number field: the model's own limits, or registry.limits for other models. */
function range(field: string, value: unknown, r: ModelEntry | null, model: string): Verdict {
  const l = registry!.limits;
  const gif = (r && r.gif) || l;
  if (field === "imageCount") {
    if (r && r.nMax === 1) {
      const n = asNumber(value);
      return n === 1 || "n " + show(n) + " is not supported by " + model + ": it makes one image per request (n must be 1)";
    }
    return inRange("n", value, l.nMin, r ? r.nMax : l.nMax);
  }
  if (field === "outputCompression") {
    return inRange(PARAMS[field], value, l.compressionMin, l.compressionMax);
  }
  if (field === "partialImages") {
    return inRange(PARAMS[field], value, l.partialImagesMin, l.partialImagesMax);
  }
  if (field === "frameCount") {
    return inRange(PARAMS[field], value, gif.frameCountMin, gif.frameCountMax);
  }
  return inRange(PARAMS[field], value, gif.frameDurationMin, gif.frameDurationMax);
}

/** A size for a known model: one it lists, or a custom size its rule takes (the runtime's customSizeProblem). */
function sizeVerdict(size: unknown, r: ModelEntry, model: string): Verdict {
  if (r.sizes.indexOf(size as string) >= 0) {
    return true;
  }
  if (typeof size !== "string") {
    return false;
  }
  if (!r.customSize) {
    return "size " + show(size) + " is not supported by " + model + "; use " + listOr(r.sizes);
  }
  const problem = customSizeProblem(size, r.customSize);
  return problem === null || "size " + show(size) + " is not supported by " + model + ": " + problem + "; or use " + listOr(r.sizes);
}

/**
 * The verdict on a value for the model (see above); true before the registry arrived.
 * `others` (optional): the node's (or dialog's) other settings, for rules between fields (SVG takes n = 1).
 */
export function verdict(field: string, model: string, value: unknown, others?: { outputFormat?: unknown }): Verdict {
  if (!registry || value === undefined || value === null || value === "") {
    return true;
  }
  const r = rule(model);
  if (!r) {
    return PARAMS[field] ? range(field, value, null, model) : true;
  }
  if (field === "size") {
    return sizeVerdict(value, r, model);
  }
  if (field === "imageCount") {
    const n = range(field, value, r, model);
    if (n !== true) {
      return n;
    }
    // SVG output makes one image per request (the runtime leaves a node's other n out)
    return !(others && others.outputFormat === "svg" && asNumber(value) !== 1);
  }
  if (field === "outputCompression") {
    return r.compression ? range(field, value, r, model) : false;
  }
  if (field === "partialImages") {
    return r.streaming ? range(field, value, r, model) : asNumber(value) === 0;
  }
  if (field === "frameCount" || field === "frameDuration") {
    return !r.gif || range(field, value, r, model);
  }
  if (SELECT_ROWS.indexOf(field) >= 0) {
    const allowed = choices(field, r);
    if (!allowed) {
      return !!formatOf(field);
    }
    return allowed.indexOf(value as string) >= 0;
  }
  return true;
}

/** false when the value is known to be wrong for the model; true otherwise (or before the registry arrived). */
export function valid(field: string, model: string, value: unknown, others?: { outputFormat?: unknown }): boolean {
  return verdict(field, model, value, others) === true;
}

/** The batch settings' checks: the node's validators and the dialog's marks. */
export const BATCH_CHECKS: Record<string, (v: unknown) => Verdict> = {
  // the size limit comes with the registry (the runtime's BATCH_LIMITS)
  batchSize: function (v) {
    if (v === "" || v === undefined || v === null || !registry || !registry.batch) {
      return true;
    }
    return inRange("batch size", v, 1, registry.batch.maxLines);
  },
  batchWait: function (v) {
    return v === "" || v === undefined || (/^\d+(\.\d+)?$/.test(String(v)) && +(v as string) > 0);
  },
};
