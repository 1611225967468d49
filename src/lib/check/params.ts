/**
 * Turns node settings, msg.params and the prompt into one checked set of request parameters.
 * Everything here runs before a request is sent: a refusal costs the user nothing.
 * The zod schemas are built from the model registry (models.ts), never from a copy of its rules.
 */
import { z } from "zod";
import { invalidParams, listOr, show } from "../errors";
import { BoundedCache } from "../util/bounded-cache";
import { isPlainObject as isPlain } from "../util/plain";
import { modelLife, retiredError, type RetiredPolicy } from "../models/lifecycle";
import { customSizeProblem, DEFAULT_MODEL, MODELS, modelRule, type ModelRule, type Operation } from "../models/table";
import { numberProblem, PARAMETERS, svgCountProblem, takes, type Parameter } from "../models/parameters";

export type Params = Record<string, unknown>;
export type OutputForm = "buffer" | "base64" | "dataUrl" | "url";

/** Longest prompt accepted for a model the registry does not know (the largest any known model takes). */
export const GENERIC_PROMPT_MAX = 32000;
export const MODEL_NAME_MAX = 200;
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

export interface RequestInput {
  op: Operation;
  /** settings from the node's dialog; keys the chosen model does not take are dropped */
  node: Params;
  /** msg.params */
  msgParams: unknown;
  /** the evaluated Prompt property: a string, or an object {prompt, ...params} */
  prompt: unknown;
  output: OutputForm;
  /** what to do with models OpenAI has shut down; without it, lifecycles are not looked at */
  lifecycle?: LifecycleInput;
  /** the config node's provider (providers/): the parameters it does not take are left out of node settings and refused in a message */
  provider?: { name: string; omits?: readonly string[] };
}

export interface LifecycleInput {
  /** the clock the shutdown dates are compared with */
  now: Date;
  /** the base URL is OpenAI's own host: a retired model is refused (or replaced) before sending */
  preflight: boolean;
  policy: RetiredPolicy;
  /** the API has said the model is gone: use its replacement whatever the host */
  forceReplace?: boolean;
}

export interface CheckedRequest {
  model: string;
  /** undefined for models the registry does not know (gateway models) */
  rule: ModelRule | undefined;
  /** the parameters to send, prompt and model included */
  params: Params;
  /** the retired model asked for, when its replacement is sent instead */
  replaced?: { model: string; shutdown?: string; dropped: string[] };
}

export const isPlainObject = (v: unknown): v is Params => isPlain(v);

function copyLayer(target: Params, layer: Params, where: string): void {
  for (const key of Object.keys(layer)) {
    if (FORBIDDEN_KEYS.has(key)) throw invalidParams(key, `${where} must not have a key named "${key}"`);
    if (layer[key] !== undefined) target[key] = layer[key];
  }
}

/** Parameters only some models take, and the test of a model's rule that says whether (models/parameters.ts). */
const MODEL_SPECIFIC: Record<string, (r: ModelRule) => boolean> = Object.fromEntries(
  PARAMETERS.filter((p) => p.takenBy).map((p) => [p.api, (r: ModelRule) => takes(r, p)]),
);

/**
 * Parameters that belong to one output format (or to all but some). A node setting that does not fit
 * the format a message asks for is left out; a message's own is refused.
 */
const FORMAT_BOUND = Object.fromEntries(PARAMETERS.filter((p) => p.format).map((p) => [p.api, p.format!]));

function fitsFormat(key: string, value: unknown, format: unknown): boolean {
  const bound = FORMAT_BOUND[key];
  if (!bound || value === undefined) return true;
  if (bound.only) return format === bound.only;
  // stream: false and partial_images: 0 ask for nothing
  if (value === false || value === 0) return true;
  return !bound.not?.includes(String(format));
}

/** Parameters whose unsuitable values are dropped (not refused) when a replacement model stands in. */
const ADAPTABLE = new Set(PARAMETERS.filter((p) => p.adaptable).map((p) => p.api));

/**
 * Parameters of one operation only. `unknownModels`: refused for models the registry does not know
 * too; otherwise those get it (a gateway may take it). As a node setting it is left out instead.
 */
