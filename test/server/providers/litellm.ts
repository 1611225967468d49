/**
 * LiteLLM proxy (notes §1). Base URL http://127.0.0.1:PORT/v1, Bearer master key.
 *
 * - POST /v1/images/generations (also /images/generations and the Azure-style /openai/deployments/{model}/images/…) [V][S].
 * - POST /v1/images/edits multipart, file field `image[]` (the docs' curl) or `image`, optional `mask` [S]; edits for
 *   gpt-image-1 and the Gemini model [V]; dall-e-3 has none (the upstream 400, nested) [U].
 * - Answers the normalised envelope `{created, data:[{b64_json, revised_prompt, url}], usage:{0,0,0}}` with the
 *   keys a backend did not set as null [V]. url or b64 depends on the backend: gpt-image-1 and Gemini b64 only, dall-e-3
 *   url unless response_format b64_json (its n must be 1), the Together model url [V]/[U].
 * - Errors `{error:{message:"litellm.<Class>: <Provider>Exception - <upstream body>", type, param, code:"<status>"}}`,
 *   code a string, the upstream JSON inside the message [S]. 429 type "throttling_error" + retry-after [S].
 *   [U]: the 401 texts (type "auth_error"), the unknown-model 400 text, FastAPI's `{"detail":"Not Found"}` for a
 *   wrong path, the moderation text (OpenAI's moderation_blocked nested in a ContentPolicyViolationError).
 * - GET /v1/models: the proxy's model_names, no image flag [U].
 */
import { draw, isInt, json, parseSize, startSpec, str, type Ctx, type ProviderSpec, type Reply, type StartOptions } from "./emulator";
import { sniff } from "./images";

interface Model {
  name: string;
  provider: string;
  /** b64 only, or url unless response_format b64_json */
  b64Only: boolean;
  maxN: number;
  edits: boolean;
}

const MODELS: Model[] = [
  { name: "gpt-image-1", provider: "OpenAI", b64Only: true, maxN: 10, edits: true },
  { name: "dall-e-3", provider: "OpenAI", b64Only: false, maxN: 1, edits: false },
  { name: "gemini-2.5-flash-image", provider: "Gemini", b64Only: true, maxN: 4, edits: true },
  { name: "together-flux", provider: "Together_ai", b64Only: false, maxN: 4, edits: false },
];
const TEXT_MODELS = ["gpt-4o-mini", "claude-sonnet-4-5"];

const err = (status: number, message: string, type: string | null = null, headers?: Record<string, string>): Reply =>
  json(status, { error: { message, type, param: null, code: String(status) } }, headers);

/** an upstream error passed through LiteLLM: the provider's JSON inside the message string, Python-repr style */
const upstream = (status: number, cls: string, model: Model, message: string, code: string | null = null): Reply =>
  err(
    status,
    `litellm.${cls}: ${model.provider}Exception - {'error': {'message': '${message}', 'type': 'invalid_request_error', 'param': None, 'code': ${code ? `'${code}'` : "None"}}}`,
  );

function answer(ctx: Ctx, route: "generations" | "edits", modelName: string | undefined, src: Record<string, unknown>): Reply {
  const model = MODELS.find((m) => m.name === modelName);
  if (!model) {
    return err(
      400,
      `{'error': '/images/${route}: Invalid model name passed in model=${modelName ?? "None"}. Call \`/v1/models\` to view available models for your key.'}`,
    );
  }
  const n = src.n === undefined ? 1 : Number(src.n);
  const size = src.size === undefined ? { width: 1024, height: 1024 } : parseSize(src.size);
  const format = str(src.response_format) ?? (model.b64Only ? "b64_json" : "url");
  if (typeof src.prompt !== "string" || src.prompt === "") return upstream(400, "BadRequestError", model, "prompt is required");
  if (!isInt(n, 1, model.maxN)) return upstream(400, "BadRequestError", model, `n must be between 1 and ${model.maxN} for ${model.name}`);
  if (!size)
    return upstream(400, "BadRequestError", model, `Invalid value: '${String(src.size)}'. Supported values are WxH.`, "invalid_value");
  if (format !== "url" && format !== "b64_json")
    return upstream(400, "BadRequestError", model, `Invalid value: '${format}'.`, "invalid_value");
  if (ctx.moderated()) {
    return err(
      400,
      "litellm.ContentPolicyViolationError: litellm.BadRequestError: OpenAIException - {'error': {'message': 'Your request was rejected as a result of our safety system. Your request may contain content that is not allowed by our safety system.', 'type': 'image_generation_user_error', 'param': None, 'code': 'moderation_blocked'}}",
    );
  }
  const data = draw(ctx, n, size).map((png) => {
    const b64 = model.b64Only || format === "b64_json";
    return {
      b64_json: b64 ? png.toString("base64") : null,
      revised_prompt: model.name === "dall-e-3" ? `A picture: ${src.prompt}` : null,
      url: b64 ? null : ctx.store(png, "png"),
    };
  });
  return json(200, { created: Math.floor(Date.now() / 1000), data, usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } });
}

