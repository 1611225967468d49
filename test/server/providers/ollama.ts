/**
 * Ollama's experimental OpenAI image route (notes §11, docs/api/openai-compatibility.mdx [V]). Base URL
 * http://127.0.0.1:PORT/v1. The API key is "required but ignored" [V]: any key, or none, is accepted.
 *
 * - POST /v1/images/generations: `model`, `prompt`, `size` WxH; `response_format` only "b64_json" [V]; `n`, `quality`,
 *   `style`, `user` not supported [V] → refused 400 "<field> is not supported" [text U]. Answer `{created, data:[{b64_json}]}` PNG.
 * - GET /v1/models: `{object:"list", data:[{id, object:"model", created:<modified time>, owned_by:"library"}]}`, text and
 *   image models alike, no capability flag [V].
 * - Edits: none (404). [U]: OpenAI-shaped errors `{error:{message, type, param, code}}` (Ollama's OpenAI middleware),
 *   unknown model 404 'model "x" not found, try pulling it first', a text model refused 400, default 1024×1024,
 *   gin's text "404 page not found" for a wrong path, rate limit = Ollama's queue-full 503 "server busy" (Ollama has no
 *   429), moderation = none exists: the emulator answers 200 with an all-black image, as a diffusers safety checker does.
 */
import { draw, json, parseSize, startSpec, type Ctx, type ProviderSpec, type Reply, type StartOptions } from "./emulator";

const IMAGE_MODELS = ["x/z-image-turbo", "x/flux2-klein"];
const TEXT_MODELS = ["llama3.2:latest", "qwen3:8b"];
const TYPES: Record<number, string> = { 400: "invalid_request_error", 404: "not_found_error" };

const err = (status: number, message: string): Reply =>
  json(status, { error: { message, type: TYPES[status] ?? "api_error", param: null, code: null } });

function generate(ctx: Ctx): Reply {
  const b = ctx.body;
  if (typeof b.model !== "string" || b.model === "") return err(400, "model is required");
  const model = b.model.includes(":") || b.model.startsWith("x/") ? b.model : `${b.model}:latest`;
  if (TEXT_MODELS.includes(model)) return err(400, `"${b.model}" does not support image generation`);
  if (!IMAGE_MODELS.includes(b.model)) return err(404, `model "${b.model}" not found, try pulling it first`);
  if (typeof b.prompt !== "string" || b.prompt === "") return err(400, "prompt is required");
  for (const k of ["n", "quality", "style", "user"]) if (b[k] !== undefined) return err(400, `${k} is not supported`);
  if (b.response_format !== undefined && b.response_format !== "b64_json")
    return err(400, `response_format ${JSON.stringify(b.response_format)} is not supported, only b64_json`);
  const size = b.size === undefined ? { width: 1024, height: 1024 } : parseSize(b.size);
  if (!size) return err(400, `invalid size ${JSON.stringify(b.size)}, expected WIDTHxHEIGHT`);
  const [png] = draw(ctx, 1, size, "png", ctx.moderated());
  return json(200, { created: Math.floor(Date.now() / 1000), data: [{ b64_json: png.toString("base64") }] });
}

const models = (): Reply =>
  json(200, {
    object: "list",
    data: [...TEXT_MODELS, ...IMAGE_MODELS].map((id) => ({ id, object: "model", created: 1764000000, owned_by: "library" })),
  });

export const spec: ProviderSpec = {
  id: "ollama",
  basePath: "/v1",
  defaultKey: "ollama",
  imageModels: IMAGE_MODELS,
  edits: "none",
  auth: "none",
  routes: [
    { method: "POST", path: "/v1/images/generations", image: true, handle: generate },
    { method: "GET", path: "/v1/models", handle: models },
  ],
  unauthorized: () => err(401, "unauthorized"),
  notFound: () => ({ status: 404, text: "404 page not found" }),
  error: (status, message) => err(status, message),
  rateLimited: () => err(503, "server busy, please try again.  maximum pending requests exceeded"),
};

export const start = (opts?: StartOptions) => startSpec(spec, opts);
