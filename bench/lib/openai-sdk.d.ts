/**
 * The part of the `openai` SDK the benchmark uses (bench/lib/variants.ts). The SDK is not a devDependency: it is
 * installed into .cache/sdk by `npm run bench` (scripts/runtime.mjs ensureOpenAiSdk) and found through NODE_PATH,
 * so `npm run typecheck` on a fresh clone cannot see its own types.
 */
declare module "openai" {
  export interface ImagesResponse {
    data?: { b64_json?: string }[];
  }
  export interface Uploadable {
    readonly name: string;
  }
  export function toFile(data: Buffer, name: string, options: { type: string }): Promise<Uploadable>;
  export default class OpenAI {
    constructor(options: { baseURL: string; apiKey: string; maxRetries?: number });
    images: {
      generate(body: Record<string, unknown>): Promise<ImagesResponse>;
      edit(body: { model: string; prompt: string; image: Uploadable[] }): Promise<ImagesResponse>;
    };
  }
}
