/**
 * The request parameters, one record each: the API's name; the image nodes' dialog properties that make it and how
 * each row is shown (control, icon, placeholder, which dialog); which field of a model's rule says whether (and with
 * which values) a model takes it; a whole number's range; the output format or operation it is bound to; and
 * whether a replacement model drops an unsuitable value instead of refusing it. Request checking (check/params.ts),
 * the dialog's settings (flow/node-settings.ts) and the editor (src/editor bundles this file) read this table and
 * its words for a wrong number; none of them keeps its own list.
 */
import { show } from "../errors";
import { GENERIC_LIMITS, type ModelRule, type Operation } from "./table";

/** A field of a model's rule: a non-empty list, `true`, or a present object means the model takes the parameter. */
export type RuleField =
  | "qualities"
  | "complexities"
  | "styles"
  | "backgrounds"
  | "moderations"
  | "outputFormats"
  | "inputFidelities"
  | "compression"
  | "streaming"
  | "safetyIdentifier"
  | "gif"
  | "svg";

/** How an image node's dialog shows a property: the model field, a select of the model's values, a whole number, free text, or the size field (the model's sizes offered, any WxH typed). */
export type Control = "model" | "select" | "number" | "text" | "size";

/** A dialog property of an image node and how its row looks. */
export interface Field {
  prop: string;
  control: Control;
  /** Font Awesome 4 icon of the row's label */
  icon: string;
  /** the row shows the catalog's placeholder.<prop> */
  placeholder?: boolean;
  /** the row is in one of the two dialogs only */
  only?: Operation;
  /** what a new node gets (none: empty) */
  initial?: number;
  /** a select's values for a model, when they are not the list its parameter's rule field holds */
  choices?: (rule: ModelRule) => string[] | undefined;
}

/** The whole numbers a parameter takes. */
export interface Range {
  min: number;
  max: number;
}

export interface Parameter {
  /** the API's name */
  api: string;
  /** the dialog properties that make it, in dialog order (one; the SVG options make `svg` together), and how each is shown */
  fields?: Field[];
  /** the rule field that says whether a model takes it; without one every model does */
  takenBy?: RuleField;
  /** a whole number: its range for a model (the generic limits for models the table does not know) */
  range?: (rule: ModelRule | undefined) => Range;
  /** bound to one output format (`only`), or not for some (`not`); `why` says so in messages */
  format?: { only?: string; not?: string[]; why: string };
  /** a request of one operation only; `unknownModels`: refused for models the table does not know too */
  operation?: { op: Operation; unknownModels: boolean; refusal: string };
  /** an unsuitable value is dropped, not refused, when a replacement model stands in for a retired one */
  adaptable?: boolean;
}

const L = GENERIC_LIMITS;
const GIF_ONLY = { only: "gif", why: "it sets the frames of GIF output" };
const field = (prop: string, control: Control, icon: string, more: Partial<Field> = {}): Field[] => [{ prop, control, icon, ...more }];

