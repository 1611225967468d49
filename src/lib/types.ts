import type { ImagesClient } from "./client";
import type { ImagesApiError } from "./errors";

/** What an image node reads from its images-api-config node. */
export interface ConfigNode {
  client?: ImagesClient;
  configError?: ImagesApiError;
}
