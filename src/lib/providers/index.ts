/**
 * Every provider profile, and which one a config node uses: the one it names, else Azure when its API style says
 * so, else the one whose host the base URL is on, else a local server for a loopback or private address, else
 * "other OpenAI-compatible". Config nodes saved before profiles existed so keep working as they did.
 */
import { ark } from "./ark";
import { azure } from "./azure";
import { compatible } from "./compatible";
import { deepinfra } from "./deepinfra";
import { gemini } from "./gemini";
import { litellm } from "./litellm";
import { local } from "./local";
import { ollama } from "./ollama";
import { openai } from "./openai";
import { openrouter } from "./openrouter";
import type { Profile, ProviderId } from "./profile";
import { siliconflow } from "./siliconflow";
import { together } from "./together";
import { xai } from "./xai";
import { zhipu } from "./zhipu";

export type { EditStyle, ModelList, Profile, ProviderId } from "./profile";

/** In the order the config dialog's Service menu offers them. */
export const PROVIDERS: readonly Profile[] = [
  openai,
  azure,
  openrouter,
  litellm,
  together,
  xai,
  gemini,
  deepinfra,
  siliconflow,
  zhipu,
  ark,
  ollama,
  local,
  compatible,
];

const BY_ID = new Map<string, Profile>(PROVIDERS.map((p) => [p.id, p]));

export function isProviderId(id: unknown): id is ProviderId {
  return typeof id === "string" && BY_ID.has(id);
}

const LOCAL_HOST =
  /^(localhost|127\.\d+\.\d+\.\d+|\[::1\]|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|172\.(1[6-9]|2\d|3[01])\.\d+\.\d+|[^.]+\.local)$/i;

/** The profile a base URL's host belongs to (its host:port for Ollama's port), a local server, or "compatible". */
export function detectProvider(baseUrl: string): ProviderId {
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    return "compatible";
  }
  const found = PROVIDERS.find((p) => p.hosts && (p.hosts.test(url.hostname) || p.hosts.test(url.host)));
  if (found) return found.id;
  return LOCAL_HOST.test(url.hostname) ? "local" : "compatible";
}

/** The profile of a config node: `provider` when it names one, else Azure for the Azure API style, else from the host. */
export function providerFor(o: { provider?: string; baseUrl: string; apiType?: string }): Profile {
  if (isProviderId(o.provider)) return BY_ID.get(o.provider)!;
  if (o.apiType === "azure") return azure;
  return BY_ID.get(detectProvider(o.baseUrl))!;
}

export function profile(id: ProviderId): Profile {
  return BY_ID.get(id)!;
}
