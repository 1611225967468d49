/**
 * The one table of per-model rules and lifecycles. Validation, request shaping and the editor
 * (served as JSON by the config node's admin endpoint) all read it; nothing else may keep its own
 * copy of these rules. The facts and their sources: README "Models and limits".
 */

export type Operation = "generate" | "edit";

export interface CustomSizeRule {
  /** every side must be a multiple of this */
  multipleOf: number;
  /** long side / short side must not exceed this */
  maxRatio: number;
  /** longest side */
  maxEdge: number;
  /** width × height */
  minPixels: number;
  maxPixels: number;
}

export interface EditRule {
  maxImages: number;
  /** MIME types accepted as input images */
  formats: string[];
  maxBytes: number;
  /** dall-e-2: the image must be square */
  square: boolean;
}

/** output_format "gif": animated output */
export interface GifRule {
  frameCountMin: number;
  frameCountMax: number;
  frameDurationMin: number;
  /** the encoded delay is capped at this per frame */
  frameDurationMax: number;
}

/** output_format "svg": a text model authors an SVG from a reference image */
export interface SvgRule {
  efforts: string[];
}

export type Family = "dall-e-2" | "dall-e-3" | "gpt-image" | "gpt-image-2" | "gpt-image-2.5" | "gpt-image-2.6";

export interface ModelRule {
  /** the family name used in messages and by the editor */
  family: Family;
  promptMax: number;
  /** fixed sizes offered for generations (and accepted) */
  sizes: string[];
  /** any WxH matching this rule is accepted as well */
  customSize?: CustomSizeRule;
  nMax: number;
  qualities: string[];
  styles: string[];
  /** dall-e models take response_format; GPT image models reject it */
  responseFormat: boolean;
  backgrounds: string[];
  moderations: string[];
  outputFormats: string[];
  /** output_compression, stream and partial_images go with the GPT image options */
  compression: boolean;
  streaming: boolean;
  /** input_fidelity values (edits); empty: never sent */
  inputFidelities: string[];
  /** complexity values; empty: not taken */
  complexities: string[];
  /** markup-guided edits (a transparent PNG drawn over the first image) */
  markup: boolean;
  /** safety_identifier (the successor of `user`) */
  safetyIdentifier: boolean;
  gif?: GifRule;
  svg?: SvgRule;
  /**
   * Parameters whose support by this model the sources disagree on: their values are checked, but
   * they are sent and the API decides (the editor says so).
   */
  unverified: string[];
  /** null: the model has no edit endpoint */
  edit: EditRule | null;
}

/** A model's life on OpenAI's own API (Azure keeps its own dates). Dates are YYYY-MM-DD, UTC. */
export interface Lifecycle {
  released?: string;
  /** the first day OpenAI no longer serves it */
  shutdown?: string;
  /** what OpenAI names instead; used by the "use its replacement" option */
  replacement?: string;
}

export type ModelEntry = ModelRule & Lifecycle;

export const GENERIC_LIMITS = {
  nMin: 1,
  nMax: 10,
  compressionMin: 0,
  compressionMax: 100,
  partialImagesMin: 0,
  partialImagesMax: 3,
  editMaxImages: 16,
  frameCountMin: 2,
  frameCountMax: 16,
  frameDurationMin: 20,
  frameDurationMax: 655350,
} as const;

const MB = 1024 * 1024;
const GPT_SIZES = ["1024x1024", "1536x1024", "1024x1536", "auto"];
const GPT_QUALITIES = ["low", "medium", "high", "auto"];
const GPT_EDIT: EditRule = {
  maxImages: 16,
  formats: ["image/png", "image/jpeg", "image/webp"],
  maxBytes: 50 * MB,
  square: false,
};
const RASTER_FORMATS = ["png", "jpeg", "webp"];

const gptImage: ModelRule = {
  family: "gpt-image",
  promptMax: 32000,
  sizes: GPT_SIZES,
  nMax: 10,
  qualities: GPT_QUALITIES,
  styles: [],
  responseFormat: false,
  backgrounds: ["transparent", "opaque", "auto"],
  moderations: ["low", "auto"],
  outputFormats: RASTER_FORMATS,
  compression: true,
  streaming: true,
  inputFidelities: ["high", "low"],
  complexities: [],
  markup: false,
  safetyIdentifier: true,
  unverified: [],
  edit: GPT_EDIT,
};