const ONE_OPERATION = Object.fromEntries(PARAMETERS.filter((p) => p.operation).map((p) => [p.api, p.operation!]));

function wrongOperation(key: string, op: Operation, rule: ModelRule | undefined): boolean {
  const only = ONE_OPERATION[key];
  return only !== undefined && only.op !== op && (rule !== undefined || only.unknownModels);
}

/** The table's models (without dated snapshots) that take a parameter: the live ones, or else the legacy ones. */
export function modelsTaking(test: (r: ModelRule) => boolean, now?: Date): { ids: string[]; legacy: boolean } {
  const takers = Object.keys(MODELS).filter((m) => test(MODELS[m]) && !/-\d{4}-\d{2}-\d{2}$/.test(m));
  // without a clock every model with a shutdown date counts as legacy
  const live = takers.filter((m) => (now ? modelLife(m, now)?.state !== "retired" : !MODELS[m].shutdown));
  return live.length ? { ids: live, legacy: false } : { ids: takers, legacy: true };
}

/** "markup is not supported by gpt-image-2; only gpt-image-2.6-flare, … take it" */
export function notTaken(key: string, model: string, test: (r: ModelRule) => boolean = MODEL_SPECIFIC[key], now?: Date): string {
  const { ids, legacy } = modelsTaking(test, now);
  if (!ids.length) return `${key} is not supported by ${model}`;
  const verb = legacy ? "took" : ids.length > 1 ? "take" : "takes";
  return `${key} is not supported by ${model}; only ${listOr(ids)} ${verb} it${legacy ? " (legacy models)" : ""}`;
}

const typeError = (param: string, what: string) => (iss: { input: unknown }) => `${param} must be ${what}, got ${show(iss.input)}`;

/** A whole-number parameter: the table's range for the model, in the table's words (models/parameters.ts). */
function whole(p: Parameter, rule: ModelRule | undefined, model: string) {
  return z.unknown().superRefine((v, ctx) => {
    const message = numberProblem(p, v, rule, model);
    if (message) ctx.addIssue({ code: "custom", message });
  });
}

function text(param: string) {
  return z.string({ error: typeError(param, "a string") });
}

/** A string that must be one of `allowed` for `model`. */
function oneOf(param: string, allowed: string[], model: string) {
  return text(param).refine((v) => allowed.includes(v), {
    error: (iss) => `${param} ${show(iss.input)} is not supported by ${model}; use ${listOr(allowed)}`,
  });
}

function sizeSchema(rule: ModelRule, model: string) {
  return text("size").superRefine((size, ctx) => {
    if (rule.sizes.includes(size)) return;
    if (rule.customSize) {
      const problem = customSizeProblem(size, rule.customSize);
      if (!problem) return;
      ctx.addIssue({
        code: "custom",
        message: `size ${show(size)} is not supported by ${model}: ${problem}; or use ${listOr(rule.sizes)}`,
      });
      return;
    }
    ctx.addIssue({ code: "custom", message: `size ${show(size)} is not supported by ${model}; use ${listOr(rule.sizes)}` });
  });
}

function promptSchema(max: number, model: string) {
  return text("prompt").superRefine((p, ctx) => {
    if (p.trim() === "") {
      ctx.addIssue({ code: "custom", message: "prompt is empty: give a text describing the image" });
      return;
    }
    const length = [...p].length;
    if (length > max) {
      ctx.addIssue({ code: "custom", message: `prompt is ${length} characters long; ${model} takes at most ${max}` });
    }
  });
}

/**
 * The zod schema for one model (or the generic one for unknown models); unknown keys pass through.
 * Built once per model name: building a zod object schema (and zod's compiled fast path on its first
 * parse) costs far more than checking a message with it.
 */
const SCHEMAS = new BoundedCache<z.ZodType>(64);

function schemaFor(model: string, rule: ModelRule | undefined): z.ZodType {
  return SCHEMAS.get(model, () => buildSchema(model, rule));
}

