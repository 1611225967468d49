/**
 * What a request costs: from the answer's `usage` tokens and the price table (not an estimate), or estimated from its
 * size, quality, n, partial images and input images when the answer has no usage, or from the config node's price per
 * image for a model the table does not price. The same estimate, taken at its worst, is what a budget reserves before
 * sending.
 */
import type { Params } from "../check/params";
import { BATCH_DISCOUNT, PARTIAL_IMAGE_TOKENS, PRICES, REFERENCE_PIXELS, SVG_AUTHOR_PRICES, type Price } from "../models/prices";
import { modelRule, tableId } from "../models/table";

export type CostBasis = "usage" | "estimate" | "configured";

/** msg.cost */
export interface Cost {
  usd: number;
  estimated: boolean;
  basis: CostBasis;
}

/** What a request asks for, as far as its price goes. */
export interface PricedRequest {
  model: string;
  /** the checked parameters (size, quality, n, partial_images, input_fidelity; prompt) */
  params: Params;
  /** the edit's input images (and mask), by their pixel size */
  inputs?: Array<{ width: number; height: number }>;
  /** batch delivery: the discounted price */
  batch?: boolean;
}

export interface PriceOptions {
  /** the config node's price per image, for models the table does not price */
  pricePerImage?: number;
}

/** The table's price of a model (a dated snapshot is priced as its base id). */
export function priceOf(model: string): Price | undefined {
  const id = tableId(model);
  return id ? (PRICES[id] ?? PRICES[id.replace(/-\d{4}-\d{2}-\d{2}$/, "")]) : undefined;
}

/** A quality's tokens vary with the picture: a reservation allows a quarter more than the published figure. */
export const WORST_MARGIN = 1.25;

const round = (usd: number) => Math.round(usd * 1e6) / 1e6;
const pixelsOf = (size: unknown): number | undefined => {
  const m = typeof size === "string" ? /^(\d+)x(\d+)$/.exec(size) : null;
  return m ? Number(m[1]) * Number(m[2]) : undefined;
};

/** The pixels of the largest size a model lists: what "auto" (or no size) may give. */
function largestPixels(model: string): number {
  const sizes = modelRule(model)?.sizes ?? [];
  return Math.max(REFERENCE_PIXELS, ...sizes.map((s) => pixelsOf(s) ?? 0));
}

/** Image input tokens of one input image: 85 + 170 per 512-pixel tile once scaled to fit 2048 and 768 on its short side [estimate]. */
function inputImageTokens(width: number, height: number, highFidelity: boolean): number {
  let w = width;
  let h = height;
  const fit = Math.min(1, 2048 / Math.max(w, h));
  w *= fit;
  h *= fit;
  const short = Math.min(1, 768 / Math.min(w, h));
  w *= short;
  h *= short;
  const tiles = Math.ceil(w / 512) * Math.ceil(h / 512);
  // high input fidelity adds about a high-quality image's worth of tokens [uncertain]
  return 85 + 170 * tiles + (highFidelity ? Math.round(4160 * ((width * height) / REFERENCE_PIXELS)) : 0);
}

/**
 * The estimated cost of a request: `usd` for its settings as asked, `worstUsd` what it can cost at most (quality
 * "auto" as the most expensive, size "auto" as the largest listed, every prompt character a token), or undefined
 * when neither the table nor the config node prices the model.
 */
