/**
 * xAI Grok image (notes §5). Base URL http://127.0.0.1:PORT/v1, Bearer key.
 *
 * - POST /v1/images/generations: `model`, `prompt`, `n` 1–10, `response_format` url (default) | b64_json,
 *   `aspect_ratio` (1:1 … 2:1, auto; default auto), `resolution` 1k|2k [S].
 * - Refused 400: `size` ("Argument not supported: size") and `style` [S]; `quality` refused on grok-2-image, low|medium
 *   on grok-imagine-image-2.0, ignored by the other models [S].
 * - Answer `{data:[{url|b64_json, mime_type:"image/jpeg", revised_prompt}], usage:{cost_in_usd_ticks}}`, JPEG bytes
 *   (b64 JPEG [S]; the URL images JPEG too [U]); pixel size: long side 1024 (1k) or 2048 (2k) at the aspect ratio,
 *   auto = 1:1 [U]. `grok-imagine-image-quality` (retired 2026-11-02) is served by 2.0 [V]; `-pro` is gone: 404 [U].
 * - Edits: a separate operation whose path was not verified [U] → "none" (/v1/images/edits answers 404).
 * - Errors `{code:"<gRPC status text>", error:"<message>"}` [U: xAI's usual shape, not in the notes]. [U]: 401 for a wrong
 *   key (xAI may answer 400), 404 texts, 429 text without retry-after, moderation 400 "Generated image rejected by content
 *   moderation.", cost numbers, the /v1/models list (image and text models, no flag).
 */
import { aspectSize, draw, isInt, json, startSpec, str, type Ctx, type ProviderSpec, type Reply, type StartOptions } from "./emulator";

const IMAGE_MODELS = ["grok-2-image-1212", "grok-2-image", "grok-imagine-image", "grok-imagine-image-2.0", "grok-imagine-image-quality"];
const TEXT_MODELS = ["grok-4", "grok-4-fast"];
const ASPECTS = ["1:1", "3:4", "4:3", "9:16", "16:9", "2:3", "3:2", "9:19.5", "19.5:9", "9:20", "20:9", "1:2", "2:1", "auto"];

const INVALID = "Client specified an invalid argument";
const err = (status: number, code: string, error: string): Reply => json(status, { code, error });
const bad = (message: string): Reply => err(400, INVALID, message);

function generate(ctx: Ctx): Reply {
  const b = ctx.body;
  if (typeof b.model !== "string") return bad("model is required");
  if (!IMAGE_MODELS.includes(b.model)) {
    return err(404, "Some requested entity was not found", `The model ${b.model} does not exist or your team does not have access to it.`);
  }
  if (typeof b.prompt !== "string" || b.prompt === "") return bad("prompt is required");
  for (const k of ["size", "style"]) if (b[k] !== undefined) return bad(`Argument not supported: ${k}`);
  if (b.quality !== undefined) {
    if (b.model.startsWith("grok-2-image")) return bad("Argument not supported: quality");
    if (b.model === "grok-imagine-image-2.0" && b.quality !== "low" && b.quality !== "medium")
      return bad(`Invalid quality ${JSON.stringify(b.quality)}: expected low or medium`);
  }
  if (b.n !== undefined && !isInt(b.n, 1, 10)) return bad("n must be between 1 and 10");
  const format = b.response_format ?? "url";
  if (format !== "url" && format !== "b64_json") return bad(`Invalid response_format ${JSON.stringify(format)}`);
  const aspect = str(b.aspect_ratio) ?? "auto";
  if (!ASPECTS.includes(aspect)) return bad(`Invalid aspect_ratio ${JSON.stringify(b.aspect_ratio)}`);
  const long = { "1k": 1024, "2k": 2048 }[str(b.resolution) ?? "1k"];
  if (long === undefined) return bad(`Invalid resolution ${JSON.stringify(b.resolution)}: expected 1k or 2k`);
  if (ctx.moderated()) return bad("Generated image rejected by content moderation.");
  const size = aspectSize(aspect === "auto" ? "1:1" : aspect, long)!;
  const data = draw(ctx, (b.n as number | undefined) ?? 1, size, "jpeg").map((jpeg) => ({
    ...(format === "url" ? { url: ctx.store(jpeg, "jpeg") } : { b64_json: jpeg.toString("base64") }),
    mime_type: "image/jpeg",
    revised_prompt: "",
  }));
  return json(200, { data, usage: { cost_in_usd_ticks: 200_000_000 * data.length } });
}

const models = (): Reply =>
  json(200, {
    object: "list",
    data: [...IMAGE_MODELS, ...TEXT_MODELS].map((id) => ({ id, object: "model", created: 1754000000, owned_by: "xai" })),
  });

export const spec: ProviderSpec = {
  id: "xai",
  basePath: "/v1",
  defaultKey: "xai-emulator",
  imageModels: IMAGE_MODELS,
  edits: "none",
  auth: "bearer",
  routes: [
    { method: "POST", path: "/v1/images/generations", image: true, handle: generate },
    { method: "GET", path: "/v1/models", handle: models },
  ],
  unauthorized: (missing, key) =>
    err(
      401,
      "The caller does not have permission to execute the specified operation",
      missing
        ? "No API key provided."
        : `Incorrect API key provided: ${key.slice(0, 2)}***${key.slice(-2)}. You can obtain an API key from https://console.x.ai.`,
    ),
  notFound: (method, path) => err(404, "Some requested entity was not found", `No route for ${method} ${path}`),
  error: (status, message) => err(status, INVALID, message),
  rateLimited: () =>
    err(
      429,
      "Some resource has been exhausted",
      "Your team has exceeded its requests-per-minute rate limit for this model. Please slow down.",
    ),
};

export const start = (opts?: StartOptions) => startSpec(spec, opts);