function buildSchema(model: string, rule: ModelRule | undefined): z.ZodType {
  const shape: Record<string, z.ZodType> = {
    prompt: promptSchema(rule ? rule.promptMax : GENERIC_PROMPT_MAX, rule ? model : "this API"),
    model: text("model"),
    stream: z.boolean({ error: typeError("stream", "true or false") }),
    user: text("user"),
    size: rule ? sizeSchema(rule, model) : text("size"),
    quality: rule ? oneOf("quality", rule.qualities, model) : text("quality"),
    style: rule ? oneOf("style", rule.styles, model) : text("style"),
    background: rule ? oneOf("background", rule.backgrounds, model) : text("background"),
    moderation: rule ? oneOf("moderation", rule.moderations, model) : text("moderation"),
    output_format: rule ? oneOf("output_format", rule.outputFormats, model) : text("output_format"),
    response_format: oneOf("response_format", ["url", "b64_json"], model),
    input_fidelity: oneOf("input_fidelity", rule ? rule.inputFidelities : ["high", "low"], model),
    complexity: rule ? oneOf("complexity", rule.complexities, model) : text("complexity"),
    safety_identifier: text("safety_identifier"),
    svg: svgSchema(rule?.svg?.efforts, model),
  };
  for (const p of PARAMETERS) if (p.range) shape[p.api] = whole(p, rule, model);
  const optional = Object.fromEntries(Object.entries(shape).map(([k, s]) => [k, k === "prompt" ? s : s.optional()]));
  return z.looseObject(optional).superRefine((p, ctx) => {
    const format = p.output_format;
    if (p.background === "transparent" && (format === "jpeg" || format === "jpg")) {
      ctx.addIssue({
        code: "custom",
        path: ["background"],
        message: `background "transparent" needs output_format png or webp, not ${show(format)}`,
      });
    }
    for (const key of Object.keys(FORMAT_BOUND)) {
      if (fitsFormat(key, p[key], format)) continue;
      const bound = FORMAT_BOUND[key];
      const message = bound.only
        ? `${key} needs output_format "${bound.only}" (${bound.why}); the request asks for ${format === undefined ? "the default format" : show(format)}`
        : `${key} ${show(p[key])} cannot be used with output_format ${show(format)}: ${bound.why}`;
      ctx.addIssue({ code: "custom", path: [key], message });
      return;
    }
    const svgN = format === "svg" && typeof p.n === "number" ? svgCountProblem(p.n) : null;
    if (svgN) ctx.addIssue({ code: "custom", path: ["n"], message: svgN });
  });
}

/** svg: {model?: string, reasoning?: {effort?: one of `efforts` | null}} */
function svgSchema(efforts: string[] | undefined, model: string) {
  const shape = 'an object like {"model": "gpt-5.6-terra", "reasoning": {"effort": "low"}}';
  return z.unknown().superRefine((v, ctx) => {
    const fail = (message: string) => ctx.addIssue({ code: "custom", message });
    if (!isPlainObject(v)) return fail(`svg must be ${shape}, got ${show(v)}`);
    if (v.model !== undefined && v.model !== null && (typeof v.model !== "string" || v.model.trim() === "")) {
      return fail(`svg.model must be the name of the model that writes the SVG, got ${show(v.model)}`);
    }
    if (v.reasoning === undefined || v.reasoning === null) return;
    if (!isPlainObject(v.reasoning)) return fail(`svg.reasoning must be an object like {"effort": "low"}, got ${show(v.reasoning)}`);
    const effort = v.reasoning.effort;
    if (effort === undefined || effort === null) return;
    if (typeof effort !== "string") return fail(`svg.reasoning.effort must be a string, got ${show(effort)}`);
    if (efforts && !efforts.includes(effort)) {
      fail(`svg.reasoning.effort ${show(effort)} is not supported by ${model}; use ${listOr(efforts)}`);
    }
  });
}

