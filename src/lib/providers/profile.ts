/**
 * A provider profile: how one service's wire differs from OpenAI's Images API. A request is checked in the API's
 * canonical terms (check/params.ts); the profile says where it goes, with which auth header, how its parameters and
 * edit images are written for this service, where the images are in its answer, how it words a refusal, and where
 * its image models are listed. Each provider is one module in this folder; `openai.ts` is the baseline.
 */
import type { ArrayStyle } from "../check/multipart";
import type { Params } from "../check/params";
import type { Operation } from "../models/table";

export type ProviderId =
  | "openai"
  | "azure"
  | "openrouter"
  | "litellm"
  | "together"
  | "xai"
  | "gemini"
  | "deepinfra"
  | "siliconflow"
  | "zhipu"
  | "ark"
  | "ollama"
  | "local"
  | "compatible";

/**
 * How edits are sent: multipart to /images/edits (OpenAI), the images as data URLs in a JSON field of a generations
 * request (`json-field`: Together's image_url, SiliconFlow's and Ark's image; `input_references`: OpenRouter), or not
 * at all.
 */
export type EditStyle = "multipart" | "json-field" | "none";

/** What a provider's model list says: every id, and (where the list says which) the image models among them. */
export interface ModelList {
  ids: string[];
  /** undefined: the list does not say; the model table's names are used to pick image models */
  imageIds?: string[];
}

export interface Profile {
  id: ProviderId;
  /** as the config dialog's Service menu and messages name it */
  name: string;
  /** the base URL its docs give (empty: the user's own server) */
  baseUrl: string;
  /** hosts this provider answers on (the config dialog preselects it from the base URL) */
  hosts?: RegExp;
  /** the header the key goes in */
  auth: "bearer" | "api-key";
  /** each operation's path below the base URL */
  paths: Record<Operation, string>;
  edits: EditStyle;
  /** how several multipart edit images are named (default: the config node's setting) */
  arrayStyle?: ArrayStyle;
  /**
   * The checked canonical parameters in this provider's terms: renamed or converted fields, and a refusal (an
   * invalid_params error naming the provider and what it offers) for what it cannot do. `warn` says what was adapted.
   */
  mapParams?(params: Params, op: Operation, warn: (text: string) => void): Params;
  /**
   * The canonical parameters it does not take (its docs name no such field): left out of a node's settings, refused
   * in a message, and their rows hidden in the image nodes' dialogs.
   */
  omits?: readonly string[];
  /** sizes the size field offers for it (xAI's aspect ratios), instead of the model's */
  sizes?: readonly string[];
  /** the edit images (as data URLs) as fields of a generations request, for `edits: "json-field"` */
  editFields?(images: string[]): Params;
  /** the answer in the OpenAI shape ({data: [{b64_json | url}], usage}) */
  answer?(json: Record<string, unknown>): Record<string, unknown>;
  /** how it says "refused by a safety system", besides OpenAI's codes: its error codes, and words of its messages */
  refusals?: { codes?: RegExp; text?: RegExp };
  /** a URL of its own for an operation (Azure's deployment paths); default: the base URL and `paths` */
  url?(o: { base: string; op: Operation; model: string; apiVersion?: string }): string;
  /** its model list: the path below the base URL (with a query if any) and how to read it; null: it has none */
  models: { path: string; read?(json: unknown): ModelList } | null;
  /** the model list's own URL (Azure's); default: the base URL and `models.path` */
  modelsUrl?(o: { base: string; apiVersion?: string }): string;
}

/** OpenAI's parameters that only OpenAI (and servers copying it) take: not in the other providers' documented fields. */
export const OPENAI_ONLY = [
  "style",
  "background",
  "moderation",
  "output_compression",
  "stream",
  "partial_images",
  "input_fidelity",
  "complexity",
  "safety_identifier",
  "svg",
  "frame_count",
  "frame_duration_ms",
] as const;

export const OPENAI_PATHS: Record<Operation, string> = { generate: "images/generations", edit: "images/edits" };

/** OpenAI's wire: the profile other profiles start from. */
export const OPENAI_WIRE = {
  auth: "bearer",
  paths: OPENAI_PATHS,
  edits: "multipart",
  models: { path: "models" },
} as const satisfies Partial<Profile>;
