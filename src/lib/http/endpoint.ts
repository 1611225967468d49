/**
 * Where a request goes and with which headers: the config node's provider profile (providers/) says the path and
 * the auth header; the user's extra headers go with every request to the base URL (never to download hosts).
 */
import type { Operation } from "../models/table";
import { providerFor } from "../providers";
import { openai } from "../providers/openai";

export type { Operation };

export interface EndpointOptions {
  baseUrl: string;
  apiKey?: string;
  apiType?: "openai" | "azure";
  apiVersion?: string;
  organization?: string;
  project?: string;
  userAgent?: string;
  /** the provider profile's id (providers/index.ts); without one it is worked out from apiType and the host */
  provider?: string;
  /** extra headers sent with every request to the base URL (a gateway's routing or attribution headers) */
  headers?: Record<string, string>;
  /** the same, for secret values (a gateway's own key): kept as credentials, filtered out of texts like the key */
  secretHeaders?: Record<string, string>;
}

export interface Endpoint {
  url: string;
  /** every header of an API request except content-type */
  headers: Record<string, string>;
}

/** The base URL of a config node without one (the config dialog offers the same: test/tooling/config-defaults.spec.ts). */
export const DEFAULT_BASE_URL = openai.baseUrl;
export { AZURE_DEFAULT_API_VERSION } from "../providers/azure";
const PACKAGE_VERSION: string = (() => {
  try {
    return require("../../../package.json").version as string;
  } catch {
    return "0";
  }
})();

/** The base URL as written, without trailing slashes. */
export function baseOf(o: EndpointOptions): string {
  return o.baseUrl.trim().replace(/\/+$/, "");
}

/** Only the credential headers: the Bearer key, or the profile's own header (Azure's api-key). */
export function authHeaders(o: EndpointOptions): Record<string, string> {
  const key = o.apiKey?.trim();
  if (!key) return {};
  return providerFor(o).auth === "api-key" ? { "api-key": key } : { authorization: `Bearer ${key}` };
}

/** Every header of an API request except content-type. */
export function apiHeaders(o: EndpointOptions): Record<string, string> {
  const headers: Record<string, string> = {
    accept: "application/json",
    "user-agent": o.userAgent ?? `node-red-contrib-images-api/${PACKAGE_VERSION}`,
    ...authHeaders(o),
  };
  if (o.organization) headers["openai-organization"] = o.organization;
  if (o.project) headers["openai-project"] = o.project;
  // the user's own headers (checked by the config node: names are tokens, values one line, none of the headers the
  // client sets itself); they may replace the auth header, for gateways that want their own scheme
  for (const [name, value] of Object.entries({ ...o.headers, ...o.secretHeaders })) headers[name.toLowerCase()] = value;
  return headers;
}

/** A path below the base URL ("files", "batches/ID"). */
export function apiUrl(o: EndpointOptions, path: string): string {
  return `${baseOf(o)}/${path}`;
}

export function endpointFor(o: EndpointOptions, op: Operation, model: string): Endpoint {
  const base = baseOf(o);
  const p = providerFor(o);
  const url = p.url ? p.url({ base, op, model, apiVersion: o.apiVersion }) : `${base}/${p.paths[op]}`;
  return { url, headers: apiHeaders(o) };
}

/** Where the list of models is (the profile's path below the base URL, or its own URL); undefined: it has none. */
export function modelsUrl(o: EndpointOptions): string | undefined {
  const base = baseOf(o);
  const p = providerFor(o);
  if (p.modelsUrl) return p.modelsUrl({ base, apiVersion: o.apiVersion });
  return p.models ? `${base}/${p.models.path}` : undefined;
}