/** The table, in the order the dialogs show the rows. */
export const PARAMETERS: readonly Parameter[] = [
  { api: "model", fields: field("model", "model", "cube") },
  { api: "size", fields: field("size", "size", "arrows-alt"), adaptable: true },
  { api: "quality", fields: field("quality", "select", "star"), takenBy: "qualities", adaptable: true },
  { api: "complexity", fields: field("complexity", "select", "sitemap"), takenBy: "complexities", adaptable: true },
  {
    api: "n",
    // not `n`: Node-RED reserves one-letter property names
    fields: field("imageCount", "number", "clone", { initial: 1 }),
    range: (r) => ({ min: L.nMin, max: r ? r.nMax : L.nMax }),
    adaptable: true,
  },
  // only DALL-E 3 takes it, and it has no edits
  { api: "style", fields: field("style", "select", "paint-brush", { only: "generate" }), takenBy: "styles", adaptable: true },
  { api: "background", fields: field("background", "select", "square-o"), takenBy: "backgrounds", adaptable: true },
  {
    api: "moderation",
    fields: field("moderation", "select", "shield"),
    takenBy: "moderations",
    adaptable: true,
    // OpenAI's multipart edit request has no moderation field
    operation: {
      op: "generate",
      unknownModels: false,
      refusal: "moderation is a parameter of generations, not of image edits with {model}",
    },
  },
  {
    api: "input_fidelity",
    fields: field("inputFidelity", "select", "crosshairs"),
    takenBy: "inputFidelities",
    adaptable: true,
    operation: { op: "edit", unknownModels: true, refusal: "input_fidelity is a parameter of image edits, not of generations" },
  },
  { api: "output_format", fields: field("outputFormat", "select", "file-image-o"), takenBy: "outputFormats", adaptable: true },
  {
    api: "frame_count",
    fields: field("frameCount", "number", "film", { placeholder: true }),
    takenBy: "gif",
    range: (r) => ({ min: r?.gif?.frameCountMin ?? L.frameCountMin, max: r?.gif?.frameCountMax ?? L.frameCountMax }),
    format: GIF_ONLY,
  },
  {
    api: "frame_duration_ms",
    fields: field("frameDuration", "number", "clock-o", { placeholder: true }),
    takenBy: "gif",
    range: (r) => ({ min: r?.gif?.frameDurationMin ?? L.frameDurationMin, max: r?.gif?.frameDurationMax ?? L.frameDurationMax }),
    format: GIF_ONLY,
  },
  {
    api: "svg",
    // one object made of two rows: {model, reasoning: {effort}} (flow/node-settings.ts)
    fields: [
      { prop: "svgModel", control: "text", icon: "code", placeholder: true },
      { prop: "svgEffort", control: "select", icon: "lightbulb-o", choices: (r) => r.svg?.efforts },
    ],
    takenBy: "svg",
    format: { only: "svg", why: "it chooses how SVG output is authored" },
  },
  {
    api: "output_compression",
    fields: field("outputCompression", "number", "compress", { placeholder: true }),
    takenBy: "compression",
    range: () => ({ min: L.compressionMin, max: L.compressionMax }),
    format: { not: ["gif", "svg"], why: "GIF and SVG output take no compression" },
  },
  { api: "stream", takenBy: "streaming", format: { not: ["gif", "svg"], why: "GIF and SVG output cannot be streamed" } },
  {
    api: "partial_images",
    fields: field("partialImages", "number", "film", { placeholder: true }),
    takenBy: "streaming",
    range: () => ({ min: L.partialImagesMin, max: L.partialImagesMax }),
    format: { not: ["gif", "svg"], why: "GIF and SVG output cannot be streamed (no partial images)" },
  },
  { api: "safety_identifier", fields: field("safetyIdentifier", "text", "id-badge", { placeholder: true }), takenBy: "safetyIdentifier" },
  { api: "user", fields: field("user", "text", "user", { placeholder: true }) },
  { api: "response_format", adaptable: true },
];

/** SVG output makes one image per request. */
export const SVG_MAX_N = 1;

/**
 * What is wrong with a whole-number parameter's value for a model (undefined for a model the table does not know),
 * in the words the runtime refuses a request with and the editor marks the field with; null when it is right.
 */
export function numberProblem(p: Parameter, value: unknown, rule: ModelRule | undefined, model: string): string | null {
  const { min, max } = p.range!(rule);
  if (p.api === "n" && max === 1) {
    return value === 1 ? null : `n ${show(value)} is not supported by ${model}: it makes one image per request (n must be 1)`;
  }
  if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return null;
  return `${p.api} must be a whole number from ${min} to ${max}, got ${show(value)}`;
}

/** n's words for SVG output asking for more than one image (runtime and editor alike). */
export function svgCountProblem(n: unknown): string | null {
  return n === undefined || n === SVG_MAX_N
    ? null
    : `n ${show(n)} cannot be used with output_format "svg": SVG output makes one image per request (n must be ${SVG_MAX_N})`;
}

const BY_API = new Map(PARAMETERS.map((p) => [p.api, p]));

export function parameter(api: string): Parameter | undefined {
  return BY_API.get(api);
}

/** Whether a model takes a parameter, by the rule field the table names (true for parameters every model takes). */
export function takes(rule: ModelRule, p: Parameter): boolean {
  if (!p.takenBy) return true;
  const v = rule[p.takenBy] as unknown;
  return Array.isArray(v) ? v.length > 0 : typeof v === "object" ? v !== null : v === true;
}

/** The dialog's fields of every parameter, in dialog order, with the parameter each belongs to. */
export const FIELDS: readonly (Field & { parameter: Parameter })[] = PARAMETERS.flatMap((p) =>
  (p.fields ?? []).map((f) => ({ ...f, parameter: p })),
);

/** The field of a dialog property, or undefined for the dialog's other rows (output, delivery, …). */
export function fieldOf(prop: string): (Field & { parameter: Parameter }) | undefined {
  return FIELDS.find((f) => f.prop === prop);
}

/** Whether a field is a row of an operation's dialog: its own `only`, or its parameter's operation. */
export function inDialog(f: Field & { parameter: Parameter }, op: Operation): boolean {
  return (f.only ?? f.parameter.operation?.op ?? op) === op;
}
