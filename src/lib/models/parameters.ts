/**
 * The request parameters, one record each: the API's name, the image node's dialog property, which field of a
 * model's rule says whether (and with which values) a model takes it, the output format or operation it is bound
 * to, and whether a replacement model drops an unsuitable value instead of refusing it. Request checking
 * (check/params.ts), the dialog's settings (flow/node-settings.ts) and the editor (served with the registry) read
 * this table; none of them keeps its own list.
 */
import type { ModelRule, Operation } from "./table";

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

export interface Parameter {
  /** the API's name */
  api: string;
  /** the dialog property the image nodes store it under, and how (numbers may arrive as strings) */
  prop?: string;
  /** the dialog properties that together make it (the SVG options make `svg`) */
  parts?: string[];
  kind?: "text" | "number";
  /** the rule field that says whether a model takes it; without one every model does */
  takenBy?: RuleField;
  /** bound to one output format (`only`), or not for some (`not`); `why` says so in messages */
  format?: { only?: string; not?: string[]; why: string };
  /** a request of one operation only; `unknownModels`: refused for models the table does not know too */
  operation?: { op: Operation; unknownModels: boolean; refusal: string };
  /** an unsuitable value is dropped, not refused, when a replacement model stands in for a retired one */
  adaptable?: boolean;
}

const GIF_ONLY = { only: "gif", why: "it sets the frames of GIF output" };

export const PARAMETERS: readonly Parameter[] = [
  { api: "model", prop: "model", kind: "text" },
  { api: "size", prop: "size", kind: "text", adaptable: true },
  { api: "quality", prop: "quality", kind: "text", takenBy: "qualities", adaptable: true },
  { api: "n", prop: "imageCount", kind: "number", adaptable: true },
  { api: "style", prop: "style", kind: "text", takenBy: "styles", adaptable: true },
  { api: "background", prop: "background", kind: "text", takenBy: "backgrounds", adaptable: true },
  {
    api: "moderation",
    prop: "moderation",
    kind: "text",
    takenBy: "moderations",
    adaptable: true,
    // OpenAI's multipart edit request has no moderation field
    operation: {
      op: "generate",
      unknownModels: false,
      refusal: "moderation is a parameter of generations, not of image edits with {model}",
    },
  },
  { api: "output_format", prop: "outputFormat", kind: "text", takenBy: "outputFormats", adaptable: true },
  {
    api: "output_compression",
    prop: "outputCompression",
    kind: "number",
    takenBy: "compression",
    format: { not: ["gif", "svg"], why: "GIF and SVG output take no compression" },
  },
  { api: "stream", takenBy: "streaming", format: { not: ["gif", "svg"], why: "GIF and SVG output cannot be streamed" } },
  {
    api: "partial_images",
    prop: "partialImages",
    kind: "number",
    takenBy: "streaming",
    format: { not: ["gif", "svg"], why: "GIF and SVG output cannot be streamed (no partial images)" },
  },
  {
    api: "input_fidelity",
    prop: "inputFidelity",
    kind: "text",
    takenBy: "inputFidelities",
    adaptable: true,
    operation: { op: "edit", unknownModels: true, refusal: "input_fidelity is a parameter of image edits, not of generations" },
  },
  { api: "complexity", prop: "complexity", kind: "text", takenBy: "complexities", adaptable: true },
  { api: "safety_identifier", prop: "safetyIdentifier", kind: "text", takenBy: "safetyIdentifier" },
  { api: "frame_count", prop: "frameCount", kind: "number", takenBy: "gif", format: GIF_ONLY },
  { api: "frame_duration_ms", prop: "frameDuration", kind: "number", takenBy: "gif", format: GIF_ONLY },
  // the dialog's svgModel and svgEffort make this one object (flow/node-settings.ts)
  { api: "svg", parts: ["svgModel", "svgEffort"], takenBy: "svg", format: { only: "svg", why: "it chooses how SVG output is authored" } },
  { api: "user", prop: "user", kind: "text" },
  { api: "response_format", adaptable: true },
];

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