const gptImage2: ModelRule = {
  ...gptImage,
  family: "gpt-image-2",
  customSize: { multipleOf: 16, maxRatio: 3, maxEdge: 3840, minPixels: 655_360, maxPixels: 8_294_400 },
  // "For gpt-image-2, omit this parameter": not offered, not sent
  inputFidelities: [],
};

const gptImage25: ModelRule = {
  ...gptImage2,
  family: "gpt-image-2.5",
  qualities: ["low", "medium", "high", "xhigh", "max", "auto"],
  // one source says 2.5 plans at a fixed depth; the SDK does not restrict it: sent, the API decides
  complexities: ["low", "medium", "high"],
  markup: true,
  unverified: ["complexity", "markup"],
};

const gptImage26: ModelRule = {
  ...gptImage25,
  family: "gpt-image-2.6",
  outputFormats: [...RASTER_FORMATS, "gif", "svg"],
  gif: { frameCountMin: 2, frameCountMax: 16, frameDurationMin: 20, frameDurationMax: 655350 },
  svg: { efforts: ["none", "minimal", "low", "medium", "high", "xhigh", "max"] },
  unverified: [],
};

const dalle2: ModelRule = {
  family: "dall-e-2",
  promptMax: 1000,
  sizes: ["256x256", "512x512", "1024x1024"],
  nMax: 10,
  qualities: ["standard"],
  styles: [],
  responseFormat: true,
  backgrounds: [],
  moderations: [],
  outputFormats: [],
  compression: false,
  streaming: false,
  inputFidelities: [],
  complexities: [],
  markup: false,
  safetyIdentifier: false,
  unverified: [],
  edit: { maxImages: 1, formats: ["image/png"], maxBytes: 4 * MB, square: true },
};

const dalle3: ModelRule = {
  ...dalle2,
  family: "dall-e-3",
  promptMax: 4000,
  sizes: ["1024x1024", "1792x1024", "1024x1792"],
  nMax: 1,
  qualities: ["standard", "hd"],
  styles: ["vivid", "natural"],
  edit: null,
};

const TODAY_26 = "gpt-image-2.6-flare";

/** Current models first (newest family first), then the legacy ones: the editor lists them in this order. */
export const MODELS: Record<string, ModelEntry> = {
  "gpt-image-2.6-flare": { ...gptImage26, released: "2026-11-04" },
  "gpt-image-2.6-sunburst": { ...gptImage26, released: "2026-11-04" },
  "gpt-image-2.5-flare": { ...gptImage25, released: "2026-09-08" },
  "gpt-image-2.5-flare-2026-09-08": { ...gptImage25, released: "2026-09-08" },
  "gpt-image-2.5-sunburst": { ...gptImage25, released: "2026-09-08" },
  "gpt-image-2.5-sunburst-2026-09-08": { ...gptImage25, released: "2026-09-08" },
  "gpt-image-2": { ...gptImage2, released: "2026-04-21" },
  "gpt-image-2-2026-04-21": { ...gptImage2, released: "2026-04-21" },
  // legacy: shut down on OpenAI, still served by some gateways and Azure deployments
  "gpt-image-1.5": { ...gptImage, released: "2025-12-16", shutdown: "2026-12-01", replacement: "gpt-image-2.6-sunburst" },
  "gpt-image-1.5-2025-12-16": { ...gptImage, released: "2025-12-16", shutdown: "2026-12-01", replacement: "gpt-image-2.6-sunburst" },
  "chatgpt-image-latest": { ...gptImage, released: "2025-12-16", shutdown: "2026-12-01", replacement: "gpt-image-2.6-sunburst" },
  "gpt-image-1-mini": { ...gptImage, inputFidelities: ["low"], released: "2025-10-06", shutdown: "2026-12-01", replacement: TODAY_26 },
  "gpt-image-1": { ...gptImage, released: "2025-04-23", shutdown: "2026-10-23", replacement: "gpt-image-2.5-flare" },
  "dall-e-3": { ...dalle3, released: "2023-10-01", shutdown: "2026-05-12", replacement: "gpt-image-2.5-sunburst" },
  "dall-e-2": { ...dalle2, released: "2022-11-03", shutdown: "2026-05-12", replacement: "gpt-image-2.5-sunburst" },
};

