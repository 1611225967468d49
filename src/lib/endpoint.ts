/**
 * Where a request goes and how it authenticates: OpenAI and gateways (Bearer key, {baseUrl}/images/...),
 * Azure OpenAI classic (deployment path + api-version, api-key header) and Azure's v1 API.
 */
import type { Operation } from "./models";

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
  /** only the credential headers (for downloads from the API's own origin) */
  authHeaders: Record<string, string>;
}

export const AZURE_DEFAULT_API_VERSION = "2025-04-01-preview";
const PATHS: Record<Operation, string> = { generate: "images/generations", edit: "images/edits" };
const PACKAGE_VERSION: string = (() => {
  try {
    return require("../../package.json").version as string;
  } catch {
    return "0";
  }
})();

export function endpointFor(o: EndpointOptions, op: Operation, model: string): Endpoint {
  const base = o.baseUrl.trim().replace(/\/+$/, "");
  const key = o.apiKey?.trim();
  const azure = o.apiType === "azure";
  const authHeaders: Record<string, string> = {};
  if (key) {
    if (azure) authHeaders["api-key"] = key;
    else authHeaders.authorization = `Bearer ${key}`;
  }
  const headers: Record<string, string> = {
    accept: "application/json",
    "user-agent": o.userAgent ?? `node-red-contrib-images-api/${PACKAGE_VERSION}`,
    ...authHeaders,
  };
  if (o.organization) headers["openai-organization"] = o.organization;
  if (o.project) headers["openai-project"] = o.project;
  return { url: azure ? azureUrl(base, op, model, o.apiVersion) : `${base}/${PATHS[op]}`, headers, authHeaders };
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
  const base = o.baseUrl.trim().replace(/\/+$/, "");
  if (o.apiType !== "azure" || /\/openai\/v1$/.test(base)) return `${base}/models`;
  const root = base.replace(/\/openai(\/deployments\/[^/]+)?$/, "");
  return `${root}/openai/models?api-version=${encodeURIComponent(o.apiVersion || AZURE_DEFAULT_API_VERSION)}`;
}
