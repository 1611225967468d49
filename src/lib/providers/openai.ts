/** OpenAI's own API: the baseline every other profile is written against. */
import { OPENAI_WIRE, type Profile } from "./profile";

export const openai: Profile = {
  id: "openai",
  name: "OpenAI",
  baseUrl: "https://api.openai.com/v1",
  hosts: /^api\.openai\.com$/i,
  ...OPENAI_WIRE,
};
