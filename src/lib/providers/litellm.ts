/**
 * The LiteLLM proxy: OpenAI's paths in front of many backends. Its errors carry the code as a string and the
 * backend's own error inside the message ("litellm.ContentPolicyViolationError: …").
 */
import { OPENAI_WIRE, type Profile } from "./profile";

export const litellm: Profile = {
  id: "litellm",
  name: "LiteLLM proxy",
  baseUrl: "http://localhost:4000/v1",
  ...OPENAI_WIRE,
  refusals: { text: /ContentPolicyViolation|content_policy_violation|moderation_blocked/ },
};
