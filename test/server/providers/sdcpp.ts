/**
 * stable-diffusion.cpp's sd-server / lemonade flavour (notes §11, all [S]). Base URL http://127.0.0.1:PORT/v1; no key
 * checked (local server [U]).
 *
 * - POST /v1/images/generations (JSON) and POST /v1/images/edits (multipart, file `image` or `image[]` [U], optional
 *   `mask`). Extras such as steps/cfg_scale/strength come inside the prompt as `<sd_cpp_extra_args>{json}</sd_cpp_extra_args>`
 *   [S]; a tag whose content is not a JSON object is refused 400 [U].
 * - An unknown model (e.g. a hardcoded gpt-image-1): 404 `{error:{code:"model_not_found", message:"Model 'x' was not found.
 *   Available models include: …", param:"model", requested_model, type:"model_not_found"}}` [S]. No `model`: the loaded one [U].
 * - GET /v1/models lists the local models [S] (`{object:"list", data:[{id, object, created, owned_by, recipe}]}` [U]).
 * - [U]: answer `{created, data:[{b64_json}]}` always b64 (`response_format` ignored: no file server), `output_format`
 *   png (default) | jpeg, n 1–8, default 512×512, other errors OpenAI-shaped, 429 OpenAI-like, moderation = none exists:
 *   200 with an all-black image.
 */
import { draw, isInt, json, parseSize, startSpec, type Ctx, type ProviderSpec, type Reply, type StartOptions } from "./emulator";
import { sniff } from "./images";

const MODELS = ["SD-Turbo", "SDXL-Turbo", "Flux-2-Klein-4B"];
const EXTRA = /<sd_cpp_extra_args>([\s\S]*?)<\/sd_cpp_extra_args>/;

const err = (
  status: number,
  message: string,
  param: string | null = null,
  code: string | null = null,
  type = "invalid_request_error",
): Reply => json(status, { error: { message, type, param, code } });

function answer(ctx: Ctx, src: Record<string, unknown>): Reply {
  const model = src.model ?? MODELS[0];
  if (typeof model !== "string" || !MODELS.includes(model)) {
    const message = `Model '${String(model)}' was not found. Available models include: ${MODELS.join(", ")}`;
    return json(404, { error: { code: "model_not_found", message, param: "model", requested_model: model, type: "model_not_found" } });
  }
  if (typeof src.prompt !== "string" || src.prompt === "") return err(400, "prompt is required", "prompt");
  const extra = EXTRA.exec(src.prompt);
  if (extra) {
    let args: unknown;
    try {
      args = JSON.parse(extra[1]);
    } catch {}
    if (args === null || typeof args !== "object" || Array.isArray(args))
      return err(400, "sd_cpp_extra_args must hold a JSON object", "prompt");
  }
  const n = src.n === undefined ? 1 : Number(src.n);
  if (!isInt(n, 1, 8)) return err(400, "n must be between 1 and 8", "n");
  const size = src.size === undefined ? { width: 512, height: 512 } : parseSize(src.size, 2048);
  if (!size) return err(400, `invalid size ${JSON.stringify(src.size)}`, "size");
  const output = src.output_format ?? "png";
  if (output !== "png" && output !== "jpeg") return err(400, `unsupported output_format ${JSON.stringify(output)}`, "output_format");
  const data = draw(ctx, n, size, output, ctx.moderated()).map((bytes) => ({ b64_json: bytes.toString("base64") }));
  return json(200, { created: Math.floor(Date.now() / 1000), data });
}

function edits(ctx: Ctx): Reply {
  const images = ctx.parts.filter((p) => (p.name === "image" || p.name === "image[]") && p.filename !== undefined);
  if (images.length === 0) return err(400, "image is required", "image");
  const bad = ctx.parts.find((p) => p.filename !== undefined && !sniff(p.data));
  if (bad) return err(400, `${bad.name} is not a PNG, JPEG or WebP image`, bad.name);
  return answer(ctx, ctx.fields);
}

const models = (): Reply =>
  json(200, {
    object: "list",
    data: MODELS.map((id) => ({ id, object: "model", created: 1764000000, owned_by: "lemonade", recipe: "sd-cpp" })),
  });

export const spec: ProviderSpec = {
  id: "sdcpp",
  basePath: "/v1",
  defaultKey: "sk-no-key-required",
  imageModels: MODELS,
  edits: "multipart",
  auth: "none",
  routes: [
    { method: "POST", path: "/v1/images/generations", image: true, handle: (ctx) => answer(ctx, ctx.body) },
    { method: "POST", path: "/v1/images/edits", image: true, handle: edits },
    { method: "GET", path: "/v1/models", handle: models },
  ],
  unauthorized: () => err(401, "unauthorized"),
  notFound: (method, path) => err(404, `${method} ${path} not found`, null, "not_found"),
  error: (status, message) => err(status, message),
  rateLimited: () =>
    err(429, "The server is busy with another generation; try again later.", null, "rate_limit_exceeded", "rate_limit_error"),
};

export const start = (opts?: StartOptions) => startSpec(spec, opts);
