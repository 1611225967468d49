/**
 * Volcengine Ark (Seedream): OpenAI's paths below /api/v3; edit images as `image` on a generations request; more than
 * one image as `sequential_image_generation: "auto"` with `max_images` (it has no n); sizes as 1K/2K/4K or a WxH of
 * at least 1920 × 1920 pixels (a smaller WxH is scaled up to the same shape, with a warning). It adds a watermark unless `watermark: false` is in msg.params. Refusals have
 * codes like InputTextSensitiveContentDetected. No model list is documented [U].
 */
import type { Params } from "../check/params";
import { OPENAI_ONLY, type Profile } from "./profile";
import { sizeOf } from "./wire-helpers";

/** the fewest pixels Seedream 4.x draws (1920 × 1920) [S] */
export const ARK_MIN_PIXELS = 1920 * 1920;

/** A size of the same shape with at least `pixels` pixels, each side a multiple of 16. */
function scaledTo(size: { width: number; height: number }, pixels: number): string {
  const f = Math.sqrt(pixels / (size.width * size.height));
  const up = (v: number) => Math.ceil((v * f) / 16) * 16;
  return `${up(size.width)}x${up(size.height)}`;
}

export const ark: Profile = {
  id: "ark",
  name: "Volcengine Ark",
  baseUrl: "https://ark.cn-beijing.volces.com/api/v3",
  hosts: /^ark\.[a-z0-9-]+\.(volces|bytepluses)\.com$/i,
  auth: "bearer",
  paths: { generate: "images/generations", edit: "images/generations" },
  edits: "json-field",
  omits: [...OPENAI_ONLY, "quality"],
  mapParams(params, _op, warn) {
    const size = sizeOf(params.size);
    if (size && size.width * size.height < ARK_MIN_PIXELS) {
      const bigger = scaledTo(size, ARK_MIN_PIXELS);
      warn(
        `Volcengine Ark makes images of at least ${ARK_MIN_PIXELS} pixels: size ${JSON.stringify(params.size)} is sent as ${bigger} (the same shape)`,
      );
      params.size = bigger;
    }
    if (typeof params.n === "number" && params.n > 1) {
      params.sequential_image_generation = "auto";
      params.sequential_image_generation_options = { max_images: params.n };
    }
    delete params.n;
    return params;
  },
  editFields: (images): Params => ({ image: images.length === 1 ? images[0] : images }),
  refusals: { codes: /SensitiveContentDetected|ContentSecurity/i },
  models: null,
};
