/**
 * Ollama's experimental OpenAI-compatible images: generations only, one image per request, base64 only; n, quality,
 * style and user are not taken. Its model list does not say which models make images, so every one counts.
 */
import { OPENAI_ONLY, OPENAI_WIRE, type Profile } from "./profile";
import { notOffered, openAiList } from "./wire-helpers";

const NAME = "Ollama";

export const ollama: Profile = {
  id: "ollama",
  name: NAME,
  baseUrl: "http://localhost:11434/v1",
  hosts: /^(localhost|127\.0\.0\.1):11434$/i,
  ...OPENAI_WIRE,
  edits: "none",
  omits: [...OPENAI_ONLY, "quality", "user", "output_format"],
  mapParams(params) {
    if (params.n !== undefined && params.n !== 1)
      throw notOffered(NAME, "n", params.n, "it makes one image per request (send one message per image)");
    if (params.response_format === "url")
      throw notOffered(NAME, "response_format", "url", "it answers with image data only: choose the Buffer, base64 or data URL output");
    return params;
  },
  models: { path: "models", read: (json) => openAiList(json, true) },
};