function parseWith(schema: z.ZodType, params: Params): void {
  const result = schema.safeParse(params);
  if (result.success) return;
  const issue = result.error.issues[0];
  const parameter = String(issue.path[0] ?? "params");
  const message =
    issue.code === "invalid_type" && issue.path.length === 1 && parameter === "prompt" && params.prompt === undefined
      ? "prompt is missing: give the node a prompt text"
      : issue.message;
  throw invalidParams(parameter, message);
}

const PROMPT_MISSING: Record<Operation, string> = {
  generate: "prompt is missing: set msg.payload (or the property the node's Prompt setting names) to a text",
  edit: "prompt is missing: set msg.prompt (or the property the node's Prompt setting names) to a text",
};

/** Splits the Prompt property's value into the prompt and the parameters an object prompt carries. */
function splitPrompt(value: unknown, op: Operation): Params {
  if (typeof value === "string") return { prompt: value };
  if (isPlainObject(value)) {
    if (typeof value.prompt !== "string") {
      throw invalidParams(
        "prompt",
        `the prompt object has no "prompt" text (keys: ${Object.keys(value).slice(0, 10).join(", ") || "none"})`,
      );
    }
    return value;
  }
  if (value === undefined || value === null) throw invalidParams("prompt", PROMPT_MISSING[op]);
  throw invalidParams("prompt", `prompt must be a text (or an object with a "prompt" text), got ${show(value)}`);
}

/**
 * Merges node settings < msg.params < object prompt, checks everything against the model's rules
 * and shapes the parameters for the wire. Throws ImagesApiError (invalid_params) on bad input.
 */
