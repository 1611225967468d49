/**
 * The config node's own headers (a gateway's routing, auth or attribution headers): checked once when the config
 * node starts, with `${ENV_VAR}` in values replaced from Node-RED's environment. A header the client sets itself
 * (content type and length, host, connection) cannot be replaced; anything that would break the request line or let
 * a value carry a second header is refused with a message naming the header.
 */
import { ImagesApiError } from "../errors";

/** headers the client writes itself for each request */
const OWN_HEADERS = new Set(["host", "content-type", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te"]);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
export const MAX_EXTRA_HEADERS = 32;
const MAX_VALUE = 8 * 1024;

const refuse = (where: string, message: string) => new ImagesApiError("invalid_params", `${where}: ${message}`, { parameter: where });

/**
 * `raw` as the config node holds it (an object of name → value, or its JSON text) as checked headers, names in lower
 * case. `where` names the setting in messages ("headers", "secret headers").
 */
export function extraHeaders(raw: unknown, getEnv: (name: string) => string | undefined, where: string): Record<string, string> {
  if (raw === undefined || raw === null || raw === "") return {};
  let value = raw;
  if (typeof raw === "string") {
    try {
      value = JSON.parse(raw);
    } catch {
      throw refuse(where, `must be an object of header names and values, like {"x-portkey-provider": "openai"}`);
    }
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw refuse(where, `must be an object of header names and values, like {"x-portkey-provider": "openai"}`);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_EXTRA_HEADERS) throw refuse(where, `${entries.length} headers; at most ${MAX_EXTRA_HEADERS}`);
  const out: Record<string, string> = {};
  for (const [name, v] of entries) {
    if (!TOKEN.test(name)) throw refuse(where, `${JSON.stringify(name.slice(0, 60))} is not a header name (letters, digits and - only)`);
    if (OWN_HEADERS.has(name.toLowerCase())) throw refuse(where, `${name} is set by the node itself for each request`);
    if (typeof v !== "string" && typeof v !== "number") throw refuse(where, `the value of ${name} must be text`);
    const text = expandEnv(String(v), getEnv, where, name);
    if (/[\r\n\0]/.test(text)) throw refuse(where, `the value of ${name} must be one line`);
    if (text.length > MAX_VALUE) throw refuse(where, `the value of ${name} is ${text.length} characters long; at most ${MAX_VALUE}`);
    out[name.toLowerCase()] = text.trim();
  }
  return out;
}

/** `${NAME}` replaced by the environment's value; an unset variable is refused by name (a header sent empty would fail later, less clearly). */
function expandEnv(value: string, getEnv: (name: string) => string | undefined, where: string, header: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const v = getEnv(name);
    if (v === undefined) throw refuse(where, `the value of ${header} names the environment variable ${name}, which is not set`);
    return v;
  });
}
