/**
 * Together AI: generations only, with the size as `width`/`height`, response_format `base64` (not b64_json), and
 * edits as an `image_url` on a generations request (more images as `reference_images`). Its model list is a bare
 * array whose image models have type "image".
 */
import type { Params } from "../check/params";
import { OPENAI_ONLY, type Profile } from "./profile";
import { notOffered, sizeOf } from "./wire-helpers";

const NAME = "Together AI";

export const together: Profile = {
  id: "together",
  name: NAME,
  baseUrl: "https://api.together.xyz/v1",
  hosts: /^api\.together\.(xyz|ai)$/i,
  auth: "bearer",
  paths: { generate: "images/generations", edit: "images/generations" },
  edits: "json-field",
  omits: [...OPENAI_ONLY, "quality", "user"],
  mapParams(params, _op, warn) {
    if (params.size !== undefined) {
      const size = sizeOf(params.size);
      if (size) Object.assign(params, size);
      else if (params.size === "auto") warn(`${NAME} takes no size "auto": its default size is used`);
      else throw notOffered(NAME, "size", params.size, "give WIDTHxHEIGHT, e.g. 1024x768 (it is sent as width and height)");
      delete params.size;
    }
    if (params.response_format === "b64_json") params.response_format = "base64";
    return params;
  },
  // its safety checker's refusal: 422 code nsfw_content [U: the code and words are not documented]
  refusals: { codes: /^nsfw/i, text: /NSFW content|safety checker/i },
  editFields: (images): Params => ({ image_url: images[0], ...(images.length > 1 ? { reference_images: images.slice(1) } : {}) }),
  models: {
    path: "models",
    read(json) {
      const list = Array.isArray(json) ? (json as Array<{ id?: unknown; type?: unknown }>) : [];
      const ids = list.map((m) => String(m?.id ?? "")).filter(Boolean);
      return { ids, imageIds: list.filter((m) => m?.type === "image" && m.id).map((m) => String(m.id)) };
    },
  },
};
