/**
 * The clients the benchmark compares, behind one interface:
 *
 * - ours:  ImagesClient.call + readAnswer (src/lib, bundled as dist/ is: bench/lib/build.ts): undici.request on an EnvHttpProxyAgent pool,
 *          retries, the concurrency limiter, b64_json decoded while the body streams in; edits are
 *          readEditImages (byte sniffing) + encodeEditForm (multipart parts around the images), as the edit node does.
 * - sdk:   the official `openai` package as documented: new OpenAI({baseURL, apiKey, maxRetries}),
 *          images.generate / images.edit with toFile(buf, name, {type}); then Buffer.from(b64_json, "base64").
 * - raw:   undici.request with the same JSON, the whole body read, JSON.parse + Buffer.from: the floor
 *          (no retries, no checks). For edits: the multipart parts streamed as they are (no copy).
 */
import { Readable } from "node:stream";
import { randomBytes } from "node:crypto";
import OpenAI, { toFile, type ImagesResponse } from "openai";
import { Agent, request } from "undici";
import type { ClientOptions, ImagesClient } from "../../src/lib/http/client";
import { ours } from "./ours";
import { API_KEY, GENERATE_BODY } from "./payloads";

const { ImagesClient: Client, readAnswer, readEditImages, modelRule, encodeEditForm } = ours;

import type { VariantName } from "./names";
export type { VariantName };

export interface Variant {
  name: VariantName;
  /** POST /images/generations with `body`; resolves with the decoded images */
  generate(body?: Record<string, unknown>): Promise<Buffer[]>;
  /** POST /images/edits with these images (PNG) and a prompt; resolves with the decoded images */
  edit(images: Buffer[], prompt?: string): Promise<Buffer[]>;
  close(): Promise<void>;
}

export const EDIT_MODEL = "gpt-image-1";
const EDIT_PROMPT = "make it look like a watercolour";

export function makeOurs(baseUrl: string, options: Partial<ClientOptions> = {}): Variant & { client: ImagesClient } {
  const client = new Client({ baseUrl, apiKey: API_KEY, ...options });
  const images = (answer: Awaited<ReturnType<ImagesClient["call"]>>) => readAnswer(answer, client.redact).images.map((i) => i.data!);
  return {
    name: "ours",
    client,
    async generate(body = GENERATE_BODY) {
      const answer = await client.call({ op: "generate", model: String(body.model), body: { kind: "json", data: body } });
      return images(answer);
    },
    async edit(inputs, prompt = EDIT_PROMPT) {
      // what the edit node does: check every image by its bytes, then the multipart parts around them
      const files = readEditImages(inputs, EDIT_MODEL, modelRule(EDIT_MODEL));
      const form = encodeEditForm({ images: files, fields: { model: EDIT_MODEL, prompt } });
      const answer = await client.call({ op: "edit", model: EDIT_MODEL, body: { kind: "multipart", ...form } });
      return images(answer);
    },
    close: () => client.close(),
  };
}

export function makeSdk(baseUrl: string, maxRetries = 2): Variant & { sdk: OpenAI } {
  const sdk = new OpenAI({ baseURL: baseUrl, apiKey: API_KEY, maxRetries });
  const decode = (res: ImagesResponse) => (res.data ?? []).map((d) => Buffer.from(d.b64_json ?? "", "base64"));
  return {
    name: "sdk",
    sdk,
    async generate(body = GENERATE_BODY) {
      return decode(await sdk.images.generate(body));
    },
    async edit(inputs, prompt = EDIT_PROMPT) {
      const image = await Promise.all(inputs.map((buf, i) => toFile(buf, `image-${i + 1}.png`, { type: "image/png" })));
      return decode(await sdk.images.edit({ model: EDIT_MODEL, prompt, image }));
    },
    close: async () => undefined,
  };
}

export function makeRaw(baseUrl: string): Variant {
  const dispatcher = new Agent();
  const base = baseUrl.replace(/\/+$/, "");
  const headers = { authorization: `Bearer ${API_KEY}`, accept: "application/json" };
  const decode = async (res: Awaited<ReturnType<typeof request>>) => {
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
    const json = JSON.parse(text) as { data: Array<{ b64_json: string }> };
    return json.data.map((d) => Buffer.from(d.b64_json, "base64"));
  };
  return {
    name: "raw",
    async generate(body = GENERATE_BODY) {
      const res = await request(`${base}/images/generations`, {
        method: "POST",
        dispatcher,
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return decode(res);
    },
    async edit(inputs, prompt = EDIT_PROMPT) {
      // the floor for uploads: the parts go out as they are, nothing is copied or joined
      const boundary = `----bench-${randomBytes(12).toString("hex")}`;
      const parts: Buffer[] = [];
      const field = (name: string, value: string) =>
        parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
      field("model", EDIT_MODEL);
      field("prompt", prompt);
      inputs.forEach((buf, i) => {
        parts.push(
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="image[]"; filename="image-${i + 1}.png"\r\nContent-Type: image/png\r\n\r\n`,
          ),
          buf,
          Buffer.from("\r\n"),
        );
      });
      parts.push(Buffer.from(`--${boundary}--\r\n`));
      const length = parts.reduce((n, p) => n + p.length, 0);
      const res = await request(`${base}/images/edits`, {
        method: "POST",
        dispatcher,
        headers: { ...headers, "content-type": `multipart/form-data; boundary=${boundary}`, "content-length": String(length) },
        body: Readable.from(parts, { objectMode: false }),
      });
      return decode(res);
    },
    close: () => dispatcher.close(),
  };
}

export function makeVariant(name: VariantName, baseUrl: string, opts: { concurrency?: number; maxRetries?: number } = {}): Variant {
  if (name === "ours") return makeOurs(baseUrl, opts);
  if (name === "sdk") return makeSdk(baseUrl, opts.maxRetries ?? 2);
  return makeRaw(baseUrl);
}