export function estimateCost(req: PricedRequest, o: PriceOptions = {}): { usd: number; worstUsd: number; basis: CostBasis } | undefined {
  const n = typeof req.params.n === "number" && req.params.n > 0 ? req.params.n : 1;
  const discount = req.batch ? BATCH_DISCOUNT : 1;
  const price = priceOf(req.model);
  if (!price) {
    if (o.pricePerImage === undefined) return undefined;
    const usd = round(o.pricePerImage * n * discount);
    return { usd, worstUsd: usd, basis: "configured" };
  }
  if (price.perImage) {
    const quality = typeof req.params.quality === "string" && price.perImage[req.params.quality] ? req.params.quality : "standard";
    const bySize = price.perImage[quality] ?? Object.values(price.perImage)[0];
    const size = typeof req.params.size === "string" && bySize[req.params.size] !== undefined ? req.params.size : undefined;
    const usd = size ? bySize[size] : Object.values(bySize)[0];
    const worst = Math.max(...Object.values(price.perImage).flatMap((s) => Object.values(s)));
    return {
      usd: round(usd * n * discount),
      worstUsd: round((size ? Math.max(usd, ...Object.values(bySize)) : worst) * n * discount),
      basis: "estimate",
    };
  }
  const t = price.tokens!;
  const perQuality = price.outputTokens ?? {};
  const worstQuality = Math.max(...Object.values(perQuality));
  const asked = typeof req.params.quality === "string" ? perQuality[req.params.quality] : undefined;
  const pixels = pixelsOf(req.params.size) ?? largestPixels(req.model);
  const outTokens = (q: number) => (q * pixels) / REFERENCE_PIXELS + Number(req.params.partial_images ?? 0) * PARTIAL_IMAGE_TOKENS;
  const prompt = typeof req.params.prompt === "string" ? [...req.params.prompt].length : 0;
  const high = req.params.input_fidelity === "high";
  const imageIn = (req.inputs ?? []).reduce((sum, i) => sum + inputImageTokens(i.width, i.height, high), 0);
  const cost = (quality: number, textTokens: number) =>
    ((textTokens * t.textIn + imageIn * t.imageIn) / 1e6 + (n * outTokens(quality) * t.imageOut) / 1e6) * discount;
  return {
    usd: round(cost(asked ?? worstQuality, Math.ceil(prompt / 4))),
    worstUsd: round(cost(asked !== undefined ? asked * WORST_MARGIN : worstQuality, prompt)),
    basis: "estimate",
  };
}

interface Usage {
  input_tokens?: number;
  output_tokens?: number;
  input_tokens_details?: { text_tokens?: number; image_tokens?: number; cached_tokens?: number };
  output_tokens_details?: { image_tokens?: number; text_tokens?: number };
}

const count = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v > 0 ? v : 0);

/** The cost of an answer's `usage` tokens at the table's prices, or undefined (no usage, no token price, or no tokens at all). */
export function usageCost(model: string, usage: unknown, batch = false): number | undefined {
  const t = priceOf(model)?.tokens;
  if (!t || !usage || typeof usage !== "object") return undefined;
  const u = usage as Usage;
  const input = count(u.input_tokens);
  const output = count(u.output_tokens);
  if (input + output === 0) return undefined;
  const d = u.input_tokens_details ?? {};
  const imageIn = count(d.image_tokens);
  const textIn = d.text_tokens !== undefined ? count(d.text_tokens) : Math.max(0, input - imageIn);
  // cached tokens are part of the input; the usage does not say whether text or image: priced as cached text [uncertain]
  const cached = Math.min(count(d.cached_tokens), textIn);
  const usd = ((textIn - cached) * t.textIn + cached * t.textCachedIn + imageIn * t.imageIn + output * t.imageOut) / 1e6;
  return round(usd * (batch ? BATCH_DISCOUNT : 1));
}

/** The cost of an svg_usage, where the author model's price is known. */
export function svgCost(svgUsage: unknown): number | undefined {
  const u = svgUsage as { model?: unknown; input_tokens?: unknown; output_tokens?: unknown; reasoning_tokens?: unknown } | undefined;
  const p = typeof u?.model === "string" ? SVG_AUTHOR_PRICES[u.model] : undefined;
  if (!p) return undefined;
  // reasoning tokens are billed as output; some answers count them in output_tokens already [uncertain]
  return round((count(u!.input_tokens) * p.in + (count(u!.output_tokens) + count(u!.reasoning_tokens)) * p.out) / 1e6);
}

/**
 * msg.cost of a result: from its usage when the table prices the model's tokens, else estimated (size, quality, n of
 * the images that came back) or from the configured price per image; undefined when nothing prices it.
 */
export function resultCost(
  req: PricedRequest,
  result: { usage?: unknown; svgUsage?: unknown; images: number },
  o: PriceOptions = {},
): Cost | undefined {
  const svg = svgCost(result.svgUsage) ?? 0;
  const fromUsage = usageCost(req.model, result.usage, req.batch);
  if (fromUsage !== undefined) return { usd: round(fromUsage + svg), estimated: false, basis: "usage" };
  const estimate = estimateCost({ ...req, params: { ...req.params, n: result.images } }, o);
  return estimate ? { usd: round(estimate.usd + svg), estimated: true, basis: estimate.basis } : undefined;
}
