/**
 * DeepInfra's OpenAI routes (notes §8). Base URL http://127.0.0.1:PORT/v1/openai, Bearer key.
 *
 * - POST /v1/openai/images/generations: `prompt`, `size` WxH, `model`, `n` [V]. Answer `{created, data:[{revised_prompt,
 *   b64_json}]}`, revised_prompt echoing the prompt, the bytes JPEG (b64 "/9j/…") [V]. `response_format` ignored [U].
 * - POST /v1/openai/images/edits: multipart, `image` repeated WITHOUT brackets, `mask`, `n`, `size`, `model`, `prompt`;
 *   answer data[].b64_json [S]. A body with only `image[]` parts has no `image`: 400 "image is required" [U].
 * - Errors `{error:{message}}` [S]. [U]: n 1–4, sides ≤ 2048, the 401/404/429/moderation texts (404 for an unknown model,
 *   no retry-after on 429, moderation 400), the /v1/openai/models list (OpenAI-style, image and text models, no flag).
 */
import { draw, isInt, json, parseSize, startSpec, type Ctx, type ProviderSpec, type Reply, type StartOptions } from "./emulator";
import { sniff } from "./images";

const BASE = "/v1/openai";
const IMAGE_MODELS = ["black-forest-labs/FLUX-2-dev", "black-forest-labs/FLUX-1-schnell", "stabilityai/sd3.5"];
const TEXT_MODELS = ["meta-llama/Llama-3.3-70B-Instruct", "deepseek-ai/DeepSeek-V3.1"];

const err = (status: number, message: string): Reply => json(status, { error: { message } });

function answer(ctx: Ctx, src: Record<string, unknown>): Reply {
  if (typeof src.model !== "string" || src.model === "") return err(400, "model is required");
  if (!IMAGE_MODELS.includes(src.model)) return err(404, `Model is not available: ${src.model}`);
  if (typeof src.prompt !== "string" || src.prompt === "") return err(400, "prompt is required");
  const n = src.n === undefined ? 1 : Number(src.n);
  if (!isInt(n, 1, 4)) return err(400, "n must be between 1 and 4");
  const size = src.size === undefined ? { width: 1024, height: 1024 } : parseSize(src.size, 2048);
  if (!size) return err(400, `Invalid size ${JSON.stringify(src.size)}: expected WxH with sides up to 2048`);
  if (ctx.moderated()) return err(400, "The prompt was flagged by the safety checker.");
  const data = draw(ctx, n, size, "jpeg").map((jpeg) => ({ revised_prompt: src.prompt, b64_json: jpeg.toString("base64") }));
  return json(200, { created: Math.floor(Date.now() / 1000), data });
}

function edits(ctx: Ctx): Reply {
  const images = ctx.parts.filter((p) => p.name === "image" && p.filename !== undefined);
  if (images.length === 0) return err(400, "image is required");
  const bad = ctx.parts.find((p) => p.filename !== undefined && !sniff(p.data));
  if (bad) return err(400, `${bad.name}: not a PNG, JPEG or WebP image`);
  return answer(ctx, ctx.fields);
}

const models = (): Reply =>
  json(200, {
    object: "list",
    data: [...IMAGE_MODELS, ...TEXT_MODELS].map((id) => ({ id, object: "model", created: 1750000000, owned_by: "deepinfra" })),
  });

export const spec: ProviderSpec = {
  id: "deepinfra",
  basePath: BASE,
  defaultKey: "di-emulator",
  imageModels: IMAGE_MODELS,
  edits: "multipart",
  auth: "bearer",
  routes: [
    { method: "POST", path: `${BASE}/images/generations`, image: true, handle: (ctx) => answer(ctx, ctx.body) },
    { method: "POST", path: `${BASE}/images/edits`, image: true, handle: edits },
    { method: "GET", path: `${BASE}/models`, handle: models },
  ],
  unauthorized: (missing) => err(401, missing ? "Missing API key" : "Invalid API key"),
  notFound: () => err(404, "Not Found"),
  error: (status, message) => err(status, message),
  rateLimited: () => err(429, "Too many requests: the model is at its concurrency limit. Please try again later."),
};

export const start = (opts?: StartOptions) => startSpec(spec, opts);
