/**
 * Where a request goes and how it authenticates: OpenAI and gateways (Bearer key, {baseUrl}/images/...),
 * Azure OpenAI classic (deployment path + api-version, api-key header) and Azure's v1 API.
 */
import type { Operation } from "../models/table";

export type { Operation };

export interface EndpointOptions {
  baseUrl: string;
  apiKey?: string;
  apiType?: "openai" | "azure";
  apiVersion?: string;
  organization?: string;
  project?: string;
  userAgent?: string;
}

export interface Endpoint {
  url: string;
  /** every header of an API request except content-type */
  headers: Record<string, string>;
}

/** The base URL of a config node without one (the config dialog offers the same: test/tooling/config-defaults.spec.ts). */
export const DEFAULT_BASE_URL = "https://api.openai.com/v1";
export const AZURE_DEFAULT_API_VERSION = "2025-04-01-preview";
const PATHS: Record<Operation, string> = { generate: "images/generations", edit: "images/edits" };
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

/** Only the credential headers: the Bearer key, or Azure's api-key. */
export function authHeaders(o: EndpointOptions): Record<string, string> {
  const key = o.apiKey?.trim();
  if (!key) return {};
  return o.apiType === "azure" ? { "api-key": key } : { authorization: `Bearer ${key}` };
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
  return headers;
}

/** A path below the base URL ("files", "batches/ID"). */
export function apiUrl(o: EndpointOptions, path: string): string {
  return `${baseOf(o)}/${path}`;
}

export function endpointFor(o: EndpointOptions, op: Operation, model: string): Endpoint {
  const base = baseOf(o);
  const url = o.apiType === "azure" ? azureUrl(base, op, model, o.apiVersion) : `${base}/${PATHS[op]}`;
  return { url, headers: apiHeaders(o) };
}

function azureUrl(base: string, op: Operation, model: string, apiVersion?: string): string {
  // Azure's v1 API takes plain OpenAI paths with the deployment as `model`.
  if (/\/openai\/v1$/.test(base)) return `${base}/${PATHS[op]}${apiVersion ? `?api-version=${encodeURIComponent(apiVersion)}` : ""}`;
  const version = `?api-version=${encodeURIComponent(apiVersion || AZURE_DEFAULT_API_VERSION)}`;
  if (/\/deployments\/[^/]+$/.test(base)) return `${base}/${PATHS[op]}${version}`;
  const root = base.replace(/\/openai$/, "");
  return `${root}/openai/deployments/${encodeURIComponent(model)}/${PATHS[op]}${version}`;
}

/** Where the list of models is: GET {base}/models (OpenAI, gateways, Azure v1) or Azure classic's /openai/models. */
export function modelsUrl(o: EndpointOptions): string {
  const base = baseOf(o);
  if (o.apiType !== "azure" || /\/openai\/v1$/.test(base)) return `${base}/models`;
  const root = base.replace(/\/openai(\/deployments\/[^/]+)?$/, "");
  return `${root}/openai/models?api-version=${encodeURIComponent(o.apiVersion || AZURE_DEFAULT_API_VERSION)}`;
}
