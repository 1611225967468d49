/** DeepInfra's OpenAI-compatible API: OpenAI's paths below /v1/openai; several edit images go as repeated `image`. */
import { OPENAI_ONLY, OPENAI_WIRE, type Profile } from "./profile";

export const deepinfra: Profile = {
  id: "deepinfra",
  name: "DeepInfra",
  baseUrl: "https://api.deepinfra.com/v1/openai",
  hosts: /^api\.deepinfra\.com$/i,
  ...OPENAI_WIRE,
  omits: [...OPENAI_ONLY, "quality"],
  arrayStyle: "repeat",
  // [U] its safety checker's words
  refusals: { text: /safety checker/i },
};
