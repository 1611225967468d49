/**
 * Zhipu (open.bigmodel.cn) and Z.ai: OpenAI's paths below /api/paas/v4, answers as URLs only (response_format is not
 * sent), one image per request (no n), and a refused prompt as error code 1301 with a Chinese message. No model list
 * is documented [U].
 */
import { OPENAI_ONLY, type Profile } from "./profile";
import { notOffered } from "./wire-helpers";

export const zhipu: Profile = {
  id: "zhipu",
  name: "Zhipu / Z.ai",
  baseUrl: "https://open.bigmodel.cn/api/paas/v4",
  hosts: /^(open\.bigmodel\.cn|api\.z\.ai)$/i,
  auth: "bearer",
  paths: { generate: "images/generations", edit: "images/edits" },
  edits: "none",
  omits: [...OPENAI_ONLY, "output_format"],
  mapParams(params) {
    // one image per request: its API has no n
    if (params.n !== undefined && params.n !== 1)
      throw notOffered("Zhipu", "n", params.n, "it makes one image per request (send one message per image)");
    delete params.response_format;
    return params;
  },
  refusals: { codes: /^1301$/, text: /不安全|敏感内容|sensitive content/i },
  models: null,
};