export function checkRequest(input: RequestInput): CheckedRequest {
  const { op, output } = input;
  if (input.msgParams !== undefined && input.msgParams !== null && !isPlainObject(input.msgParams)) {
    throw invalidParams("params", `msg.params must be an object of request parameters, got ${show(input.msgParams)}`);
  }
  const fromPrompt = splitPrompt(input.prompt, op);
  const fromMsg = (input.msgParams ?? {}) as Params;

  const picked: Params = {};
  copyLayer(picked, fromMsg, "msg.params");
  copyLayer(picked, fromPrompt, "the prompt object");

  const asked = picked.model ?? input.node.model ?? DEFAULT_MODEL[op];
  if (typeof asked !== "string" || asked.trim() === "") {
    throw invalidParams("model", `model must be a model name, got ${show(asked)}`);
  }
  if (asked.length > MODEL_NAME_MAX) {
    throw invalidParams("model", `model name is ${asked.length} characters long; at most ${MODEL_NAME_MAX} are accepted`);
  }
  const replaced = replacementFor(asked, input.lifecycle);
  const model = replaced?.to ?? asked;
  const rule = modelRule(model);
  // a stand-in model takes the message's settings as it takes the node's: as defaults
  const adapting = replaced !== undefined;
  const dropped: string[] = [];
  const drop = (key: string, value: unknown) => dropped.push(`${key} ${show(value)}`);

  // Node settings are defaults: ones this model cannot take are left out instead of refused.
  const params: Params = {};
  const omits = input.provider?.omits ?? [];
  for (const [key, value] of Object.entries(input.node)) {
    if (value === undefined || value === "") continue;
    if (omits.includes(key)) continue;
    if (rule && MODEL_SPECIFIC[key] && !MODEL_SPECIFIC[key](rule)) continue;
    if (wrongOperation(key, op, rule)) continue;
    params[key] = value;
  }
  for (const key of Object.keys(picked)) {
    if (omits.includes(key) && picked[key] !== null) {
      const name = input.provider!.name;
      throw invalidParams(key, `${name} does not take ${key} ${show(picked[key])}; leave it out for ${name}`);
    }
  }
  copyLayer(params, picked, "the parameters");
  // null means "the API's default", as in the API itself: it also clears a node setting
  for (const key of Object.keys(params)) if (params[key] === null) delete params[key];
  params.model = model;
  // node settings bound to another output format than the one this message asks for are left out
  if (params.output_format === "svg" && (picked.n === undefined || adapting) && params.n !== undefined && params.n !== 1) {
    if (picked.n !== undefined) drop("n", params.n);
    delete params.n;
  }
  for (const key of Object.keys(FORMAT_BOUND)) {
    if ((picked[key] === undefined || adapting) && !fitsFormat(key, params[key], params.output_format)) {
      if (picked[key] !== undefined) drop(key, params[key]);
      delete params[key];
    }
  }

  for (const key of Object.keys(ONE_OPERATION)) {
    if (params[key] !== undefined && wrongOperation(key, op, rule))
      throw invalidParams(key, ONE_OPERATION[key].refusal.replace("{model}", model));
  }
  if (rule) {
    for (const key of Object.keys(MODEL_SPECIFIC)) {
      const value = picked[key];
      if (value === undefined || value === null || (key === "stream" && value === false)) continue;
      if (!MODEL_SPECIFIC[key](rule)) {
        if (!adapting) throw invalidParams(key, notTaken(key, model, MODEL_SPECIFIC[key], input.lifecycle?.now));
        drop(key, value);
        delete params[key];
      }
    }
  }
  if (rule && !rule.streaming && params.stream === false) delete params.stream;
  const schema = schemaFor(model, rule);
  if (adapting) {
    // values only the retired model knew ("hd", "1792x1024" …) are left out, one at a time
    for (let tries = 0; tries < ADAPTABLE.size; tries++) {
      const result = schema.safeParse(params);
      const key = result.success ? undefined : String(result.error.issues[0].path[0] ?? "");
      if (key === undefined || !ADAPTABLE.has(key) || params[key] === undefined) break;
      drop(key, params[key]);
      delete params[key];
    }
  }
  parseWith(schema, params);
  const partials = params.partial_images;
  if (typeof partials === "number" && partials > 0) {
    if (params.stream === false) {
      throw invalidParams("stream", `partial_images ${partials} needs streaming, but stream is false; remove one of them`);
    }
    params.stream = true;
  }
  if (params.stream === true && output === "url") {
    throw invalidParams(
      "output",
      `streamed images come as image data, not URLs; choose Buffer, base64 or data URL, or set no partial images`,
    );
  }

  shapeResponseFormat(
    params,
    rule,
    output,
    replaced ? `${model} (standing in for ${asked}, shut down by OpenAI on ${replaced.shutdown})` : model,
  );
  for (const [key, value] of Object.entries(params)) {
    // gateway extras go out as JSON (or multipart text): find what cannot before anything is sent
    try {
      JSON.stringify(value);
    } catch (err) {
      throw invalidParams(key, `${key} cannot be sent to the API: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  const checked: CheckedRequest = { model, rule, params };
  if (replaced) checked.replaced = { model: asked, shutdown: replaced.shutdown, dropped };
  return checked;
}

/**
 * The model to send instead of a retired one, when one is to be sent; throws model_retired when a retired
 * model is to be refused before sending (OpenAI's own host, policy "fail").
 */
function replacementFor(model: string, lc: LifecycleInput | undefined): { to: string; shutdown?: string } | undefined {
  if (!lc || (!lc.preflight && !lc.forceReplace)) return undefined;
  const life = modelLife(model, lc.now);
  if (life?.state !== "retired") return undefined;
  if ((lc.policy === "replace" || lc.forceReplace) && life.replacement) return { to: life.replacement, shutdown: life.shutdown };
  throw retiredError(model, life);
}

/** response_format: never for GPT image models; for DALL·E what the output needs; untouched for gateways. */
function shapeResponseFormat(params: Params, rule: ModelRule | undefined, output: OutputForm, model: string): void {
  if (output === "url" && params.response_format === "b64_json") {
    throw invalidParams("response_format", `response_format "b64_json" contradicts the node's "url" output; remove one of them`);
  }
  if (!rule) {
    if (output === "url" && params.response_format === undefined) params.response_format = "url";
    return;
  }
  if (!rule.responseFormat) {
    delete params.response_format;
    if (output === "url") {
      throw invalidParams(
        "output",
        `output "url" is not available for ${model}: it returns image data only; choose Buffer, base64 or data URL`,
      );
    }
    return;
  }
  if (params.response_format === undefined) params.response_format = output === "url" ? "url" : "b64_json";
}
