/**
 * Maps what an Images API answered (status + body) or how the connection failed
 * onto an ImagesApiError with a stable code.
 */
import { type ErrorCode, type ErrorDetails, formatDuration, ImagesApiError } from "../errors";
import { headerValue, shouldRetryStatus, type Headers } from "./retry";
import { PROXY_ERROR_CODE } from "./proxy-connect";

export interface ApiErrorBody {
  message?: string;
  type?: string;
  code?: string;
  param?: string;
}

/** Reads the OpenAI envelope {"error":{...}} and the shapes gateways use instead. */
export function readErrorBody(body: unknown): ApiErrorBody | undefined {
  if (!body || typeof body !== "object") return undefined;
  const b = body as Record<string, unknown>;
  const e = (b.error && typeof b.error === "object" ? b.error : typeof b.error === "string" ? { message: b.error } : b) as Record<
    string,
    unknown
  >;
  const pick = (k: string) => (typeof e[k] === "string" ? (e[k] as string) : typeof e[k] === "number" ? String(e[k]) : undefined);
  const out: ApiErrorBody = { message: pick("message"), type: pick("type"), code: pick("code"), param: pick("param") };
  return out.message || out.code || out.type ? out : undefined;
}

const MODERATION_CODES = new Set(["moderation_blocked", "content_policy_violation", "content_filter", "contentFilter"]);
const QUOTA_CODES = new Set(["insufficient_quota", "insufficient_user_quota", "billing_hard_limit_reached", "quota_exceeded"]);

/** How a provider says "refused by a safety system" besides OpenAI's codes and words (providers/*.ts refusals). */
export interface Refusals {
  codes?: RegExp;
  text?: RegExp;
}

function isModeration(e: ApiErrorBody | undefined, own?: Refusals): boolean {
  if (!e) return false;
  if (e.code && (MODERATION_CODES.has(e.code) || own?.codes?.test(e.code))) return true;
  const text = e.message ?? "";
  return /safety system|content (policy|filter)/i.test(text) || Boolean(own?.text?.test(text));
}

function codeFor(status: number, e: ApiErrorBody | undefined, own?: Refusals): ErrorCode {
  if (isModeration(e, own)) return "moderation_blocked";
  if (e?.code && QUOTA_CODES.has(e.code)) return "quota_exceeded";
  if (status === 401 || status === 403) return "auth_failed";
  if (status === 404) return "not_found";
  if (status === 429) return "rate_limited";
  if (status === 400 || status === 422) return "invalid_params";
  return "api_error";
}

/** Whether retrying can help with this error body (quota and moderation refusals never clear up). */
export function isPermanent(e: ApiErrorBody | undefined, own?: Refusals): boolean {
  return isModeration(e, own) || Boolean(e?.code && QUOTA_CODES.has(e.code));
}

const HINTS: Partial<Record<ErrorCode, string>> = {
  auth_failed: "check the API key (and, for Azure, the endpoint) in the Images API config node",
  not_found: "check the base URL, and the model or Azure deployment name",
  rate_limited: "the API is rate-limiting this key; lower the config node's concurrency or send fewer messages",
  quota_exceeded: "the account has no quota or credit left",
};

/** `hintOverride` replaces the code's usual hint where the request says more (e.g. the model list's URL). */
export function httpError(
  status: number,
  body: ApiErrorBody | undefined,
  details: ErrorDetails,
  redact: (s: string) => string,
  hintOverride?: string,
  refusals?: Refusals,
): ImagesApiError {
  const code = codeFor(status, body, refusals);
  const hint = hintOverride ?? HINTS[code];
  const apiMessage = redact(body?.message?.trim() || "(no error message)");
  const attempts = details.attempts && details.attempts > 1 ? ` after ${details.attempts} attempts` : "";
  const message = `Images API answered ${status}${attempts}: ${apiMessage}${hint ? ` (${hint})` : ""}`;
  const clean = (v: string | undefined) => (v === undefined ? undefined : redact(v));
  return new ImagesApiError(code, message, {
    ...details,
    statusCode: status,
    apiMessage,
    type: clean(body?.type),
    apiCode: clean(body?.code),
    param: clean(body?.param),
  });
}

/**
 * An error answer (status outside 2xx, its headers and body, read whole) as a coded error, with whether another
 * attempt may help: the API's JSON envelope, a gateway's own shape, plain text or an HTML page.
 */
export function errorFromAnswer(
  answer: { statusCode: number; headers: Headers; body: Buffer },
  attempts: number,
  redact: (s: string) => string,
  hintOverride?: string,
  refusals?: Refusals,
): { error: ImagesApiError; retryable: boolean } {
  const { statusCode, headers, body } = answer;
  const apiError = readErrorBody(tryJson(body));
  const found = apiError ?? plainTextError(body, headerValue(headers, "content-type") ?? "");
  const requestId = headerValue(headers, "x-request-id");
  const error = httpError(statusCode, found, { statusCode, requestId, attempts }, redact, hintOverride, refusals);
  return { error, retryable: shouldRetryStatus(statusCode, headers) && !isPermanent(apiError, refusals) };
}

/** A body as JSON, or undefined when it is not JSON. */
export function tryJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** What a body that is not the API's JSON says: the title of an HTML page, or the start of the text. */
function plainTextError(body: Buffer, contentType: string): { message: string } | undefined {
  if (body.length === 0) return undefined;
  const text = body.toString("utf8", 0, Math.min(body.length, 2000));
  if (/html/i.test(contentType) || /^\s*</.test(text)) {
    const title = /<title>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
    return { message: `an HTML page${title ? ` ("${title}")` : ""} instead of an API answer (a proxy or gateway error?)` };
  }
  return { message: text.trim().slice(0, 300) };
}

const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT", "ETIMEDOUT"]);

/** Classifies a failure that happened before a complete answer arrived. */
export function transportError(err: unknown, timedOut: boolean, timeoutMs: number, details: ErrorDetails): ImagesApiError {
  const e = err as { code?: string; message?: string; name?: string; cause?: { code?: string } };
  const sysCode = e?.code ?? e?.cause?.code;
  // proxy-connect.ts's ProxyError: the message names the proxy (never its credentials) and what it did
  const proxy = sysCode === PROXY_ERROR_CODE ? (e.message ?? "the proxy failed") : undefined;
  if (timedOut || (sysCode && TIMEOUT_CODES.has(sysCode))) {
    return new ImagesApiError(
      "timeout",
      `no complete answer from the Images API within ${formatDuration(timeoutMs)}${
        details.attempts && details.attempts > 1 ? ` (${details.attempts} attempts)` : ""
      }${proxy ? ` (${proxy})` : ""}; raise the timeout on the config node if renders take longer`,
      { ...details, retryable: true },
    );
  }
  if (proxy) {
    const hint = "check HTTP_PROXY / HTTPS_PROXY (or NO_PROXY) in Node-RED's environment, or the proxy itself";
    return new ImagesApiError("network_error", `could not reach the Images API: ${proxy}; ${hint}`, { ...details, retryable: true });
  }
  const reason = sysCode ? `${sysCode}${e?.message ? `: ${e.message}` : ""}` : (e?.message ?? String(err));
  return new ImagesApiError("network_error", `could not reach the Images API (${reason})`, { ...details, retryable: true });
}
