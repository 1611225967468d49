/**
 * LocalAI (notes §11, docs/content/docs/features/image-generation.md [V]). Base URL http://127.0.0.1:PORT/v1, Bearer key
 * (LocalAI started with API_KEY; without one it takes any key [U]).
 *
 * - POST /v1/images/generations: `model`, `prompt` (the legacy "positive|negative" split is honoured and recorded),
 *   `negative_prompt`, `size` WxH, `n`, `response_format` url (default) | b64_json, `mode`, `step` [V].
 * - Answer `{created, id, data:[{embedding:null, index, url|b64_json}], usage:{0,0,0}}` [S]; URLs served by the emulator
 *   itself at /generated-images/<id>.png, like LocalAI's own [V]. `size` is honoured (some versions always drew 512×512 [S]:
 *   not emulated).
 * - GET /v1/models: `{object:"list", data:[{id, object:"model"}]}`, no capability flag [U].
 * - Edits: none [U] (404). [U]: n 1–4, default 512×512, errors `{error:{code:<number>, message, type}}`, an unknown model
 *   404 (real LocalAI often answers 500 "could not load model"), 429 (LocalAI has no rate limiter: OpenAI-like),
 *   moderation = none exists: 200 with an all-black image, as a diffusers safety checker does.
 */
import { randomBytes } from "node:crypto";
import { draw, isInt, json, parseSize, startSpec, type Ctx, type ProviderSpec, type Reply, type StartOptions } from "./emulator";

const IMAGE_MODELS = ["stablediffusion", "sd-1.5-ggml", "flux.1-dev-ggml"];
const TEXT_MODELS = ["gpt-4", "llama-3.2-1b-instruct:q4_k_m"];

const err = (status: number, message: string, type = "invalid_request_error"): Reply =>
  json(status, { error: { code: status, message, type } });

function generate(ctx: Ctx): Reply {
  const b = ctx.body;
  if (typeof b.model !== "string" || !IMAGE_MODELS.includes(b.model))
    return err(404, `model not found: ${String(b.model)}`, "not_found_error");
  if (typeof b.prompt !== "string" || b.prompt === "") return err(400, "prompt is required");
  const size = b.size === undefined ? { width: 512, height: 512 } : parseSize(b.size);
  if (!size) return err(400, `invalid size: ${JSON.stringify(b.size)}`);
  if (b.n !== undefined && !isInt(b.n, 1, 4)) return err(400, "n must be between 1 and 4");
  const format = b.response_format ?? "url";
  if (format !== "url" && format !== "b64_json") return err(400, `invalid response_format: ${JSON.stringify(format)}`);
  const data = draw(ctx, (b.n as number | undefined) ?? 1, size, "png", ctx.moderated()).map((png, index) => ({
    embedding: null,
    index,
    ...(format === "url" ? { url: ctx.store(png, "png") } : { b64_json: png.toString("base64") }),
  }));
  return json(200, {
    created: Math.floor(Date.now() / 1000),
    id: randomBytes(16).toString("hex"),
    data,
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  });
}

const models = (): Reply => json(200, { object: "list", data: [...TEXT_MODELS, ...IMAGE_MODELS].map((id) => ({ id, object: "model" })) });

export const spec: ProviderSpec = {
  id: "localai",
  basePath: "/v1",
  defaultKey: "sk-localai-emulator",
  imageModels: IMAGE_MODELS,
  edits: "none",
  filesPrefix: "/generated-images/",
  auth: "bearer",
  routes: [
    { method: "POST", path: "/v1/images/generations", image: true, handle: generate },
    { method: "GET", path: "/v1/models", handle: models },
  ],
  unauthorized: () => err(401, "An authentication key is required"),
  notFound: (method, path) => err(404, `Cannot ${method} ${path}`, "not_found_error"),
  error: (status, message) => err(status, message),
  rateLimited: () => err(429, "Too Many Requests", "rate_limit_error"),
};

export const start = (opts?: StartOptions) => startSpec(spec, opts);
