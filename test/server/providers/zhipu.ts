/**
 * Zhipu / Z.ai CogView (notes §13). Base URL http://127.0.0.1:PORT/api/paas/v4, Bearer key.
 *
 * - POST /api/paas/v4/images/generations: `model` (cogview-4-250304, cogview-4, cogview-3-flash, glm-image), `prompt`,
 *   `size` WxH, `quality` hd|standard [S]. Answer `{created, data:[{url}], content_filter:[{role:"assistant", level}]}`,
 *   URL only [S] (the emulator's own URLs, PNG).
 * - [U]: sides 512–2048, multiples of 16, at most 2^21 pixels (Zhipu's CogView-4 rule, not in the notes); `n` ignored
 *   (one image: not documented); edits none (404); no model list (404).
 * - Errors `{error:{code:"<string>", message:"<Chinese text>"}}`. Moderation 400 code "1301" with Zhipu's text [brief];
 *   [U]: 401 "1001" (no key) / "1000" (wrong key), 429 "1302", unknown model 400 "1211", bad parameter 400 "1214",
 *   a wrong path answered by Spring's `{timestamp, status, error, path}` 404.
 */
import { draw, json, parseSize, startSpec, type Ctx, type ProviderSpec, type Reply, type StartOptions } from "./emulator";

const BASE = "/api/paas/v4";
const MODELS = ["cogview-4-250304", "cogview-4", "cogview-3-flash", "glm-image"];
export const ZHIPU_SENSITIVE = "系统检测到输入或生成内容可能包含不安全或敏感内容，请您避免输入易产生敏感内容的提示语，感谢您的配合。";

const err = (status: number, code: string, message: string): Reply => json(status, { error: { code, message } });
const bad = (message: string): Reply => err(400, "1214", message);

function generate(ctx: Ctx): Reply {
  const b = ctx.body;
  if (typeof b.model !== "string" || !MODELS.includes(b.model)) return err(400, "1211", "模型不存在，请检查模型代码。");
  if (typeof b.prompt !== "string" || b.prompt === "") return bad("prompt 不能为空");
  const size = b.size === undefined ? { width: 1024, height: 1024 } : parseSize(b.size, 2048);
  const ok = size && [size.width, size.height].every((v) => v >= 512 && v % 16 === 0) && size.width * size.height <= 2 ** 21;
  if (!size || !ok) return bad(`size 参数有误：${String(b.size)}（长宽需在 512–2048 之间、被 16 整除，且像素数不超过 2^21）`);
  if (b.quality !== undefined && b.quality !== "hd" && b.quality !== "standard") return bad(`quality 参数有误：${String(b.quality)}`);
  if (ctx.moderated()) return err(400, "1301", ZHIPU_SENSITIVE);
  const [png] = draw(ctx, 1, size);
  return json(200, {
    created: Math.floor(Date.now() / 1000),
    data: [{ url: ctx.store(png, "png") }],
    content_filter: [{ role: "assistant", level: 3 }],
  });
}

export const spec: ProviderSpec = {
  id: "zhipu",
  basePath: BASE,
  defaultKey: "zhipu-emulator.key",
  imageModels: MODELS,
  edits: "none",
  auth: "bearer",
  routes: [{ method: "POST", path: `${BASE}/images/generations`, image: true, handle: generate }],
  unauthorized: (missing) =>
    missing ? err(401, "1001", "Header中未收到Authentication参数，无法进行身份验证。") : err(401, "1000", "身份验证失败。"),
  notFound: (_method, path) => json(404, { timestamp: new Date().toISOString(), status: 404, error: "Not Found", path }),
  error: (status, message) => err(status, "1214", message),
  rateLimited: () => err(429, "1302", "您当前使用该API的并发数过高，请降低并发，或联系客服增加限额。"),
};

export const start = (opts?: StartOptions) => startSpec(spec, opts);
