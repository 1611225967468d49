/**
 * xAI's image API: it refuses `size` and takes `aspect_ratio` (one of its list) and `resolution` (1k or 2k) instead; a
 * size with no aspect ratio of its list is refused before sending. It refuses content as "Generated image rejected
 * by content moderation." Edits go to /images/edits [U: the path and fields are not confirmed].
 */
import { invalidParams, listOr, show } from "../errors";
import { OPENAI_ONLY, OPENAI_WIRE, type Profile } from "./profile";
import { sizeOf } from "./wire-helpers";

const NAME = "xAI";
export const XAI_ASPECT_RATIOS = ["1:1", "3:4", "4:3", "9:16", "16:9", "2:3", "3:2", "9:19.5", "19.5:9", "9:20", "20:9", "1:2", "2:1"];

const ratioOf = (r: string) => {
  const [w, h] = r.split(":").map(Number);
  return w / h;
};

/** The aspect ratio of xAI's list a size has (within 1 %), or undefined. */
export function xaiAspectRatio(width: number, height: number): string | undefined {
  return XAI_ASPECT_RATIOS.find((r) => Math.abs(ratioOf(r) / (width / height) - 1) < 0.01);
}

export const xai: Profile = {
  id: "xai",
  name: NAME,
  baseUrl: "https://api.x.ai/v1",
  hosts: /^api\.x\.ai$/i,
  ...OPENAI_WIRE,
  omits: OPENAI_ONLY,
  mapParams(params) {
    if (params.size === undefined) return params;
    const size = sizeOf(params.size);
    if (params.size === "auto") params.aspect_ratio = "auto";
    else if (!size)
      throw invalidParams(
        "size",
        `${NAME} takes no size ${show(params.size)}; give WIDTHxHEIGHT in one of its aspect ratios (${listOr(XAI_ASPECT_RATIOS)})`,
      );
    else {
      const ratio = xaiAspectRatio(size.width, size.height);
      if (!ratio) {
        throw invalidParams(
          "size",
          `${NAME} has no aspect ratio for size ${show(params.size)}; use a size in ${listOr(XAI_ASPECT_RATIOS)}, e.g. 1024x768 (4:3)`,
        );
      }
      params.aspect_ratio = ratio;
      params.resolution = Math.max(size.width, size.height) > 1536 ? "2k" : "1k";
    }
    delete params.size;
    return params;
  },
  refusals: { text: /rejected by content moderation/i },
  // one size of each common aspect ratio at 1k, for the size field
  sizes: ["1024x1024", "1024x768", "768x1024", "1280x720", "720x1280", "1248x832", "832x1248", "1408x704", "704x1408"],
};
