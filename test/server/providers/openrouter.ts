/**
 * OpenRouter's Image API (notes §2). Base URL http://127.0.0.1:PORT/api/v1, Bearer key.
 *
 * - POST /api/v1/images: {model, prompt, n 1–10, size WxH, seed, aspect_ratio, resolution, input_references} [S];
 *   `response_format` ignored, always `{created, data:[{b64_json}], usage}` with PNG bytes [S] [V blog: data[0].b64_json].
 * - POST /api/v1/images/generations: 404, there is no such route [S].
 * - Edits: `input_references: [{type:"image_url", image_url:{url}}]` (data URI or http URL) on the same route [S]; no multipart.
 * - GET /api/v1/models: every model; `?output_modalities=image` (or `text,image`) keeps the models that output all
 *   of the listed modalities [V filter; "all of" semantics U]. Public: no key needed [U].
 * - Errors `{error:{message, code:<number>, metadata?}}` (numeric code) [S]. [U]: the 401 texts ("No auth credentials
 *   found" / "User not found."), an unknown model 400 "<id> is not a valid model ID", a text-only model 404 "No endpoints
 *   found that support the requested output modalities: image" (the chat-route text [S]), 429 without retry-after but with
 *   X-RateLimit-* headers, moderation 403 with metadata {reasons, flagged_input, provider_name, model_slug}, the
 *   `usage` keys, aspect_ratio without size → long side 1024/2048/4096 for resolution 1K/2K/4K (default 1K).
 */
import {
  aspectSize,
  draw,
  isImageRef,
  isInt,
  json,
  parseSize,
  startSpec,
  str,
  type Ctx,
  type ProviderSpec,
  type Reply,
  type StartOptions,
} from "./emulator";

const BASE = "/api/v1";

interface Model {
  id: string;
  input: string[];
  output: string[];
}

const MODELS: Model[] = [
  { id: "google/gemini-2.5-flash-image", input: ["image", "text"], output: ["image", "text"] },
  { id: "bytedance-seed/seedream-4.5", input: ["image", "text"], output: ["image"] },
  { id: "black-forest-labs/flux.2-pro", input: ["image", "text"], output: ["image"] },
  { id: "openai/gpt-4o-mini", input: ["text", "image"], output: ["text"] },
  { id: "anthropic/claude-sonnet-4.5", input: ["text", "image"], output: ["text"] },
];

const err = (status: number, message: string, metadata?: Record<string, unknown>): Reply =>
  json(status, { error: { message, code: status, ...(metadata && { metadata }) } });

function generate(ctx: Ctx): Reply {
  const b = ctx.body;
  if (typeof b.model !== "string") return err(400, "model is required");
  const model = MODELS.find((m) => m.id === b.model);
  if (!model) return err(400, `${b.model} is not a valid model ID`);
  if (!model.output.includes("image")) return err(404, "No endpoints found that support the requested output modalities: image");
  if (typeof b.prompt !== "string" || b.prompt === "") return err(400, "prompt is required");
  if (b.n !== undefined && !isInt(b.n, 1, 10)) return err(400, "n must be an integer between 1 and 10");
  if (b.size !== undefined && !parseSize(b.size)) return err(400, `Invalid size: ${JSON.stringify(b.size)}`);
  const long = { "1K": 1024, "2K": 2048, "4K": 4096 }[str(b.resolution) ?? "1K"];
  if (long === undefined) return err(400, `Invalid resolution: ${JSON.stringify(b.resolution)}`);
  if (b.aspect_ratio !== undefined && !aspectSize(b.aspect_ratio, long))
    return err(400, `Invalid aspect_ratio: ${JSON.stringify(b.aspect_ratio)}`);
  if (b.input_references !== undefined) {
    const refs = b.input_references;
    const ok =
      Array.isArray(refs) &&
      refs.length > 0 &&
      refs.every((r: any) => r && r.type === "image_url" && r.image_url && isImageRef(r.image_url.url));
    if (!ok)
      return err(
        400,
        'input_references must be a non-empty array of {type:"image_url", image_url:{url}} with a data: URI or an http(s) URL',
      );
  }
  if (ctx.moderated()) {
    const reasons = ["sexual"];
    return err(403, `${model.id} requires moderation on OpenAI. Your input was flagged for "${reasons[0]}". No credits were charged.`, {
      reasons,
      flagged_input: b.prompt.slice(0, 100),
      provider_name: "OpenAI",
      model_slug: model.id,
    });
  }
  const size = parseSize(b.size) ?? aspectSize(b.aspect_ratio ?? "1:1", long)!;
  const n = (b.n as number | undefined) ?? 1;
  const data = draw(ctx, n, size).map((png) => ({ b64_json: png.toString("base64") }));
  return json(200, {
    created: Math.floor(Date.now() / 1000),
    data,
    usage: { prompt_tokens: 0, completion_tokens: 1290 * n, total_tokens: 1290 * n, cost: 0.04 * n },
  });
}

function models(ctx: Ctx): Reply {
  const wanted = (ctx.req.query.output_modalities ?? "").split(",").filter(Boolean);
  const list = MODELS.filter((m) => wanted.every((w) => m.output.includes(w)));
  const data = list.map((m) => ({
    id: m.id,
    name: m.id,
    created: 1760000000,
    architecture: { modality: `${m.input.join("+")}->${m.output.join("+")}`, input_modalities: m.input, output_modalities: m.output },
    pricing: { prompt: "0", completion: "0", image: m.output.includes("image") ? "0.04" : "0" },
  }));
  return json(200, { data });
}

export const spec: ProviderSpec = {
  id: "openrouter",
  basePath: BASE,
  defaultKey: "sk-or-v1-emulator",
  imageModels: MODELS.filter((m) => m.output.includes("image")).map((m) => m.id),
  edits: "input_references",
  auth: "bearer",
  routes: [
    { method: "POST", path: `${BASE}/images`, image: true, handle: generate },
    { method: "GET", path: `${BASE}/models`, auth: false, handle: models },
  ],
  unauthorized: (missing) => err(401, missing ? "No auth credentials found" : "User not found."),
  notFound: () => err(404, "Not Found"),
  error: (status, message) => err(status, message),
  rateLimited: () =>
    json(
      429,
      { error: { message: "Rate limit exceeded: limit_rpm. High demand for this model, please retry shortly.", code: 429 } },
      { "x-ratelimit-limit": "20", "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(Date.now() + 60_000) },
    ),
};

export const start = (opts?: StartOptions) => startSpec(spec, opts);
