/**
 * A server of one's own: LocalAI, stable-diffusion.cpp's sd-server (and lemonade), vLLM-Omni. They serve OpenAI's
 * paths; vLLM-Omni names several edit images `image` (no brackets). LocalAI answers with URLs on its own host, which
 * the download rules allow because the base URL is on the same kind of address. Their model lists do not say which
 * models make images: the model table's names pick them, as for any OpenAI-compatible server, and when none of the
 * names is known the whole list counts (an image server lists its own checkpoints).
 */
import { isImageModel } from "../models/table";
import { OPENAI_WIRE, type Profile } from "./profile";
import { openAiList } from "./wire-helpers";

export const local: Profile = {
  id: "local",
  name: "Local server (LocalAI, stable-diffusion.cpp, vLLM-Omni)",
  baseUrl: "http://localhost:8080/v1",
  ...OPENAI_WIRE,
  models: {
    path: "models",
    read(json) {
      const { ids } = openAiList(json);
      const known = ids.filter(isImageModel);
      return { ids, imageIds: known.length ? known : ids };
    },
  },
};
