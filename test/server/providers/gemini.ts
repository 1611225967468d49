/**
 * Google Gemini's OpenAI compatibility (notes §6). Base URL http://127.0.0.1:PORT/v1beta/openai, `Authorization: Bearer`
 * (not the native x-goog-api-key) [S].
 *
 * - POST /v1beta/openai/images/generations: `model`, `prompt`, `n`, `size`, `response_format: "b64_json"` [S].
 *   `output_format` is IGNORED: the service answers the format it likes (PNG here) [S, "not accepted" read as ignored: U].
 *   `size` is refused 400 "size not supported for this image model" by the gemini-*-image models [S, gateway report];
 *   the Imagen models draw the WxH asked [U]. `response_format: "url"` refused 400 [U]; n 1–4 [U].
 * - Answer `{data:[{b64_json}]}` only [S].
 * - Errors in the native shape `{error:{code:<number>, message, status}}` [S]. [U]: 401 UNAUTHENTICATED for a wrong or
 *   missing key (real Google answers 400 INVALID_ARGUMENT "API key not valid" for a wrong one), 429 RESOURCE_EXHAUSTED
 *   with a RetryInfo detail and no retry-after header, moderation 400 INVALID_ARGUMENT, models with or without "models/".
 * - Edits: none (no /images/edits listed [S]) → 404. Model list: none in the notes [U] → /models answers 404.
 */
import { draw, isInt, json, parseSize, startSpec, type Ctx, type ProviderSpec, type Reply, type StartOptions } from "./emulator";

const BASE = "/v1beta/openai";
const IMAGEN = ["imagen-4.0-generate-001", "imagen-4.0-fast-generate-001", "imagen-3.0-generate-002"];
const GEMINI_IMAGE = ["gemini-2.5-flash-image", "gemini-3-pro-image-preview"];

const err = (code: number, status: string, message: string, details?: unknown[]): Reply =>
  json(code, { error: { code, message, status, ...(details && { details }) } });
const invalid = (message: string): Reply => err(400, "INVALID_ARGUMENT", message);

function generate(ctx: Ctx): Reply {
  const b = ctx.body;
  const model = typeof b.model === "string" ? b.model.replace(/^models\//, "") : undefined;
  if (!model) return invalid("model is required.");
  if (!IMAGEN.includes(model) && !GEMINI_IMAGE.includes(model))
    return err(404, "NOT_FOUND", `models/${model} is not found for API version v1beta, or is not supported for image generation.`);
  if (typeof b.prompt !== "string" || b.prompt === "") return invalid("prompt is required.");
  if (b.size !== undefined && GEMINI_IMAGE.includes(model)) return invalid("size not supported for this image model");
  const size = b.size === undefined ? { width: 1024, height: 1024 } : parseSize(b.size);
  if (!size) return invalid(`Invalid size ${JSON.stringify(b.size)}.`);
  if (b.n !== undefined && !isInt(b.n, 1, 4)) return invalid("n must be between 1 and 4.");
  if (b.response_format !== undefined && b.response_format !== "b64_json")
    return invalid(`response_format ${JSON.stringify(b.response_format)} is not supported; use b64_json.`);
  if (ctx.moderated()) return invalid("Image generation failed: the prompt was blocked by the safety filters (SAFETY).");
  const data = draw(ctx, (b.n as number | undefined) ?? 1, size).map((png) => ({ b64_json: png.toString("base64") }));
  return json(200, { data });
}

export const spec: ProviderSpec = {
  id: "gemini",
  basePath: BASE,
  defaultKey: "AIzaSy-emulator",
  imageModels: [...IMAGEN, ...GEMINI_IMAGE],
  edits: "none",
  auth: "bearer",
  routes: [{ method: "POST", path: `${BASE}/images/generations`, image: true, handle: generate }],
  unauthorized: (missing) =>
    err(
      401,
      "UNAUTHENTICATED",
      missing
        ? "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential."
        : "API key not valid. Please pass a valid API key.",
    ),
  notFound: (method, path) => err(404, "NOT_FOUND", `Method ${method} ${path} not found.`),
  error: (status, message) => err(status, "INVALID_ARGUMENT", message),
  rateLimited: () =>
    err(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).", [
      { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "20s" },
    ]),
};

export const start = (opts?: StartOptions) => startSpec(spec, opts);
