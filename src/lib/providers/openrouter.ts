/**
 * OpenRouter's Image API: one path for both operations, POST {base}/images (its /images/generations is a 404); edit
 * images go as `input_references` in the same JSON; answers are always base64 (response_format is not sent). Its
 * model list names image models when asked with ?output_modalities=image.
 */
import { OPENAI_ONLY, type Profile } from "./profile";
import { openAiList } from "./wire-helpers";

export const openrouter: Profile = {
  id: "openrouter",
  name: "OpenRouter",
  baseUrl: "https://openrouter.ai/api/v1",
  hosts: /^openrouter\.ai$/i,
  auth: "bearer",
  paths: { generate: "images", edit: "images" },
  edits: "json-field",
  omits: OPENAI_ONLY,
  mapParams(params) {
    delete params.response_format;
    return params;
  },
  editFields: (images) => ({ input_references: images.map((url) => ({ type: "image_url", image_url: { url } })) }),
  // a refused prompt: 403 "… requires moderation … Your input was flagged for …" [U: the exact words]
  refusals: { text: /requires moderation|input was flagged/i },
  models: { path: "models?output_modalities=image", read: (json) => openAiList(json, true) },
};
