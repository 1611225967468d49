/**
 * What OpenAI charges for each model the table knows, with the date and source of each figure and what is uncertain.
 * GPT Image models bill tokens (USD per 1M): text in, cached text in, image in, cached image in, image out; the
 * DALL·E models bill per image, by quality and size. Batch delivery costs half. Estimates of the output tokens an
 * image takes (1024×1024, by quality; other sizes scale with the pixel count) come from OpenAI's published per-image
 * figures. cost/ computes msg.cost and budget reservations from this table; the editor shows estimates from it.
 */
/** USD per 1M tokens */
export interface TokenPrices {
  textIn: number;
  textCachedIn: number;
  imageIn: number;
  imageCachedIn: number;
  imageOut: number;
}

export interface Price {
  tokens?: TokenPrices;
  /** USD per image, by quality then size (DALL·E) */
  perImage?: Record<string, Record<string, number>>;
  /** image output tokens of one 1024×1024 image, by quality ("auto" counts as the most expensive) */
  outputTokens?: Record<string, number>;
  /** when and where the figures were read */
  date: string;
  source: string;
  /** what is not certain about them */
  uncertain?: string;
}

/** Batch delivery's price: half of the direct one. */
export const BATCH_DISCOUNT = 0.5;
/** image output tokens each partial image adds (OpenAI's image generation guide) */
export const PARTIAL_IMAGE_TOKENS = 100;
/** the pixels the outputTokens figures are for */
export const REFERENCE_PIXELS = 1024 * 1024;

const PRICING_PAGE = "https://platform.openai.com/docs/pricing (model pages: developers.openai.com/api/docs/models)";

// gpt-image-1: 272 / 1056 / 4160 output tokens for 1024×1024 (OpenAI's image generation guide; $0.011 / $0.042 / $0.167)
const GPT_IMAGE_1_TOKENS = { low: 272, medium: 1056, high: 4160, auto: 4160 };
// gpt-image-2: $0.006 / $0.053 / $0.211 for 1024×1024 at $30 per 1M output tokens
const GPT_IMAGE_2_TOKENS = { low: 200, medium: 1767, high: 7033, auto: 7033 };
// xhigh and max: no published figure; taken as 1.5× and 2× high
const GPT_IMAGE_25_TOKENS = { ...GPT_IMAGE_2_TOKENS, xhigh: 10550, max: 14066, auto: 14066 };
// 2.6 low and medium use 3–4× the tokens of 2.5 (one relay's report): the higher figure, so budgets err on the safe side
const GPT_IMAGE_26_TOKENS = { ...GPT_IMAGE_25_TOKENS, low: 800, medium: 7033 };

const GPT_IMAGE_2_PRICES: TokenPrices = { textIn: 5, textCachedIn: 1.25, imageIn: 8, imageCachedIn: 2, imageOut: 30 };

const gptImage2: Price = {
  tokens: GPT_IMAGE_2_PRICES,
  outputTokens: GPT_IMAGE_2_TOKENS,
  date: "2026-04-21",
  source: `${PRICING_PAGE}; per-image figures from OpenAI's launch (1024×1024: $0.006 / $0.053 / $0.211)`,
};
const gptImage25: Price = {
  tokens: GPT_IMAGE_2_PRICES,
  outputTokens: GPT_IMAGE_25_TOKENS,
  date: "2026-09-08",
  source: `${PRICING_PAGE} (the same token prices as gpt-image-2)`,
  uncertain: "tokens of xhigh and max images are not published (taken as 1.5× and 2× high)",
};
const gptImage26: Price = {
  ...gptImage25,
  outputTokens: GPT_IMAGE_26_TOKENS,
  date: "2026-11-04",
  source: `${PRICING_PAGE}: "unchanged from 2.5" (model page gpt-image-2.6-sunburst, ja-JP and de-DE)`,
  uncertain:
    "2.6 low and medium are reported to use 3–4× the tokens of 2.5 (one relay, not OpenAI): estimated at 4×; xhigh and max as for 2.5",
};
const gptImage1: Price = {
  tokens: { textIn: 5, textCachedIn: 1.25, imageIn: 10, imageCachedIn: 2.5, imageOut: 40 },
  outputTokens: GPT_IMAGE_1_TOKENS,
  date: "2025-04-23",
  source: PRICING_PAGE,
};
const gptImage15: Price = {
  tokens: { textIn: 5, textCachedIn: 1.25, imageIn: 8, imageCachedIn: 2, imageOut: 32 },
  outputTokens: GPT_IMAGE_1_TOKENS,
  date: "2025-12-16",
  source: PRICING_PAGE,
  uncertain: "output tokens per image taken as gpt-image-1's",
};

/** By the model table's ids (a dated snapshot is priced as its base id). */
export const PRICES: Record<string, Price> = {
  "gpt-image-2.6-flare": gptImage26,
  "gpt-image-2.6-sunburst": gptImage26,
  "gpt-image-2.5-flare": gptImage25,
  "gpt-image-2.5-sunburst": gptImage25,
  "gpt-image-2": gptImage2,
  "gpt-image-1.5": gptImage15,
  "chatgpt-image-latest": { ...gptImage15, uncertain: "priced as gpt-image-1.5, whose snapshot it served" },
  "gpt-image-1": gptImage1,
  "gpt-image-1-mini": {
    tokens: { textIn: 2, textCachedIn: 0.2, imageIn: 2.5, imageCachedIn: 0.25, imageOut: 8 },
    outputTokens: GPT_IMAGE_1_TOKENS,
    date: "2025-10-06",
    source: PRICING_PAGE,
  },
  "dall-e-3": {
    perImage: {
      standard: { "1024x1024": 0.04, "1792x1024": 0.08, "1024x1792": 0.08 },
      hd: { "1024x1024": 0.08, "1792x1024": 0.12, "1024x1792": 0.12 },
    },
    date: "2023-11-06",
    source: PRICING_PAGE,
  },
  "dall-e-2": {
    perImage: { standard: { "256x256": 0.016, "512x512": 0.018, "1024x1024": 0.02 } },
    date: "2023-11-06",
    source: PRICING_PAGE,
  },
};

/** USD per 1M tokens of the models that write SVG output (svg_usage), where known. */
export const SVG_AUTHOR_PRICES: Record<string, { in: number; out: number; source: string; uncertain: string }> = {
  "gpt-5.6-terra": { in: 0.1, out: 0.5, source: "inference.sh model list", uncertain: "a third party's figure, not OpenAI's" },
};
