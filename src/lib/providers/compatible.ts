/**
 * Any other OpenAI-compatible server or gateway (and a config node saved before profiles, on a host no profile
 * knows): OpenAI's wire, sent as the flow says; the server decides.
 */
import { OPENAI_WIRE, type Profile } from "./profile";

export const compatible: Profile = {
  id: "compatible",
  name: "Other OpenAI-compatible",
  baseUrl: "",
  ...OPENAI_WIRE,
};
