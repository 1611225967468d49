/**
 * Google Gemini's OpenAI compatibility: generations only (edits need Gemini's own API), base64 answers; it chooses the
 * output format itself (the bytes say which), so output_format is left out with a warning.
 */
import { OPENAI_ONLY, OPENAI_WIRE, type Profile } from "./profile";

export const gemini: Profile = {
  id: "gemini",
  name: "Google Gemini",
  baseUrl: "https://generativelanguage.googleapis.com/v1beta/openai",
  hosts: /^generativelanguage\.googleapis\.com$/i,
  ...OPENAI_WIRE,
  edits: "none",
  omits: [...OPENAI_ONLY, "quality", "user"],
  mapParams(params, _op, warn) {
    if (params.output_format !== undefined) {
      warn(`Google Gemini chooses the image format itself: output_format ${JSON.stringify(params.output_format)} is not sent`);
      delete params.output_format;
    }
    params.response_format = "b64_json";
    return params;
  },
  // blocked prompts: "… blocked by the safety filters (SAFETY)" [U]
  refusals: { text: /safety filters|\(SAFETY\)/i },
  // no image model list is documented for the compatibility API [U]
  models: null,
};