function generations(ctx: Ctx): Reply {
  return answer(ctx, "generations", ctx.params[0] ?? str(ctx.body.model), ctx.body);
}

function edits(ctx: Ctx): Reply {
  const modelName = ctx.params[0] ?? ctx.fields.model;
  const model = MODELS.find((m) => m.name === modelName);
  const images = ctx.parts.filter((p) => p.filename !== undefined && (p.name === "image[]" || p.name === "image"));
  if (model && !model.edits) return upstream(400, "BadRequestError", model, `${model.name} does not support image edits`);
  if (model && images.length === 0) return upstream(400, "BadRequestError", model, "image is required (multipart field image[] or image)");
  const bad = ctx.parts.find((p) => p.filename !== undefined && !sniff(p.data));
  if (model && bad) return upstream(400, "BadRequestError", model, `Invalid file '${bad.name}': unsupported image format`);
  const src: Record<string, unknown> = { ...ctx.fields };
  if (src.n !== undefined) src.n = Number(src.n);
  return answer(ctx, "edits", modelName, src);
}

const models = (): Reply =>
  json(200, {
    data: [...MODELS.map((m) => m.name), ...TEXT_MODELS].map((id) => ({ id, object: "model", created: 1677610602, owned_by: "openai" })),
    object: "list",
  });

const gen = /^(?:\/v1)?\/images\/generations$/;
const edit = /^(?:\/v1)?\/images\/edits$/;

export const spec: ProviderSpec = {
  id: "litellm",
  basePath: "/v1",
  defaultKey: "sk-litellm-master-emulator",
  imageModels: MODELS.map((m) => m.name),
  edits: "multipart",
  auth: "bearer",
  routes: [
    { method: "POST", path: gen, image: true, handle: generations },
    { method: "POST", path: edit, image: true, handle: edits },
    { method: "POST", path: /^\/openai\/deployments\/([^/]+)\/images\/generations$/, image: true, handle: generations },
    { method: "POST", path: /^\/openai\/deployments\/([^/]+)\/images\/edits$/, image: true, handle: edits },
    { method: "GET", path: /^(?:\/v1)?\/models$/, handle: models },
  ],
  unauthorized: (missing, key) =>
    json(401, {
      error: {
        message: missing
          ? "Authentication Error, No api key passed in."
          : `Authentication Error, Invalid proxy server token passed. Received API Key = ${key.slice(0, 3)}...${key.slice(-4)}, Key Hash (Token) =${"0".repeat(16)}. Unable to find token in cache or \`LiteLLM_VerificationTokenTable\``,
        type: "auth_error",
        param: "None",
        code: "401",
      },
    }),
  notFound: () => json(404, { detail: "Not Found" }),
  error: (status, message) => err(status, message),
  rateLimited: () =>
    err(
      429,
      "litellm.RateLimitError: AzureException RateLimitError - {'error': {'code': '429', 'message': 'Requests to the Images_Generations Operation under Azure OpenAI API version 2025-04-01-preview have exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry after 20 seconds.'}}",
      "throttling_error",
      { "retry-after": "20" },
    ),
};

export const start = (opts?: StartOptions) => startSpec(spec, opts);
