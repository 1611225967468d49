/**
 * Volcengine Ark (Seedream): OpenAI's paths below /api/v3; edit images as `image` on a generations request; more than
 * one image as `sequential_image_generation: "auto"` with `max_images` (it has no n); sizes as 1K/2K/4K or a large
 * WxH, sent as given (it decides). It adds a watermark unless `watermark: false` is in msg.params. Refusals have
 * codes like InputTextSensitiveContentDetected. No model list is documented [U].
 */
import type { Params } from "../check/params";
import type { Profile } from "./profile";

export const ark: Profile = {
  id: "ark",
  name: "Volcengine Ark",
  baseUrl: "https://ark.cn-beijing.volces.com/api/v3",
  hosts: /^ark\.[a-z0-9-]+\.(volces|bytepluses)\.com$/i,
  auth: "bearer",
  paths: { generate: "images/generations", edit: "images/generations" },
  edits: "json-field",
  mapParams(params) {
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
