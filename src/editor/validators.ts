/**
 * The editor's checks. A verdict is true (the value may be right), a string (it is wrong: the runtime's own words
 * for the mistake, built from the registry's numbers and, for sizes, the runtime's customSizeProblem) or false (it
 * is wrong in a way the runtime words differently or not at all). Node-RED shows a validator's string as the
 * field's tooltip. test/tooling/editor-rules.spec.ts holds these verdicts to the runtime's (check/params.ts).
 */
import { listOr, show } from "../lib/errors";
import { fieldOf, numberProblem, svgCountProblem, takes } from "../lib/models/parameters";
import { providerFor, type Profile } from "../lib/providers";
import { selectedConfig } from "./server-models";
import { customSizeProblem, type ModelEntry } from "../lib/models/table";
import { choices, formatOf, registry, rule, SELECT_ROWS } from "./registry";

export type Verdict = true | false | string;

/** A number setting as the runtime reads it (src/lib/flow/node-settings.ts): a number, or the text itself. */
function asNumber(value: unknown): unknown {
  const n = typeof value === "number" ? value : Number(String(value).trim());
  return isNaN(n) ? value : n;
}

/** true for a whole number from min to max; else the runtime's words (the batch size's limit). */
export function inRange(param: string, value: unknown, min: number, max: number): Verdict {
  const n = asNumber(value);
  return (
    (typeof n === "number" && Number.isInteger(n) && n >= min && n <= max) ||
    param + " must be a whole number from " + min + " to " + max + ", got " + show(n)
  );
}

/** The range check of a number field: the parameter table's range and words for the model (or for unknown models). */
function range(field: string, value: unknown, r: ModelEntry | null, model: string): Verdict {
  return numberProblem(fieldOf(field)!.parameter, asNumber(value), r || undefined, model) || true;
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
export function verdict(field: string, model: string, value: unknown, others?: Others): Verdict {
  if (!registry || value === undefined || value === null || value === "") {
    return true;
  }
  const byModel = modelVerdict(field, model, value, others);
  return byModel === true ? providerVerdict(field, value, others) : byModel;
}

/** The node's (or dialog's) other settings that a verdict depends on: the output format, the config node. */
export interface Others {
  outputFormat?: unknown;
  server?: unknown;
}

/** The config node's provider profile, as the runtime picks it (its `provider`, its API style, its host). */
export function providerOf(server: unknown): Profile | null {
  const cfg = selectedConfig(typeof server === "string" ? server : null);
  return cfg ? providerFor({ provider: cfg.provider, baseUrl: cfg.baseUrl || "", apiType: cfg.apiType }) : null;
}

/** What the config node's provider says about the value: the runtime's own refusal (its mapParams), or true. */
function providerVerdict(field: string, value: unknown, others?: Others): Verdict {
  const f = fieldOf(field);
  const p = others ? providerOf(others.server) : null;
  if (!f || !p || !p.mapParams || f.parameter.api === "model") {
    return true;
  }
  try {
    p.mapParams({ [f.parameter.api]: f.control === "number" ? asNumber(value) : value }, "generate", function () {});
    return true;
  } catch (err) {
    return (err as Error).message;
  }
}

function modelVerdict(field: string, model: string, value: unknown, others?: Others): Verdict {
  const r = rule(model);
  const f = fieldOf(field);
  if (!r) {
    return f && f.control === "number" ? range(field, value, null, model) : true;
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
    return (others && others.outputFormat === "svg" && svgCountProblem(asNumber(value))) || true;
  }
  if (f && f.control === "number") {
    // a number the model does not take: unused when bound to a format it lacks; 0 partial images asks for nothing
    return takes(r, f.parameter)
      ? range(field, value, r, model)
      : !!formatOf(field) || (field === "partialImages" && asNumber(value) === 0);
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
export function valid(field: string, model: string, value: unknown, others?: Others): boolean {
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
