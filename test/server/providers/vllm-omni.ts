/**
 * vLLM-Omni (notes §11, its serving docs [V]). Base URL http://127.0.0.1:PORT/v1, Bearer key (served with --api-key).
 *
 * - One model per server [V]: black-forest-labs/FLUX.2-klein-4B here [U], for generations and edits alike.
 * - POST /v1/images/generations (JSON): `prompt`, `model`, `size`, `n`, top-level extras `seed`, `num_inference_steps`,
 *   `guidance_scale`, `negative_prompt`; answers data[].b64_json [V].
 * - POST /v1/images/edits (multipart): file `image` WITHOUT brackets [V] (only `image[]` parts: 400 "image is required" [U]),
 *   `size`, `output_format`; extras `url` (image URLs, instead of files), `guidance_scale`, `seed` [V].
 * - `output_format` png | jpeg | webp, echoed with `size` in the answer `{created, data:[{b64_json}], output_format, size}`
 *   [V: NVIDIA Dynamo's handler]; WebP bytes are lossless one-colour images.
 * - GET /v1/models: the one model, vLLM's shape [U].
 * - [U]: errors `{error:{message, type, param, code:<number>}}` (vLLM's), 401 `{"error":"Unauthorized"}` (vLLM's
 *   --api-key middleware), FastAPI's `{"detail":"Not Found"}`, default 1024×1024, n 1–4, 429 OpenAI-like (vLLM has no
 *   rate limiter), moderation = none exists: 200 with an all-black PNG, as the diffusers safety checker does.
 */
import { draw, isInt, json, parseSize, startSpec, type Ctx, type ProviderSpec, type Reply, type StartOptions } from "./emulator";
import { sniff, type ImageFormat } from "./images";

const MODEL = "black-forest-labs/FLUX.2-klein-4B";
const TYPES: Record<number, string> = { 400: "BadRequestError", 404: "NotFoundError", 413: "BadRequestError", 429: "RateLimitError" };

const err = (status: number, message: string, param: string | null = null): Reply =>
  json(status, { error: { message, type: TYPES[status] ?? "InternalServerError", param, code: status } });

function answer(ctx: Ctx, src: Record<string, unknown>): Reply {
  if (src.model !== undefined && src.model !== MODEL) return err(404, `The model \`${String(src.model)}\` does not exist.`, "model");
  if (typeof src.prompt !== "string" || src.prompt === "") return err(400, "prompt is required", "prompt");
  const n = src.n === undefined ? 1 : Number(src.n);
  if (!isInt(n, 1, 4)) return err(400, "n must be between 1 and 4", "n");
  const size = src.size === undefined ? { width: 1024, height: 1024 } : parseSize(src.size, 2048);
  if (!size) return err(400, `Invalid size ${JSON.stringify(src.size)}: expected WIDTHxHEIGHT`, "size");
  const output = src.output_format ?? "png";
  if (output !== "png" && output !== "jpeg" && output !== "webp")
    return err(400, `Unsupported output_format ${JSON.stringify(output)}`, "output_format");
  for (const k of ["seed", "num_inference_steps"]) {
    if (src[k] !== undefined && !Number.isInteger(Number(src[k]))) return err(400, `${k} must be an integer`, k);
  }
  const moderated = ctx.moderated();
  const data = draw(ctx, n, size, moderated ? "png" : (output as ImageFormat), moderated).map((bytes) => ({
    b64_json: bytes.toString("base64"),
  }));
  return json(200, {
    created: Math.floor(Date.now() / 1000),
    data,
    output_format: moderated ? "png" : output,
    size: `${size.width}x${size.height}`,
  });
}

function edits(ctx: Ctx): Reply {
  const images = ctx.parts.filter((p) => p.name === "image" && p.filename !== undefined);
  const urls = ctx.parts.filter((p) => p.name === "url" && p.filename === undefined);
  if (images.length === 0 && urls.length === 0) return err(400, "image is required", "image");
  const bad = ctx.parts.find((p) => p.filename !== undefined && !sniff(p.data));
  if (bad) return err(400, `${bad.name} is not a PNG, JPEG or WebP image`, bad.name);
  return answer(ctx, ctx.fields);
}

const models = (): Reply =>
  json(200, {
    object: "list",
    data: [
      {
        id: MODEL,
        object: "model",
        created: 1764000000,
        owned_by: "vllm-omni",
        root: MODEL,
        parent: null,
        max_model_len: null,
        permission: [],
      },
    ],
  });

export const spec: ProviderSpec = {
  id: "vllm-omni",
  basePath: "/v1",
  defaultKey: "token-vllm-emulator",
  imageModels: [MODEL],
  edits: "multipart",
  auth: "bearer",
  routes: [
    { method: "POST", path: "/v1/images/generations", image: true, handle: (ctx) => answer(ctx, ctx.body) },
    { method: "POST", path: "/v1/images/edits", image: true, handle: edits },
    { method: "GET", path: "/v1/models", handle: models },
  ],
  unauthorized: () => json(401, { error: "Unauthorized" }),
  notFound: () => json(404, { detail: "Not Found" }),
  error: (status, message) => err(status, message),
  rateLimited: () => err(429, "Too many requests: the engine's waiting queue is full."),
};

export const start = (opts?: StartOptions) => startSpec(spec, opts);