const SNAPSHOT = /^(.+)-(\d{4}-\d{2}-\d{2})$/;

/** The table's own id for a model: itself, or for an unlisted dated snapshot `<known id>-YYYY-MM-DD` its base id. */
export function tableId(model: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(MODELS, model)) return model;
  const m = SNAPSHOT.exec(model);
  return m && Object.prototype.hasOwnProperty.call(MODELS, m[1]) ? m[1] : undefined;
}

/** Rules and lifecycle of a known model (or of its base id), or undefined for a gateway model. */
export function modelEntry(model: string): ModelEntry | undefined {
  const id = tableId(model);
  return id === undefined ? undefined : MODELS[id];
}

/** Rules of a known model, or undefined for a gateway model (generic checks only). */
export function modelRule(model: string): ModelRule | undefined {
  return modelEntry(model);
}

export const DEFAULT_MODEL: Record<Operation, string> = {
  generate: TODAY_26,
  edit: TODAY_26,
};

/** Why a WxH size breaks a custom-size rule, with one size that keeps it as an example; null when it is fine. */
export function customSizeProblem(size: string, rule: CustomSizeRule): string | null {
  const typical = `(e.g. ${sizeExample(rule, Math.sqrt(rule.minPixels * rule.maxPixels), "atLeast")})`;
  const m = /^(\d{1,5})x(\d{1,5})$/.exec(size);
  if (!m) return `it is not WIDTHxHEIGHT ${typical}`;
  const w = Number(m[1]);
  const h = Number(m[2]);
  if (w <= 0 || h <= 0) return `width and height must be positive ${typical}`;
  if (w % rule.multipleOf || h % rule.multipleOf) {
    return `width and height must be multiples of ${rule.multipleOf} ${typical}`;
  }
  if (Math.max(w, h) / Math.min(w, h) > rule.maxRatio) {
    return `the aspect ratio must be between 1:${rule.maxRatio} and ${rule.maxRatio}:1 ${typical}`;
  }
  if (Math.max(w, h) > rule.maxEdge) return `the longest side must be at most ${rule.maxEdge} ${typical}`;
  const pixels = w * h;
  if (pixels < rule.minPixels) {
    return `it has ${pixels} pixels; at least ${rule.minPixels} are needed (e.g. ${sizeExample(rule, rule.minPixels, "atLeast")})`;
  }
  if (pixels > rule.maxPixels) {
    return `it has ${pixels} pixels; at most ${rule.maxPixels} are allowed (e.g. ${sizeExample(rule, rule.maxPixels, "atMost")})`;
  }
  return null;
}

/**
 * A 16:9 size (1:1 where the rule allows no 16:9) that keeps the rule, for a message: the smallest with at least
 * `pixels` pixels, or the largest with at most that many.
 */
function sizeExample(rule: CustomSizeRule, pixels: number, bound: "atLeast" | "atMost"): string {
  const [wide, high] = 16 / 9 <= rule.maxRatio ? [16, 9] : [1, 1];
  const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);
  // sides wide·k × high·k, k a multiple of `step` so that both sides are multiples of multipleOf
  const forWide = rule.multipleOf / gcd(rule.multipleOf, wide);
  const forHigh = rule.multipleOf / gcd(rule.multipleOf, high);
  const step = (forWide * forHigh) / gcd(forWide, forHigh);
  const j = Math.sqrt(pixels / (wide * high * step * step));
  const k = step * (bound === "atLeast" ? Math.ceil(j) : Math.min(Math.floor(j), Math.floor(rule.maxEdge / (wide * step))));
  return `${wide * k}x${high * k}`;
}

const IMAGE_MODEL_NAME =
  /image|dall-?e|flux|kontext|seedream|stable-?diffusion|sdxl|\bsd[-_ ]?(\d|turbo|xl)|imagen|recraft|ideogram|midjourney|playground|kolors|cogview|hidream/i;

/** Whether a model id from a server's model list is an image model (known ones, or a telling name). */
export function isImageModel(id: string): boolean {
  return modelRule(id) !== undefined || IMAGE_MODEL_NAME.test(id);
}
