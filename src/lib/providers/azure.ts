/**
 * Azure OpenAI: the classic deployment paths (/openai/deployments/{deployment}/images/...?api-version=...) with the
 * key in an `api-key` header, and Azure's v1 API (/openai/v1/, plain OpenAI paths, the deployment as `model`).
 * Refusals come as code "contentFilter" (OpenAI's moderation codes cover it).
 */
import { OPENAI_PATHS, OPENAI_WIRE, type Profile } from "./profile";

export const AZURE_DEFAULT_API_VERSION = "2025-04-01-preview";
const version = (v?: string) => `?api-version=${encodeURIComponent(v || AZURE_DEFAULT_API_VERSION)}`;
const isV1 = (base: string) => /\/openai\/v1$/.test(base);

export const azure: Profile = {
  id: "azure",
  name: "Azure OpenAI",
  baseUrl: "",
  hosts: /\.(openai\.azure\.com|services\.ai\.azure\.com|cognitiveservices\.azure\.com)$/i,
  ...OPENAI_WIRE,
  auth: "api-key",
  url({ base, op, model, apiVersion }) {
    const path = OPENAI_PATHS[op];
    // Azure's v1 API takes plain OpenAI paths with the deployment as `model`
    if (isV1(base)) return `${base}/${path}${apiVersion ? `?api-version=${encodeURIComponent(apiVersion)}` : ""}`;
    if (/\/deployments\/[^/]+$/.test(base)) return `${base}/${path}${version(apiVersion)}`;
    const root = base.replace(/\/openai$/, "");
    return `${root}/openai/deployments/${encodeURIComponent(model)}/${path}${version(apiVersion)}`;
  },
  modelsUrl({ base, apiVersion }) {
    if (isV1(base)) return `${base}/models`;
    const root = base.replace(/\/openai(\/deployments\/[^/]+)?$/, "");
    return `${root}/openai/models${version(apiVersion)}`;
  },
};
