/**
 * Volcengine ARK Seedream (notes §13, all [S]). Base URL http://127.0.0.1:PORT/api/v3, Bearer ARK_API_KEY.
 *
 * - POST /api/v3/images/generations: `model` (doubao-seedream-5-0-260128 / -4-5-251128 / -4-0-250828, or an `ep-…`
 *   endpoint id), `prompt`, `size` "1K"|"2K"|"4K" or WxH with at least 1920×1920 pixels [S], `response_format` url
 *   (default) | b64_json, `watermark` (default true; recorded, not drawn), `output_format` png|jpeg.
 * - Several images: `sequential_image_generation:"auto"` + `sequential_image_generation_options.max_images` (1–15 [U]);
 *   always exactly max_images here (the real service may stop earlier [U]). `n` is ignored [U].
 * - Edits: "json-field", `image` as a string or an array (1–14 [U]) of http URLs or data URIs, same route [S].
 * - [U]: 1K/2K/4K draw 1024²/2048²/4096² squares (the docs let the model pick the aspect), default 2K, WxH ≤ 4096 a side,
 *   default output_format jpeg, the answer `{model, created, data:[{url|b64_json, size}], usage:{generated_images,
 *   output_tokens, total_tokens}}`, errors `{error:{code, message, param, type}}` (moderation code
 *   InputTextSensitiveContentDetected [brief]; AuthenticationError 401, InvalidEndpointOrModel.NotFound 404,
 *   InvalidParameter 400, RateLimitExceeded 429 without retry-after), no model list (404).
 */
import {
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

const BASE = "/api/v3";
const MODELS = ["doubao-seedream-5-0-260128", "doubao-seedream-4-5-251128", "doubao-seedream-4-0-250828"];
const PRESETS: Record<string, number> = { "1K": 1024, "2K": 2048, "4K": 4096 };
const MIN_PIXELS = 1920 * 1920;

const err = (status: number, code: string, message: string, type: string, param = ""): Reply =>
  json(status, { error: { code, message, param, type } });
const bad = (message: string, param = ""): Reply => err(400, "InvalidParameter", message, "BadRequest", param);

function arkSize(value: unknown): { width: number; height: number } | undefined {
  const side = PRESETS[str(value) ?? "2K"];
  if (side) return { width: side, height: side };
  const size = parseSize(value);
  return size && size.width * size.height >= MIN_PIXELS ? size : undefined;
}

function generate(ctx: Ctx): Reply {
  const b = ctx.body;
  if (typeof b.model !== "string" || !(MODELS.includes(b.model) || /^ep-[a-z0-9-]+$/.test(b.model))) {
    return err(
      404,
      "InvalidEndpointOrModel.NotFound",
      `The model or endpoint ${String(b.model)} does not exist or you do not have access to it.`,
      "NotFound",
      "model",
    );
  }
  if (typeof b.prompt !== "string" || b.prompt === "")
    return bad("The parameter `prompt` specified in the request is not valid: it is required.", "prompt");
  const size = arkSize(b.size);
  if (!size)
    return bad(
      `The parameter \`size\` specified in the request is not valid: ${JSON.stringify(b.size)} (1K, 2K, 4K or WxH with at least ${MIN_PIXELS} pixels).`,
      "size",
    );
  const format = b.response_format ?? "url";
  if (format !== "url" && format !== "b64_json")
    return bad("The parameter `response_format` specified in the request is not valid.", "response_format");
  const output = b.output_format ?? "jpeg";
  if (output !== "png" && output !== "jpeg")
    return bad("The parameter `output_format` specified in the request is not valid.", "output_format");
  if (b.watermark !== undefined && typeof b.watermark !== "boolean")
    return bad("The parameter `watermark` specified in the request is not valid.", "watermark");
  if (b.image !== undefined) {
    const refs = Array.isArray(b.image) ? b.image : [b.image];
    if (refs.length < 1 || refs.length > 14 || !refs.every(isImageRef))
      return bad("The parameter `image` specified in the request is not valid.", "image");
  }
  const sequential = b.sequential_image_generation ?? "disabled";
  if (sequential !== "auto" && sequential !== "disabled")
    return bad("The parameter `sequential_image_generation` specified in the request is not valid.", "sequential_image_generation");
  const max = (b.sequential_image_generation_options as { max_images?: unknown } | undefined)?.max_images;
  if (max !== undefined && !isInt(max, 1, 15))
    return bad("The parameter `sequential_image_generation_options.max_images` specified in the request is not valid.", "max_images");
  if (ctx.moderated())
    return err(
      400,
      "InputTextSensitiveContentDetected",
      "The request failed because the input text may contain sensitive information.",
      "BadRequest",
    );
  const count = sequential === "auto" ? ((max as number | undefined) ?? 15) : 1;
  const data = draw(ctx, count, size, output).map((bytes) => ({
    ...(format === "url" ? { url: ctx.store(bytes, output) } : { b64_json: bytes.toString("base64") }),
    size: `${size.width}x${size.height}`,
  }));
  const tokens = Math.round((size.width * size.height) / 256) * data.length;
  return json(200, {
    model: b.model,
    created: Math.floor(Date.now() / 1000),
    data,
    usage: { generated_images: data.length, output_tokens: tokens, total_tokens: tokens },
  });
}

export const spec: ProviderSpec = {
  id: "ark",
  basePath: BASE,
  defaultKey: "ark-emulator-key",
  imageModels: MODELS,
  edits: "json-field",
  auth: "bearer",
  routes: [{ method: "POST", path: `${BASE}/images/generations`, image: true, handle: generate }],
  unauthorized: () => err(401, "AuthenticationError", "The API key or AK/SK in the request is missing or invalid.", "Unauthorized"),
  notFound: (method, path) => err(404, "NotFound", `The requested resource ${method} ${path} was not found.`, "NotFound"),
  error: (status, message) => err(status, "InvalidParameter", message, "BadRequest"),
  rateLimited: () =>
    err(
      429,
      "RateLimitExceeded",
      "Your account has exceeded the images-per-minute rate limit of the model. Please try again later.",
      "TooManyRequests",
    ),
};

export const start = (opts?: StartOptions) => startSpec(spec, opts);
