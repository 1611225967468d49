/**
 * One emulator per image provider (OpenAI and Azure are emulated by ../images-api-server.ts):
 *
 *   const emu = await startEmulator("together");   // emu.baseUrl = http://127.0.0.1:PORT/v1
 *   ...
 *   await emu.close();
 *
 * Each module's header says what it emulates and which choices are unverified ([U]).
 */
import { startSpec, type EmulatorId, type ProviderEmulator, type ProviderSpec, type StartOptions } from "./emulator";
import { spec as ark } from "./ark";
import { spec as deepinfra } from "./deepinfra";
import { spec as gemini } from "./gemini";
import { spec as litellm } from "./litellm";
import { spec as localai } from "./localai";
import { spec as ollama } from "./ollama";
import { spec as openrouter } from "./openrouter";
import { spec as sdcpp } from "./sdcpp";
import { spec as siliconflow } from "./siliconflow";
import { spec as together } from "./together";
import { spec as vllmOmni } from "./vllm-omni";
import { spec as xai } from "./xai";
import { spec as zhipu } from "./zhipu";

export type { EditsKind, EmulatedRequest, EmulatorId, FailureKind, ProviderEmulator, StartOptions } from "./emulator";

const SPECS: Record<EmulatorId, ProviderSpec> = {
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
  localai,
  sdcpp,
  "vllm-omni": vllmOmni,
};

export const EMULATOR_IDS = Object.keys(SPECS) as EmulatorId[];

export function startEmulator(id: EmulatorId, opts?: { apiKey?: string }): Promise<ProviderEmulator> {
  const spec = SPECS[id];
  if (!spec) return Promise.reject(new Error(`unknown emulator id ${JSON.stringify(id)}; known: ${EMULATOR_IDS.join(", ")}`));
  return startSpec(spec, opts as StartOptions | undefined);
}
