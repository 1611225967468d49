/**
 * SiliconFlow (notes §13, its API reference [V]). Base URL http://127.0.0.1:PORT/v1, Bearer key.
 *
 * - POST /v1/images/generations: `model`, `prompt`, `image_size` "WxH" (not `size`), `batch_size` 1–4 (Kolors only, not
 *   `n`), `num_inference_steps`, `guidance_scale` (Kolors only), `seed` 0–9999999999, `negative_prompt`, `image` (data URI
 *   or URL) [V]. Qwen-Image-Edit needs `image` [U] and refuses `image_size` [V].
 * - `size` and `n` are IGNORED, not refused [U]: the docs only name the right fields; a client that sends `size`/`n`
 *   gets one 1024×1024 image, the trap worth testing. `batch_size` > 1 on a non-Kolors model: 400 [U].
 * - Answer `{images:[{url}], timings:{inference}, seed}` — no `data`, no b64 — with header x-siliconcloud-trace-id [V];
 *   the URLs are the emulator's own (GET serves the PNG; real ones live 1 hour [V], these live as long as the emulator).
 * - Edits: "json-field", `image` on generations; without image_size the answer has the input image's size [U].
 * - Errors `{code:<number>, message, data:null}` [U: SiliconFlow's usual shape]; code numbers other than 20012 (unknown
 *   model) are placeholders [U]. 401 plain text "Invalid token" and 404 plain "404 page not found" [U].
 * - GET /v1/models: `{object:"list", data:[{id, object, created, owned_by}]}`, `?type=image|text` filters [U].
 */
import { randomBytes } from "node:crypto";
import {
  decodeDataUri,
  draw,
  isImageRef,
  isInt,
  json,
  parseSize,
  startSpec,
  type Ctx,
  type ProviderSpec,
  type Reply,
  type StartOptions,
} from "./emulator";
import { imageSize } from "./images";

const KOLORS = "Kwai-Kolors/Kolors";
const QWEN_EDIT = "Qwen/Qwen-Image-Edit";
const IMAGE_MODELS = [KOLORS, "Qwen/Qwen-Image", QWEN_EDIT, "black-forest-labs/FLUX.1-schnell"];
const TEXT_MODELS = ["deepseek-ai/DeepSeek-V3", "Qwen/Qwen3-8B"];

const err = (status: number, code: number, message: string): Reply => json(status, { code, message, data: null });
const bad = (message: string): Reply => err(400, 20015, message);

function generate(ctx: Ctx): Reply {
  const b = ctx.body;
  if (typeof b.model !== "string" || !IMAGE_MODELS.includes(b.model))
    return err(400, 20012, "Model does not exist. Please check it carefully.");
  if (typeof b.prompt !== "string" || b.prompt === "") return bad("prompt is required");
  if (b.model === QWEN_EDIT && b.image_size !== undefined) return bad(`image_size is not supported by ${QWEN_EDIT}`);
  if (b.model === QWEN_EDIT && b.image === undefined) return bad(`image is required by ${QWEN_EDIT}`);
  if (b.image !== undefined && !isImageRef(b.image)) return bad("image must be a data:image/…;base64 URI or an http(s) URL");
  const asked = b.image_size === undefined ? undefined : parseSize(b.image_size, 2048);
  if (b.image_size !== undefined && !asked) return bad(`Invalid image_size ${JSON.stringify(b.image_size)}`);
  if (b.batch_size !== undefined && !isInt(b.batch_size, 1, 4)) return bad("batch_size must be between 1 and 4");
  if (b.batch_size !== undefined && b.batch_size !== 1 && b.model !== KOLORS) return bad(`batch_size is only supported by ${KOLORS}`);
  if (b.guidance_scale !== undefined && b.model !== KOLORS) return bad(`guidance_scale is only supported by ${KOLORS}`);
  if (b.num_inference_steps !== undefined && !isInt(b.num_inference_steps, 1, 100))
    return bad("num_inference_steps must be between 1 and 100");
  if (b.seed !== undefined && !isInt(b.seed, 0, 9_999_999_999)) return bad("seed must be an integer between 0 and 9999999999");
  if (ctx.moderated()) return err(400, 20044, "The prompt or image contains sensitive content. Please modify it and try again.");
  const input = decodeDataUri(b.image);
  const size = asked ?? (input && imageSize(input)) ?? { width: 1024, height: 1024 };
  const images = draw(ctx, (b.batch_size as number | undefined) ?? 1, size).map((png) => ({ url: ctx.store(png, "png") }));
  const seed = (b.seed as number | undefined) ?? Math.floor(Math.random() * 9_999_999_999);
  return json(200, { images, timings: { inference: 1.234 }, seed }, { "x-siliconcloud-trace-id": randomBytes(12).toString("hex") });
}

function models(ctx: Ctx): Reply {
  const type = ctx.req.query.type;
  const ids = type === "image" ? IMAGE_MODELS : type === "text" ? TEXT_MODELS : [...TEXT_MODELS, ...IMAGE_MODELS];
  return json(200, { object: "list", data: ids.map((id) => ({ id, object: "model", created: 0, owned_by: "" })) });
}

export const spec: ProviderSpec = {
  id: "siliconflow",
  basePath: "/v1",
  defaultKey: "sk-siliconflow-emulator",
  imageModels: IMAGE_MODELS,
  edits: "json-field",
  auth: "bearer",
  routes: [
    { method: "POST", path: "/v1/images/generations", image: true, handle: generate },
    { method: "GET", path: "/v1/models", handle: models },
  ],
  unauthorized: () => ({ status: 401, text: "Invalid token" }),
  notFound: () => ({ status: 404, text: "404 page not found" }),
  error: (status, message) => err(status, 20015, message),
  rateLimited: () => err(429, 50603, "Request was rejected due to rate limiting. Details: RPM limit reached."),
};

export const start = (opts?: StartOptions) => startSpec(spec, opts);
