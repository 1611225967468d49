/**
 * Together AI (notes §4, from its OpenAPI spec [V]). Base URL http://127.0.0.1:PORT/v1, Bearer key.
 *
 * - POST /v1/images/generations: required `prompt`, `model`; `width`/`height` integers (default 1024), `steps`, `n`
 *   (1–4, docs), `seed`, `negative_prompt`, `guidance_scale`, `response_format` "url" (default) | "base64" — "b64_json" is
 *   refused 400, the spec's enum —, `output_format` "jpeg" (default) | "png", `image_url` (Kontext editing), etc. [V]
 * - `size` is not in the spec. Choice: IGNORED (the answer keeps width/height, 1024×1024 by default), because the spec
 *   declares no additionalProperties:false and LiteLLM's Together mapping relies on Together's defaults when it drops a
 *   size [V PR #33741] — so a client that sends only `size` silently gets 1024×1024, the trap worth testing.
 * - Answer `{id, model, object:"list", data:[{index, url|b64_json, type:"url"|"b64_json"}]}`, no `created` [V]; URLs on the
 *   emulator under /v1/images/… [V: api.together.ai/v1/images/…]. JPEG bytes unless output_format png.
 * - Edits: no /images/edits (404); `image_url` (data URI or http URL) on generations for the Kontext models [V];
 *   other models refuse it 400 [U].
 * - GET /v1/models: a bare array, items with `type` ("image", "chat", "embedding") [V].
 * - Errors `{error:{message, type, param, code}}` [V]. [U]: the 401/404/429/422 texts and codes, width/height bounds
 *   64–2048, no retry-after on 429 (not documented), moderation as 422 "nsfw_content".
 */
import { randomBytes } from "node:crypto";
import { draw, isImageRef, isInt, json, startSpec, type Ctx, type ProviderSpec, type Reply, type StartOptions } from "./emulator";

const MODELS = [
  { id: "black-forest-labs/FLUX.1-schnell", type: "image", kontext: false },
  { id: "black-forest-labs/FLUX.1.1-pro", type: "image", kontext: false },
  { id: "black-forest-labs/FLUX.1-kontext-pro", type: "image", kontext: true },
  { id: "black-forest-labs/FLUX.1-kontext-dev", type: "image", kontext: true },
  { id: "meta-llama/Llama-3.3-70B-Instruct-Turbo", type: "chat", kontext: false },
  { id: "BAAI/bge-large-en-v1.5", type: "embedding", kontext: false },
];

const err = (
  status: number,
  message: string,
  param: string | null = null,
  code: string | null = null,
  type = "invalid_request_error",
): Reply => json(status, { error: { message, type, param, code } });

function generate(ctx: Ctx): Reply {
  const b = ctx.body;
  if (typeof b.prompt !== "string" || b.prompt === "") return err(400, "prompt is required", "prompt");
  if (typeof b.model !== "string") return err(400, "model is required", "model");
  const model = MODELS.find((m) => m.id === b.model && m.type === "image");
  if (!model) {
    return err(
      404,
      `Unable to access model ${b.model}. Please visit https://api.together.ai/models to view the list of supported models.`,
      null,
      "model_not_available",
    );
  }
  for (const k of ["width", "height"] as const) {
    if (b[k] !== undefined && !isInt(b[k], 64, 2048)) return err(400, `${k} must be an integer between 64 and 2048`, k);
  }
  if (b.n !== undefined && !isInt(b.n, 1, 4)) return err(400, "n must be an integer between 1 and 4", "n");
  if (b.steps !== undefined && !isInt(b.steps, 1, 50)) return err(400, "steps must be an integer between 1 and 50", "steps");
  const responseFormat = b.response_format ?? "url";
  if (responseFormat !== "url" && responseFormat !== "base64") {
    return err(400, `Invalid response_format ${JSON.stringify(responseFormat)}: must be one of 'base64', 'url'`, "response_format");
  }
  const outputFormat = b.output_format ?? "jpeg";
  if (outputFormat !== "jpeg" && outputFormat !== "png")
    return err(400, `Invalid output_format ${JSON.stringify(outputFormat)}: must be one of 'jpeg', 'png'`, "output_format");
  if (b.image_url !== undefined) {
    if (!model.kontext) return err(400, `image_url is not supported for model ${model.id}`, "image_url");
    if (!isImageRef(b.image_url)) return err(400, "image_url must be an http(s) URL or a data:image/…;base64 URI", "image_url");
  }
  if (ctx.moderated()) {
    return err(422, "Your request was flagged by the safety checker as potentially containing NSFW content.", "prompt", "nsfw_content");
  }
  const size = { width: (b.width as number | undefined) ?? 1024, height: (b.height as number | undefined) ?? 1024 };
  const data = draw(ctx, (b.n as number | undefined) ?? 1, size, outputFormat).map((bytes, index) =>
    responseFormat === "url"
      ? { index, url: ctx.store(bytes, outputFormat), type: "url" }
      : { index, b64_json: bytes.toString("base64"), type: "b64_json" },
  );
  return json(200, { id: `${randomBytes(8).toString("hex")}-img`, model: model.id, object: "list", data });
}

const models = (): Reply =>
  json(
    200,
    MODELS.map((m) => ({
      id: m.id,
      object: "model",
      created: 1733443200,
      type: m.type,
      display_name: m.id.split("/")[1],
      organization: m.id.split("/")[0],
    })),
  );

export const spec: ProviderSpec = {
  id: "together",
  basePath: "/v1",
  defaultKey: "tgp_v1_emulator",
  imageModels: MODELS.filter((m) => m.type === "image").map((m) => m.id),
  edits: "json-field",
  filesPrefix: "/v1/images/",
  auth: "bearer",
  routes: [
    { method: "POST", path: "/v1/images/generations", image: true, handle: generate },
    { method: "GET", path: "/v1/models", handle: models },
  ],
  unauthorized: () =>
    err(401, "Invalid API key provided. You can find your API key at https://api.together.xyz/settings/api-keys.", null, "invalid_api_key"),
  notFound: (method, path) => err(404, `Not found: ${method} ${path}`),
  error: (status, message) => err(status, message),
  rateLimited: () =>
    err(429, "You have reached the rate limit specific to this model. Please try again later.", null, null, "model_rate_limit"),
};

export const start = (opts?: StartOptions) => startSpec(spec, opts);
