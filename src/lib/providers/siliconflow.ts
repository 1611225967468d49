/**
 * SiliconFlow: `image_size` instead of size, `batch_size` instead of n, edit images as `image` (`image2`, `image3`) on
 * a generations request, and answers as {images: [{url}], timings, seed} (no `data`); its URLs last an hour, so they
 * are downloaded at once when bytes are wanted.
 */
import type { Params } from "../check/params";
import { invalidParams } from "../errors";
import { OPENAI_ONLY, type Profile } from "./profile";
import { openAiList, rename } from "./wire-helpers";

const NAME = "SiliconFlow";
const EDIT_FIELDS = ["image", "image2", "image3"];

export const siliconflow: Profile = {
  id: "siliconflow",
  name: NAME,
  baseUrl: "https://api.siliconflow.cn/v1",
  hosts: /^api\.siliconflow\.(cn|com)$/i,
  auth: "bearer",
  paths: { generate: "images/generations", edit: "images/generations" },
  edits: "json-field",
  omits: [...OPENAI_ONLY, "quality", "user", "output_format"],
  mapParams(params, op, warn) {
    if (op === "edit" && params.size !== undefined) {
      // its edit models (Qwen-Image-Edit) refuse image_size: they keep the input's size
      warn(`${NAME}'s edit models keep the input's size: size ${JSON.stringify(params.size)} is not sent`);
      delete params.size;
    }
    rename(params, "size", "image_size");
    rename(params, "n", "batch_size");
    delete params.response_format;
    return params;
  },
  editFields(images): Params {
    if (images.length > EDIT_FIELDS.length) {
      throw invalidParams("image", `${NAME} edits take at most ${EDIT_FIELDS.length} images; this message has ${images.length}`);
    }
    return Object.fromEntries(images.map((url, i) => [EDIT_FIELDS[i], url]));
  },
  // its refusal: "… contains sensitive content …" [U: code 20044 and the words]
  refusals: { text: /sensitive content/i },
  answer(json) {
    if (Array.isArray(json.data) || !Array.isArray(json.images)) return json;
    const data = (json.images as unknown[]).map((i) => (typeof i === "string" ? { url: i } : i));
    return { ...json, data };
  },
  models: { path: "models?type=image", read: (json) => openAiList(json, true) },
};
