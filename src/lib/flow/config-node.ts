import type { ImagesClient } from "../http/client";
import type { ImagesApiError } from "../errors";
import type { RetiredPolicy } from "../models/lifecycle";
import type { Budget } from "../cost/budget";

/** What an image node reads from its images-api-config node. */
export interface ConfigNode {
  client?: ImagesClient;
  configError?: ImagesApiError;
  /** the base URL is OpenAI's own API: retired models are refused (or replaced) before sending */
  openAiHost?: boolean;
  /** Azure OpenAI: model names are deployment names, with Azure's own dates */
  azure?: boolean;
  retiredPolicy?: RetiredPolicy;
  /** batch delivery: how long until a batch's status is first asked, and the longest wait between two asks */
  batchPollSeconds?: number;
  batchPollMaxSeconds?: number;
  /** the spending cap shared by every node on this config, when one is set */
  budget?: Budget;
  /** USD per image for models the price table does not know (a gateway's) */
  pricePerImage?: number;
}
