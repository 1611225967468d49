/**
 * Every provider emulator against its documented wire shapes, with plain fetch:
 * default generation, a size, two images, an edit (or its absence), moderation and rate-limit failures, the model list,
 * a wrong key, a wrong path, and each provider's own refusals. Run:
 *   npx mocha --no-config -r tsx --timeout 10000 --exit test/server/providers/providers.spec.ts
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EMULATOR_IDS, startEmulator, type EmulatorId, type ProviderEmulator } from "./index";
import { blackPng, imageSize, sniff, type ImageFormat } from "./images";
import { ZHIPU_SENSITIVE } from "./zhipu";

const fixture = (name: string) => readFileSync(join(__dirname, "..", "..", "fixtures", name));
const PNG = fixture("photo-256.png");
const JPG = fixture("photo-256.jpg");
const dataUri = (buf: Buffer, mime = "image/png") => `data:${mime};base64,${buf.toString("base64")}`;

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

async function call(emu: ProviderEmulator, method: string, sub: string, body?: unknown, key: string | null = emu.apiKey): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (key !== null) headers.authorization = `Bearer ${key}`;
  let payload: string | FormData | Uint8Array<ArrayBuffer> | undefined;
  if (body instanceof FormData) payload = body;
  else if (Buffer.isBuffer(body)) payload = new Uint8Array(body);
  else if (body !== undefined) [payload, headers["content-type"]] = [JSON.stringify(body), "application/json"];
  if (Buffer.isBuffer(body)) headers["content-type"] = "application/json";
  const res = await fetch(sub.startsWith("http") ? sub : emu.baseUrl + sub, { method, headers, body: payload });
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get("content-type") ?? "").includes("json")) parsed = JSON.parse(text);
  return { status: res.status, body: parsed, headers: res.headers };
}

const post = (emu: ProviderEmulator, sub: string, body: unknown, key?: string | null) => call(emu, "POST", sub, body, key);

function form(fields: Record<string, string>, files: [string, Buffer, string][]): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  for (const [name, data, filename] of files)
    fd.append(name, new Blob([new Uint8Array(data)], { type: filename.endsWith(".jpg") ? "image/jpeg" : "image/png" }), filename);
  return fd;
}

/** the image bytes of one answer item: b64_json, or its URL fetched from the emulator (which must be on 127.0.0.1) */
async function bytesOf(emu: ProviderEmulator, item: any): Promise<Buffer> {
  if (typeof item.b64_json === "string") return Buffer.from(item.b64_json, "base64");
  assert.equal(typeof item.url, "string", `item has neither b64_json nor url: ${JSON.stringify(item).slice(0, 200)}`);
  assert.ok(item.url.startsWith(new URL(emu.baseUrl).origin + "/"), `url on the emulator: ${item.url}`);
  const res = await fetch(item.url);
  assert.equal(res.status, 200);
  const data = Buffer.from(await res.arrayBuffer());
  assert.equal(res.headers.get("content-type"), `image/${sniff(data)}`);
  return data;
}

async function checkImages(
  emu: ProviderEmulator,
  items: any[],
  count: number,
  format: ImageFormat,
  width: number,
  height: number,
): Promise<Buffer[]> {
  assert.ok(Array.isArray(items), "image items are an array");
  assert.equal(items.length, count, "number of images");
  const out: Buffer[] = [];
  for (const item of items) {
    const data = await bytesOf(emu, item);
    assert.equal(sniff(data), format, "image format");
    assert.deepEqual(imageSize(data), { width, height }, "pixel size");
    out.push(data);
  }
  if (out.length > 1) assert.ok(!out[0].equals(out[1]), "different images");
  return out;
}

interface Case {
  id: EmulatorId;
  /** generation route under the base URL */
  gen: string;
  base: Record<string, unknown>;
  /** where the image items are in a success body */
  items?: (body: any) => any[];
  format: ImageFormat;
  size: [number, number];
  sized: { body: Record<string, unknown>; size: [number, number]; format?: ImageFormat };
  /** extras that ask for two images, or a check that the provider has no n */
  two: Record<string, unknown> | ((emu: ProviderEmulator, c: Case) => Promise<void>);
  edit?: { send: (emu: ProviderEmulator) => Promise<Answer>; size: [number, number]; format?: ImageFormat };
  moderation: (a: Answer) => void;
  rateLimit: (a: Answer) => void;
  models: (emu: ProviderEmulator) => Promise<void>;
  /** the answer to a wrong key; "accepted" where the provider ignores keys */
  unauthorized: ((a: Answer) => void) | "accepted";
  notFound: (a: Answer) => void;
  /** the provider's own refusals and quirks */
  extra?: Record<string, (emu: ProviderEmulator) => Promise<void>>;
}

const listIds = async (emu: ProviderEmulator, sub = "/models"): Promise<string[]> => {
  const a = await call(emu, "GET", sub);
  assert.equal(a.status, 200);
  assert.equal(a.body.object, "list");
  return a.body.data.map((m: { id: string }) => m.id);
};
const includesAll = (ids: string[], want: string[]) => want.forEach((id) => assert.ok(ids.includes(id), `${id} listed`));
const blackCheck = (emu: ProviderEmulator, size: [number, number]) => async (a: Answer) => {
  assert.equal(a.status, 200);
  assert.ok((await bytesOf(emu, a.body.data[0])).equals(blackPng(...size)), "an all-black image");
};
const noEdits = (code = 404) => ({
  "has no /images/edits": async (emu: ProviderEmulator) => {
    assert.notEqual(emu.edits, "multipart");
    assert.equal((await post(emu, "/images/edits", form({ prompt: "x" }, [["image", PNG, "a.png"]]))).status, code);
  },
});

