/**
 * The one table of per-model rules. Validation, request shaping and the editor
 * (served as JSON by the config node's admin endpoint) all read it; nothing else
 * may keep its own copy of these rules.
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

export interface ModelRule {
  /** the family name used in messages and by the editor */
  family: "dall-e-2" | "dall-e-3" | "gpt-image" | "gpt-image-2";
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
  inputFidelity: boolean;
  /** null: the model has no edit endpoint */
  edit: EditRule | null;
}

export const GENERIC_LIMITS = {
  nMin: 1,
  nMax: 10,
  compressionMin: 0,
  compressionMax: 100,
  partialImagesMin: 0,
  partialImagesMax: 3,
  editMaxImages: 16,
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
  outputFormats: ["png", "jpeg", "webp"],
  compression: true,
  streaming: true,
  inputFidelity: true,
  edit: GPT_EDIT,
};

const gptImage2: ModelRule = {
  ...gptImage,
  family: "gpt-image-2",
  customSize: { multipleOf: 16, maxRatio: 3, maxEdge: 3840, maxPixels: 3840 * 2160 },
  // accepted but ignored by the API: not offered, not sent
  inputFidelity: false,
};

export const MODELS: Record<string, ModelRule> = {
  "dall-e-2": {
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
    inputFidelity: false,
    edit: { maxImages: 1, formats: ["image/png"], maxBytes: 4 * MB, square: true },
  },
  "dall-e-3": {
    family: "dall-e-3",
    promptMax: 4000,
    sizes: ["1024x1024", "1792x1024", "1024x1792"],
    nMax: 1,
    qualities: ["standard", "hd"],
    styles: ["vivid", "natural"],
    responseFormat: true,
    backgrounds: [],
    moderations: [],
    outputFormats: [],
    compression: false,
    streaming: false,
    inputFidelity: false,
    edit: null,
  },
  "gpt-image-1": gptImage,
  "gpt-image-1-mini": { ...gptImage, inputFidelity: false },
  "gpt-image-1.5": gptImage,
  "chatgpt-image-latest": gptImage,
  "gpt-image-2": gptImage2,
  "gpt-image-2-2026-04-21": gptImage2,
};

/** Rules of a known model, or undefined for a gateway model (generic checks only). */
export function modelRule(model: string): ModelRule | undefined {
  return Object.prototype.hasOwnProperty.call(MODELS, model) ? MODELS[model] : undefined;
}

export const DEFAULT_MODEL: Record<Operation, string> = {
  generate: "gpt-image-1",
  edit: "gpt-image-1",
};

/** Why a WxH size breaks a custom-size rule, or null when it is fine. */
export function customSizeProblem(size: string, rule: CustomSizeRule): string | null {
  const m = /^(\d{1,5})x(\d{1,5})$/.exec(size);
  if (!m) return "it is not WIDTHxHEIGHT";
  const w = Number(m[1]);
  const h = Number(m[2]);
  if (w <= 0 || h <= 0) return "width and height must be positive";
  if (w % rule.multipleOf || h % rule.multipleOf) {
    return `width and height must be multiples of ${rule.multipleOf}`;
  }
  if (Math.max(w, h) / Math.min(w, h) > rule.maxRatio) {
    return `the aspect ratio must be between 1:${rule.maxRatio} and ${rule.maxRatio}:1`;
  }
  if (Math.max(w, h) > rule.maxEdge) return `the longest side must be at most ${rule.maxEdge}`;
  if (w * h > rule.maxPixels) return `it must have at most ${rule.maxPixels} pixels (3840x2160)`;
  return null;
}

const IMAGE_MODEL_NAME = /image|dall-?e|flux|kontext|seedream|stable-?diffusion|sdxl|imagen|recraft|ideogram|midjourney|playground/i;

/** Whether a model id from a server's model list is an image model (known ones, or a telling name). */
export function isImageModel(id: string): boolean {
  return modelRule(id) !== undefined || IMAGE_MODEL_NAME.test(id);
}