const CASES: Case[] = [
  {
    id: "openrouter",
    gen: "/images",
    base: { model: "bytedance-seed/seedream-4.5", prompt: "a red fox" },
    format: "png",
    size: [1024, 1024],
    sized: { body: { size: "256x128" }, size: [256, 128] },
    two: { n: 2 },
    edit: {
      send: (emu) =>
        post(emu, "/images", {
          model: "google/gemini-2.5-flash-image",
          prompt: "make it blue",
          size: "128x128",
          input_references: [{ type: "image_url", image_url: { url: dataUri(PNG) } }],
        }),
      size: [128, 128],
    },
    moderation: (a) => {
      assert.equal(a.status, 403);
      assert.equal(a.body.error.code, 403);
      assert.deepEqual(a.body.error.metadata.reasons, ["sexual"]);
      assert.equal(a.body.error.metadata.flagged_input, "a red fox");
    },
    rateLimit: (a) => {
      assert.equal(a.status, 429);
      assert.equal(a.body.error.code, 429);
      assert.equal(a.headers.get("x-ratelimit-remaining"), "0");
    },
    models: async (emu) => {
      const all = await call(emu, "GET", "/models", undefined, null);
      assert.equal(all.status, 200);
      const ids = all.body.data.map((m: { id: string }) => m.id);
      assert.ok(ids.includes("openai/gpt-4o-mini"), "text models without the filter");
      const images = await call(emu, "GET", "/models?output_modalities=image");
      assert.deepEqual(images.body.data.map((m: { id: string }) => m.id).sort(), [...emu.imageModels].sort());
      for (const m of images.body.data) assert.ok(m.architecture.output_modalities.includes("image"));
      const both = await call(emu, "GET", "/models?output_modalities=text,image");
      assert.deepEqual(
        both.body.data.map((m: { id: string }) => m.id),
        ["google/gemini-2.5-flash-image"],
      );
    },
    unauthorized: (a) => {
      assert.equal(a.status, 401);
      assert.equal(a.body.error.code, 401);
    },
    notFound: (a) => assert.deepEqual([a.status, a.body.error.code], [404, 404]),
    extra: {
      "answers 404 on /images/generations": async (emu) =>
        assert.equal((await post(emu, "/images/generations", { model: "bytedance-seed/seedream-4.5", prompt: "x" })).status, 404),
      "ignores response_format (always b64)": async (emu) => {
        const a = await post(emu, "/images", { model: "bytedance-seed/seedream-4.5", prompt: "x", size: "64x64", response_format: "url" });
        assert.deepEqual(Object.keys(a.body), ["created", "data", "usage"]);
        assert.deepEqual(Object.keys(a.body.data[0]), ["b64_json"]);
      },
      "refuses n 11, an unknown model (400) and a text model (404)": async (emu) => {
        assert.equal((await post(emu, "/images", { model: "bytedance-seed/seedream-4.5", prompt: "x", n: 11 })).status, 400);
        assert.equal(
          (await post(emu, "/images", { model: "nope/nope", prompt: "x" })).body.error.message,
          "nope/nope is not a valid model ID",
        );
        assert.equal((await post(emu, "/images", { model: "openai/gpt-4o-mini", prompt: "x" })).status, 404);
      },
      "draws aspect_ratio without size": async (emu) => {
        const a = await post(emu, "/images", { model: "bytedance-seed/seedream-4.5", prompt: "x", aspect_ratio: "16:9" });
        await checkImages(emu, a.body.data, 1, "png", 1024, 576);
      },
    },
  },
  {
    id: "litellm",
    gen: "/images/generations",
    base: { model: "gpt-image-1", prompt: "a red fox" },
    format: "png",
    size: [1024, 1024],
    sized: { body: { size: "256x128" }, size: [256, 128] },
    two: { n: 2 },
    edit: {
      send: (emu) =>
        post(emu, "/images/edits", form({ model: "gpt-image-1", prompt: "blue", size: "256x256" }, [["image[]", PNG, "a.png"]])),
      size: [256, 256],
    },
    moderation: (a) => {
      assert.equal(a.status, 400);
      assert.equal(a.body.error.code, "400");
      assert.equal(a.body.error.type, null);
      assert.match(a.body.error.message, /^litellm\.ContentPolicyViolationError: .*'code': 'moderation_blocked'/);
    },
    rateLimit: (a) => {
      assert.equal(a.status, 429);
      assert.deepEqual([a.body.error.code, a.body.error.type], ["429", "throttling_error"]);
      assert.equal(a.headers.get("retry-after"), "20");
      assert.match(a.body.error.message, /^litellm\.RateLimitError: /);
    },
    models: async (emu) => includesAll(await listIds(emu), [...emu.imageModels, "gpt-4o-mini"]),
    unauthorized: (a) => {
      assert.equal(a.status, 401);
      assert.deepEqual([a.body.error.code, a.body.error.type], ["401", "auth_error"]);
    },
    notFound: (a) => assert.deepEqual([a.status, a.body], [404, { detail: "Not Found" }]),
    extra: {
      "normalises: null keys, zero usage, dall-e-3 url by default": async (emu) => {
        const a = await post(emu, "/images/generations", { model: "dall-e-3", prompt: "x", size: "64x64" });
        assert.equal(a.body.data[0].b64_json, null);
        assert.deepEqual(a.body.usage, { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
        await checkImages(emu, a.body.data, 1, "png", 64, 64);
        const g = await post(emu, "/images/generations", { model: "gpt-image-1", prompt: "x", size: "64x64" });
        assert.deepEqual([g.body.data[0].url, g.body.data[0].revised_prompt], [null, null]);
      },
      "nests the upstream error (dall-e-3 n=2) and refuses unknown models": async (emu) => {
        const a = await post(emu, "/images/generations", { model: "dall-e-3", prompt: "x", n: 2 });
        assert.equal(a.status, 400);
        assert.match(a.body.error.message, /^litellm\.BadRequestError: OpenAIException - \{'error': /);
        const u = await post(emu, "/images/generations", { model: "gpt-9", prompt: "x" });
        assert.deepEqual([u.status, u.body.error.code], [400, "400"]);
        assert.match(u.body.error.message, /Invalid model name passed in model=gpt-9/);
      },
      "serves the Azure-style deployment route": async (emu) => {
        const url = `${new URL(emu.baseUrl).origin}/openai/deployments/gpt-image-1/images/generations?api-version=2025-04-01-preview`;
        const a = await call(emu, "POST", url, { prompt: "x", size: "32x32" });
        await checkImages(emu, a.body.data, 1, "png", 32, 32);
      },
    },
  },
  {
    id: "together",
    gen: "/images/generations",
    base: { model: "black-forest-labs/FLUX.1-schnell", prompt: "a red fox" },
    format: "jpeg",
    size: [1024, 1024],
    sized: { body: { width: 256, height: 128 }, size: [256, 128] },
    two: { n: 2, response_format: "base64", output_format: "png", width: 64, height: 64 },
    edit: {
      send: (emu) =>
        post(emu, "/images/generations", {
          model: "black-forest-labs/FLUX.1-kontext-pro",
          prompt: "blue",
          image_url: dataUri(PNG),
          width: 256,
          height: 256,
          response_format: "base64",
        }),
      size: [256, 256],
    },
    moderation: (a) => assert.deepEqual([a.status, a.body.error.code, a.body.error.type], [422, "nsfw_content", "invalid_request_error"]),
    rateLimit: (a) => assert.deepEqual([a.status, a.body.error.type], [429, "model_rate_limit"]),
    models: async (emu) => {
      const a = await call(emu, "GET", "/models");
      assert.ok(Array.isArray(a.body), "a bare array");
      const images = a.body.filter((m: { type: string }) => m.type === "image").map((m: { id: string }) => m.id);
      assert.deepEqual(images, emu.imageModels);
      assert.ok(a.body.some((m: { type: string }) => m.type === "chat"));
    },
    unauthorized: (a) => assert.deepEqual([a.status, a.body.error.code], [401, "invalid_api_key"]),
    notFound: (a) => assert.deepEqual([a.status, a.body.error.type], [404, "invalid_request_error"]),
    extra: {
      "answers {id, model, object, data:[{index, url, type}]} without created": async (emu) => {
        const a = await post(emu, "/images/generations", { model: "black-forest-labs/FLUX.1-schnell", prompt: "x", width: 64, height: 64 });
        assert.deepEqual(Object.keys(a.body).sort(), ["data", "id", "model", "object"]);
        assert.deepEqual([a.body.data[0].index, a.body.data[0].type], [0, "url"]);
        assert.ok(new URL(a.body.data[0].url).pathname.startsWith("/v1/images/"));
      },
      "ignores size, refuses response_format b64_json, refuses image_url on a non-Kontext model": async (emu) => {
        const a = await post(emu, "/images/generations", { model: "black-forest-labs/FLUX.1-schnell", prompt: "x", size: "64x64" });
        await checkImages(emu, a.body.data, 1, "jpeg", 1024, 1024);
        const b = await post(emu, "/images/generations", {
          model: "black-forest-labs/FLUX.1-schnell",
          prompt: "x",
          response_format: "b64_json",
        });
        assert.deepEqual([b.status, b.body.error.param], [400, "response_format"]);
        const c = await post(emu, "/images/generations", {
          model: "black-forest-labs/FLUX.1-schnell",
          prompt: "x",
          image_url: dataUri(PNG),
        });
        assert.deepEqual([c.status, c.body.error.param], [400, "image_url"]);
        const d = await post(emu, "/images/generations", { model: "meta-llama/Llama-3.3-70B-Instruct-Turbo", prompt: "x" });
        assert.deepEqual([d.status, d.body.error.code], [404, "model_not_available"]);
      },
      ...noEdits(),
    },
  },
  {
    id: "xai",
    gen: "/images/generations",
    base: { model: "grok-imagine-image", prompt: "a red fox" },
    format: "jpeg",
    size: [1024, 1024],
    sized: { body: { aspect_ratio: "16:9" }, size: [1024, 576] },
    two: { n: 2, response_format: "b64_json" },
    moderation: (a) =>
      assert.deepEqual(
        [a.status, a.body],
        [400, { code: "Client specified an invalid argument", error: "Generated image rejected by content moderation." }],
      ),
    rateLimit: (a) => assert.deepEqual([a.status, a.body.code], [429, "Some resource has been exhausted"]),
    models: async (emu) => includesAll(await listIds(emu), [...emu.imageModels, "grok-4"]),
    unauthorized: (a) => {
      assert.equal(a.status, 401);
      assert.match(a.body.error, /^Incorrect API key provided/);
    },
    notFound: (a) => assert.deepEqual([a.status, a.body.code], [404, "Some requested entity was not found"]),
    extra: {
      "refuses size and style with 'Argument not supported'": async (emu) => {
        const a = await post(emu, "/images/generations", { model: "grok-imagine-image", prompt: "x", size: "1024x1024" });
        assert.deepEqual([a.status, a.body.error], [400, "Argument not supported: size"]);
        assert.equal(
          (await post(emu, "/images/generations", { model: "grok-imagine-image", prompt: "x", style: "vivid" })).body.error,
          "Argument not supported: style",
        );
        assert.equal((await post(emu, "/images/generations", { model: "grok-2-image-1212", prompt: "x", quality: "hd" })).status, 400);
        assert.equal(
          (await post(emu, "/images/generations", { model: "grok-imagine-image-2.0", prompt: "x", quality: "low", resolution: "1k" }))
            .status,
          200,
        );
      },
      "answers url by default, with mime_type image/jpeg": async (emu) => {
        const a = await post(emu, "/images/generations", { model: "grok-imagine-image", prompt: "x" });
        assert.equal(a.body.data[0].mime_type, "image/jpeg");
        assert.equal(typeof a.body.data[0].url, "string");
      },
      ...noEdits(),
    },
  },
  {
    id: "gemini",
    gen: "/images/generations",
    base: { model: "imagen-4.0-generate-001", prompt: "a red fox", response_format: "b64_json" },
    format: "png",
    size: [1024, 1024],
    sized: { body: { size: "256x128" }, size: [256, 128] },
    two: { n: 2 },
    moderation: (a) => assert.deepEqual([a.status, a.body.error.code, a.body.error.status], [400, 400, "INVALID_ARGUMENT"]),
    rateLimit: (a) => {
      assert.deepEqual([a.status, a.body.error.code, a.body.error.status], [429, 429, "RESOURCE_EXHAUSTED"]);
      assert.equal(a.body.error.details[0].retryDelay, "20s");
    },
    models: async (emu) => assert.deepEqual([(await call(emu, "GET", "/models")).status], [404]),
    unauthorized: (a) => assert.deepEqual([a.status, a.body.error.status], [401, "UNAUTHENTICATED"]),
    notFound: (a) => assert.deepEqual([a.status, a.body.error.status], [404, "NOT_FOUND"]),
    extra: {
      "answers {data:[{b64_json}]} only, ignoring output_format": async (emu) => {
        const a = await post(emu, "/images/generations", {
          model: "imagen-4.0-generate-001",
          prompt: "x",
          size: "32x32",
          output_format: "jpeg",
        });
        assert.deepEqual(Object.keys(a.body), ["data"]);
        await checkImages(emu, a.body.data, 1, "png", 32, 32);
      },
      "refuses size on a gemini image model and response_format url": async (emu) => {
        const a = await post(emu, "/images/generations", { model: "gemini-2.5-flash-image", prompt: "x", size: "1024x1024" });
        assert.deepEqual([a.status, a.body.error.message], [400, "size not supported for this image model"]);
        assert.equal(
          (await post(emu, "/images/generations", { model: "gemini-2.5-flash-image", prompt: "x", response_format: "url" })).status,
          400,
        );
      },
      ...noEdits(),
    },
  },
  {
    id: "deepinfra",
    gen: "/images/generations",
    base: { model: "black-forest-labs/FLUX-2-dev", prompt: "a red fox" },
    format: "jpeg",
    size: [1024, 1024],
    sized: { body: { size: "256x128" }, size: [256, 128] },
    two: { n: 2 },
    edit: {
      send: (emu) =>
        post(
          emu,
          "/images/edits",
          form({ model: "black-forest-labs/FLUX-2-dev", prompt: "blue", size: "256x256" }, [
            ["image", PNG, "a.png"],
            ["image", JPG, "b.jpg"],
          ]),
        ),
      size: [256, 256],
    },
    moderation: (a) => assert.deepEqual([a.status, typeof a.body.error.message], [400, "string"]),
    rateLimit: (a) => assert.deepEqual([a.status, typeof a.body.error.message], [429, "string"]),
    models: async (emu) => includesAll(await listIds(emu), emu.imageModels),
    unauthorized: (a) => assert.deepEqual([a.status, a.body], [401, { error: { message: "Invalid API key" } }]),
    notFound: (a) => assert.deepEqual([a.status, a.body], [404, { error: { message: "Not Found" } }]),
    extra: {
      "answers JPEG b64 with revised_prompt echoing the prompt": async (emu) => {
        const a = await post(emu, "/images/generations", { model: "black-forest-labs/FLUX-2-dev", prompt: "echo me", size: "32x32" });
        assert.equal(a.body.data[0].revised_prompt, "echo me");
        assert.ok(a.body.data[0].b64_json.startsWith("/9j/"));
      },
      "refuses an edit with only image[] parts": async (emu) => {
        const a = await post(
          emu,
          "/images/edits",
          form({ model: "black-forest-labs/FLUX-2-dev", prompt: "x" }, [["image[]", PNG, "a.png"]]),
        );
        assert.deepEqual([a.status, a.body.error.message], [400, "image is required"]);
      },
    },
  },
  {
    id: "siliconflow",
    gen: "/images/generations",
    base: { model: "Kwai-Kolors/Kolors", prompt: "a red fox" },
    items: (body) => body.images,
    format: "png",
    size: [1024, 1024],
    sized: { body: { image_size: "256x128" }, size: [256, 128] },
    two: { batch_size: 2, image_size: "64x64" },
    edit: {
      send: (emu) => post(emu, "/images/generations", { model: "Qwen/Qwen-Image-Edit", prompt: "blue", image: dataUri(PNG) }),
      size: [256, 256],
    },
    moderation: (a) => assert.deepEqual([a.status, typeof a.body.code, a.body.data], [400, "number", null]),
    rateLimit: (a) => assert.deepEqual([a.status, a.body.code, a.body.data], [429, 50603, null]),
    models: async (emu) => {
      const a = await call(emu, "GET", "/models?type=image");
      assert.deepEqual(
        a.body.data.map((m: { id: string }) => m.id),
        emu.imageModels,
      );
      includesAll(await listIds(emu), ["deepseek-ai/DeepSeek-V3", ...emu.imageModels]);
    },
    unauthorized: (a) => assert.deepEqual([a.status, a.body], [401, "Invalid token"]),
    notFound: (a) => assert.deepEqual([a.status, a.body], [404, "404 page not found"]),
    extra: {
      "answers {images, timings, seed} with a trace id": async (emu) => {
        const a = await post(emu, "/images/generations", { model: "Kwai-Kolors/Kolors", prompt: "x", image_size: "32x32", seed: 42 });
        assert.deepEqual(Object.keys(a.body).sort(), ["images", "seed", "timings"]);
        assert.deepEqual([a.body.seed, typeof a.body.timings.inference], [42, "number"]);
        assert.ok(a.headers.get("x-siliconcloud-trace-id"));
      },
      "ignores size and n; refuses batch_size off Kolors and image_size on Qwen-Image-Edit": async (emu) => {
        const a = await post(emu, "/images/generations", { model: "Kwai-Kolors/Kolors", prompt: "x", size: "64x64", n: 2 });
        await checkImages(emu, a.body.images, 1, "png", 1024, 1024);
        assert.equal((await post(emu, "/images/generations", { model: "Qwen/Qwen-Image", prompt: "x", batch_size: 2 })).status, 400);
        const b = await post(emu, "/images/generations", {
          model: "Qwen/Qwen-Image-Edit",
          prompt: "x",
          image: dataUri(PNG),
          image_size: "64x64",
        });
        assert.equal(b.status, 400);
        assert.deepEqual((await post(emu, "/images/generations", { model: "nope", prompt: "x" })).body.code, 20012);
      },
    },
  },
  {
    id: "zhipu",
    gen: "/images/generations",
    base: { model: "cogview-4-250304", prompt: "a red fox" },
    format: "png",
    size: [1024, 1024],
    sized: { body: { size: "512x768" }, size: [512, 768] },
    two: async (emu, c) => {
      const a = await post(emu, c.gen, { ...c.base, size: "512x512", n: 2 });
      await checkImages(emu, a.body.data, 1, "png", 512, 512); // n is not documented: one image
    },
    moderation: (a) => assert.deepEqual([a.status, a.body], [400, { error: { code: "1301", message: ZHIPU_SENSITIVE } }]),
    rateLimit: (a) => assert.deepEqual([a.status, a.body.error.code], [429, "1302"]),
    models: async (emu) => assert.equal((await call(emu, "GET", "/models")).status, 404),
    unauthorized: (a) => assert.deepEqual([a.status, a.body.error.code], [401, "1000"]),
    notFound: (a) => assert.deepEqual([a.status, a.body.status, a.body.error], [404, 404, "Not Found"]),
    extra: {
      "answers url only with content_filter": async (emu) => {
        const a = await post(emu, "/images/generations", { model: "cogview-3-flash", prompt: "x", size: "512x512" });
        assert.deepEqual(Object.keys(a.body.data[0]), ["url"]);
        assert.equal(a.body.content_filter[0].role, "assistant");
      },
      "refuses sizes off the 16-pixel grid, an unknown model, and no key with 1001": async (emu) => {
        assert.deepEqual(
          (await post(emu, "/images/generations", { model: "cogview-4", prompt: "x", size: "500x500" })).body.error.code,
          "1214",
        );
        assert.deepEqual((await post(emu, "/images/generations", { model: "dall-e-3", prompt: "x" })).body.error.code, "1211");
        assert.deepEqual((await post(emu, "/images/generations", { model: "cogview-4", prompt: "x" }, null)).body.error.code, "1001");
      },
      ...noEdits(),
    },
  },
  {
    id: "ark",
    gen: "/images/generations",
    base: { model: "doubao-seedream-4-5-251128", prompt: "a red fox" },
    format: "jpeg",
    size: [2048, 2048],
    sized: { body: { size: "1K" }, size: [1024, 1024] },
    two: { size: "1K", sequential_image_generation: "auto", sequential_image_generation_options: { max_images: 2 } },
    edit: {
      send: (emu) =>
        post(emu, "/images/generations", {
          model: "doubao-seedream-4-0-250828",
          prompt: "blue",
          image: [dataUri(PNG), "https://example.com/a.png"],
          size: "1920x1920",
          response_format: "b64_json",
          output_format: "png",
        }),
      size: [1920, 1920],
      format: "png",
    },
    moderation: (a) => assert.deepEqual([a.status, a.body.error.code], [400, "InputTextSensitiveContentDetected"]),
    rateLimit: (a) => assert.deepEqual([a.status, a.body.error.code], [429, "RateLimitExceeded"]),
    models: async (emu) => assert.equal((await call(emu, "GET", "/models")).status, 404),
    unauthorized: (a) => assert.deepEqual([a.status, a.body.error.code], [401, "AuthenticationError"]),
    notFound: (a) => assert.deepEqual([a.status, a.body.error.code], [404, "NotFound"]),
    extra: {
      "refuses 1024x1024 (below the minimum pixel count) and an unknown model; takes an ep- id": async (emu) => {
        const a = await post(emu, "/images/generations", { model: "doubao-seedream-4-5-251128", prompt: "x", size: "1024x1024" });
        assert.deepEqual([a.status, a.body.error.code, a.body.error.param], [400, "InvalidParameter", "size"]);
        assert.equal(
          (await post(emu, "/images/generations", { model: "seedream", prompt: "x" })).body.error.code,
          "InvalidEndpointOrModel.NotFound",
        );
        assert.equal((await post(emu, "/images/generations", { model: "ep-20260101-abc", prompt: "x", size: "1K" })).status, 200);
      },
      "answers data[].size and usage.generated_images": async (emu) => {
        const a = await post(emu, "/images/generations", { model: "doubao-seedream-5-0-260128", prompt: "x", size: "1K" });
        assert.deepEqual([a.body.data[0].size, a.body.usage.generated_images], ["1024x1024", 1]);
      },
      ...noEdits(),
    },
  },
  {
    id: "ollama",
    gen: "/images/generations",
    base: { model: "x/z-image-turbo", prompt: "a red fox" },
    format: "png",
    size: [1024, 1024],
    sized: { body: { size: "256x128" }, size: [256, 128] },
    two: async (emu, c) => {
      const a = await post(emu, c.gen, { ...c.base, n: 2 });
      assert.deepEqual([a.status, a.body.error.message], [400, "n is not supported"]);
    },
    moderation: () => undefined, // replaced below: a black image
    rateLimit: (a) => assert.deepEqual([a.status, a.body.error.type], [503, "api_error"]),
    models: async (emu) => {
      const a = await call(emu, "GET", "/models");
      includesAll(
        a.body.data.map((m: { id: string }) => m.id),
        [...emu.imageModels, "llama3.2:latest"],
      );
      for (const m of a.body.data) assert.equal(m.owned_by, "library");
    },
    unauthorized: "accepted",
    notFound: (a) => assert.deepEqual([a.status, a.body], [404, "404 page not found"]),
    extra: {
      "refuses quality, style, user and response_format url; unknown model 404": async (emu) => {
        for (const extra of [{ quality: "hd" }, { style: "vivid" }, { user: "u" }, { response_format: "url" }]) {
          assert.equal(
            (await post(emu, "/images/generations", { model: "x/flux2-klein", prompt: "x", ...extra })).status,
            400,
            JSON.stringify(extra),
          );
        }
        const a = await post(emu, "/images/generations", { model: "flux", prompt: "x" });
        assert.deepEqual([a.status, a.body.error.type], [404, "not_found_error"]);
      },
      ...noEdits(),
    },
  },
  {
    id: "localai",
    gen: "/images/generations",
    base: { model: "stablediffusion", prompt: "a red fox|blurry" },
    format: "png",
    size: [512, 512],
    sized: { body: { size: "256x128" }, size: [256, 128] },
    two: { n: 2, size: "64x64" },
    moderation: () => undefined,
    rateLimit: (a) => assert.deepEqual([a.status, a.body.error.code], [429, 429]),
    models: async (emu) => includesAll(await listIds(emu), emu.imageModels),
    unauthorized: (a) => assert.deepEqual([a.status, a.body.error.code], [401, 401]),
    notFound: (a) => assert.deepEqual([a.status, a.body.error.code], [404, 404]),
    extra: {
      "answers LocalAI's envelope with /generated-images/ URLs": async (emu) => {
        const a = await post(emu, "/images/generations", { model: "stablediffusion", prompt: "x", size: "32x32" });
        assert.equal(typeof a.body.id, "string");
        assert.deepEqual([a.body.data[0].embedding, a.body.data[0].index], [null, 0]);
        assert.ok(new URL(a.body.data[0].url).pathname.startsWith("/generated-images/"));
        assert.deepEqual(a.body.usage, { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
      },
      ...noEdits(),
    },
  },
  {
    id: "sdcpp",
    gen: "/images/generations",
    base: { model: "SD-Turbo", prompt: 'a red fox <sd_cpp_extra_args>{"steps": 4}</sd_cpp_extra_args>' },
    format: "png",
    size: [512, 512],
    sized: { body: { size: "256x128" }, size: [256, 128] },
    two: { n: 2, size: "64x64" },
    edit: {
      send: (emu) =>
        post(
          emu,
          "/images/edits",
          form({ model: "SD-Turbo", prompt: "blue", size: "256x256" }, [
            ["image", PNG, "a.png"],
            ["mask", fixture("mask-256.png"), "mask.png"],
          ]),
        ),
      size: [256, 256],
    },
    moderation: () => undefined,
    rateLimit: (a) => assert.deepEqual([a.status, a.body.error.code], [429, "rate_limit_exceeded"]),
    models: async (emu) => assert.deepEqual(await listIds(emu), emu.imageModels),
    unauthorized: "accepted",
    notFound: (a) => assert.deepEqual([a.status, a.body.error.code], [404, "not_found"]),
    extra: {
      "answers 404 model_not_found listing the models to a hardcoded gpt-image-1": async (emu) => {
        const a = await post(emu, "/images/generations", { model: "gpt-image-1", prompt: "x" });
        assert.equal(a.status, 404);
        assert.deepEqual(
          [a.body.error.code, a.body.error.type, a.body.error.param, a.body.error.requested_model],
          ["model_not_found", "model_not_found", "model", "gpt-image-1"],
        );
        assert.equal(
          a.body.error.message,
          "Model 'gpt-image-1' was not found. Available models include: SD-Turbo, SDXL-Turbo, Flux-2-Klein-4B",
        );
      },
      "takes image[] too, and refuses a broken sd_cpp_extra_args tag": async (emu) => {
        const a = await post(emu, "/images/edits", form({ prompt: "x", size: "32x32" }, [["image[]", JPG, "a.jpg"]]));
        await checkImages(emu, a.body.data, 1, "png", 32, 32);
        assert.equal((await post(emu, "/images/generations", { prompt: "x <sd_cpp_extra_args>{oops</sd_cpp_extra_args>" })).status, 400);
      },
    },
  },
  {
    id: "vllm-omni",
    gen: "/images/generations",
    base: { model: "black-forest-labs/FLUX.2-klein-4B", prompt: "a red fox", seed: 7, num_inference_steps: 4 },
    format: "png",
    size: [1024, 1024],
    sized: { body: { size: "256x128" }, size: [256, 128] },
    two: { n: 2, size: "64x64" },
    edit: {
      send: (emu) =>
        post(emu, "/images/edits", form({ prompt: "blue", size: "256x256", output_format: "jpeg", seed: "3" }, [["image", PNG, "a.png"]])),
      size: [256, 256],
      format: "jpeg",
    },
    moderation: () => undefined,
    rateLimit: (a) => assert.deepEqual([a.status, a.body.error.code], [429, 429]),
    models: async (emu) => assert.deepEqual(await listIds(emu), emu.imageModels),
    unauthorized: (a) => assert.deepEqual([a.status, a.body], [401, { error: "Unauthorized" }]),
    notFound: (a) => assert.deepEqual([a.status, a.body], [404, { detail: "Not Found" }]),
    extra: {
      "echoes output_format and size; draws webp": async (emu) => {
        const a = await post(emu, "/images/generations", { prompt: "x", size: "48x32", output_format: "webp" });
        assert.deepEqual([a.body.output_format, a.body.size], ["webp", "48x32"]);
        await checkImages(emu, a.body.data, 1, "webp", 48, 32);
      },
      "refuses image[] edits and another model": async (emu) => {
        const a = await post(emu, "/images/edits", form({ prompt: "x" }, [["image[]", PNG, "a.png"]]));
        assert.deepEqual([a.status, a.body.error.message], [400, "image is required"]);
        assert.deepEqual(
          (await post(emu, "/images/generations", { model: "Qwen/Qwen-Image", prompt: "x" })).body.error.type,
          "NotFoundError",
        );
      },
    },
  },
];

const LOCAL_BLACK: EmulatorId[] = ["ollama", "localai", "sdcpp", "vllm-omni"];

describe("provider emulators", function () {
  it("cover every id once", () => assert.deepEqual(CASES.map((c) => c.id).sort(), [...EMULATOR_IDS].sort()));

  for (const c of CASES) {
    describe(c.id, function () {
      let emu: ProviderEmulator;
      const items = (body: any) => (c.items ? c.items(body) : body.data);
      const gen = (extra: Record<string, unknown> = {}, key?: string | null) => post(emu, c.gen, { ...c.base, ...extra }, key);

      beforeEach(async () => (emu = await startEmulator(c.id)));
      afterEach(async () => emu.close());

      it("binds 127.0.0.1 and says what it is", () => {
        assert.match(emu.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\//);
        assert.equal(emu.id, c.id);
        assert.ok(emu.imageModels.length > 0 && emu.apiKey.length > 0);
        assert.equal(emu.edits === "none", c.edit === undefined);
      });

      it("generates with the defaults", async () => {
        const a = await gen();
        assert.equal(a.status, 200, JSON.stringify(a.body).slice(0, 300));
        await checkImages(emu, items(a.body), 1, c.format, ...c.size);
        const rec = emu.requests.find((r) => r.method === "POST");
        assert.ok(rec && rec.json && rec.json.prompt === c.base.prompt && typeof rec.at === "number");
        assert.equal(rec.headers.authorization, `Bearer ${emu.apiKey}`);
      });

      it("generates a given size", async () => {
        const a = await gen(c.sized.body);
        assert.equal(a.status, 200, JSON.stringify(a.body).slice(0, 300));
        await checkImages(emu, items(a.body), 1, c.sized.format ?? c.format, ...c.sized.size);
      });

      it("answers two images (or shows it has no n)", async () => {
        if (typeof c.two === "function") return c.two(emu, c);
        const a = await gen(c.two);
        assert.equal(a.status, 200, JSON.stringify(a.body).slice(0, 300));
        assert.equal(items(a.body).length, 2);
        const first = await bytesOf(emu, items(a.body)[0]);
        await checkImages(emu, items(a.body), 2, sniff(first)!, imageSize(first)!.width, imageSize(first)!.height);
      });

      if (c.edit) {
        it(`edits (${c.id === "openrouter" ? "input_references" : "its documented way"})`, async () => {
          const a = await c.edit!.send(emu);
          assert.equal(a.status, 200, JSON.stringify(a.body).slice(0, 300));
          await checkImages(emu, items(a.body), 1, c.edit!.format ?? c.format, ...c.edit!.size);
          const rec = emu.requests.find((r) => r.method === "POST")!;
          assert.ok(rec.form || rec.json, "the edit request is recorded");
          if (rec.form)
            assert.ok(
              rec.form.some((p) => p.filename !== undefined && p.data.equals(PNG)),
              "the uploaded bytes are recorded",
            );
        });
      }

      it("refuses with its moderation answer once, then answers again", async () => {
        emu.failNext("moderation");
        const a = await gen(c.sized.body);
        if (LOCAL_BLACK.includes(c.id)) await blackCheck(emu, c.sized.size)(a);
        else c.moderation(a);
        const b = await gen(c.sized.body);
        assert.equal(b.status, 200);
        const data = await bytesOf(emu, items(b.body)[0]);
        assert.ok(!data.equals(blackPng(...c.sized.size)));
      });

      it("answers its rate-limit shape `times` times, then answers again", async () => {
        emu.failNext("rate_limit", 2);
        c.rateLimit(await gen(c.sized.body));
        c.rateLimit(await gen(c.sized.body));
        assert.equal((await gen(c.sized.body)).status, 200);
      });

      it("lists its models", () => c.models(emu));

      it("answers a wrong key", async () => {
        const a = await gen(c.sized.body, "wrong-key");
        if (c.unauthorized === "accepted") assert.equal(a.status, 200, "the key is ignored");
        else c.unauthorized(a);
        const rec = emu.requests[emu.requests.length - 1];
        assert.deepEqual(
          [rec.headers.authorization, rec.json?.prompt],
          ["Bearer wrong-key", c.base.prompt],
          "a refused request is recorded too",
        );
      });

      it("answers a wrong path with its 404", async () => c.notFound(await post(emu, "/images/nothing-here", { ...c.base })));

      for (const [name, fn] of Object.entries(c.extra ?? {})) it(name, () => fn(emu));
    });
  }

  describe("the shared base", function () {
    it("refuses bodies over 20 MB with 413 and records every request", async () => {
      const emu = await startEmulator("together");
      try {
        const a = await call(emu, "POST", "/images/generations", Buffer.alloc(21 * 1024 * 1024, 0x20));
        assert.equal(a.status, 413);
        await call(emu, "GET", "/models");
        assert.deepEqual(
          emu.requests.map((r) => `${r.method} ${r.path}`),
          ["POST /v1/images/generations", "GET /v1/models"],
        );
      } finally {
        await emu.close();
      }
    });

    it("takes its apiKey option and refuses the default key then", async () => {
      const emu = await startEmulator("deepinfra", { apiKey: "my-key" });
      try {
        assert.equal(emu.apiKey, "my-key");
        assert.equal(
          (await post(emu, "/images/generations", { model: "black-forest-labs/FLUX-2-dev", prompt: "x", size: "8x8" })).status,
          200,
        );
        assert.equal(
          (await post(emu, "/images/generations", { model: "black-forest-labs/FLUX-2-dev", prompt: "x" }, "di-emulator")).status,
          401,
        );
      } finally {
        await emu.close();
      }
    });

    it("close() ends kept-alive connections at once and frees the port", async () => {
      const emu = await startEmulator("localai");
      await call(emu, "GET", "/models"); // leaves a keep-alive socket in fetch's pool
      const t0 = Date.now();
      await emu.close();
      assert.ok(Date.now() - t0 < 1000, "close() does not wait for idle sockets");
      await assert.rejects(fetch(emu.baseUrl + "/models"));
    });

    it("rejects an unknown id", async () => {
      await assert.rejects(startEmulator("nope" as EmulatorId), /unknown emulator id/);
    });
  });
});
