/**
 * checkRequest(): node settings < msg.params < object prompt, the per-model rules of the registry,
 * response_format shaping, and the refusals (code, message, cause.parameter) before anything is sent.
 */
import assert from "node:assert/strict";
import { checkRequest, type OutputForm, type Params, type RequestInput } from "../../../src/lib/check/params";
import { isImagesApiError } from "../../../src/lib/errors";
import { MODELS } from "../../../src/lib/models/table";

const PROMPT = "a lighthouse at dusk";

function input(over: Partial<RequestInput>): RequestInput {
  return { op: "generate", node: {}, msgParams: undefined, prompt: PROMPT, output: "buffer", ...over };
}

/** Runs checkRequest and returns the refusal, failing when there is none. */
function refusal(i: RequestInput) {
  try {
    const ok = checkRequest(i);
    assert.fail(`expected a refusal, got ${JSON.stringify(ok.params)}`);
  } catch (err) {
    if (!isImagesApiError(err)) throw err;
    assert.equal(err.code, "invalid_params");
    return err;
  }
}

interface Accepted {
  name: string;
  input: Partial<RequestInput>;
  params: Params;
  /** the registry rule expected (undefined for gateway models) */
  known?: boolean;
}

interface Refused {
  name: string;
  input: Partial<RequestInput>;
  parameter: string;
  /** fragments that must all appear in the message */
  message: string[];
}

const GPT_MODELS = ["gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5", "chatgpt-image-latest", "gpt-image-2", "gpt-image-2-2026-04-21"];

const accepted: Accepted[] = [
  // ---- response_format shaping
  {
    name: "dall-e-2 + buffer output → response_format b64_json",
    input: { node: { model: "dall-e-2", size: "512x512" } },
    params: { prompt: PROMPT, model: "dall-e-2", size: "512x512", response_format: "b64_json" },
  },
  {
    name: "dall-e-2 + url output → response_format url",
    input: { node: { model: "dall-e-2" }, output: "url" },
    params: { prompt: PROMPT, model: "dall-e-2", response_format: "url" },
  },
  {
    name: "dall-e-2 + base64 output, n 10 → b64_json",
    input: { node: { model: "dall-e-2", n: 10, size: "256x256", quality: "standard" }, output: "base64" },
    params: { prompt: PROMPT, model: "dall-e-2", n: 10, size: "256x256", quality: "standard", response_format: "b64_json" },
  },
  {
    name: "dall-e-3 + dataUrl output with its own options",
    input: { node: { model: "dall-e-3", size: "1792x1024", quality: "hd", style: "natural", n: 1 }, output: "dataUrl" },
    params: { prompt: PROMPT, model: "dall-e-3", size: "1792x1024", quality: "hd", style: "natural", n: 1, response_format: "b64_json" },
  },
  {
    name: "dall-e-3 + url output, size 1024x1792, style vivid from msg.params",
    input: { node: { model: "dall-e-3" }, msgParams: { size: "1024x1792", style: "vivid" }, output: "url" },
    params: { prompt: PROMPT, model: "dall-e-3", size: "1024x1792", style: "vivid", response_format: "url" },
  },
  {
    name: "dall-e-2 + buffer output keeps an explicit response_format url (the node downloads it)",
    input: { node: { model: "dall-e-2" }, msgParams: { response_format: "url" } },
    params: { prompt: PROMPT, model: "dall-e-2", response_format: "url" },
  },
  {
    name: "gpt-image-1 + buffer: no response_format, GPT options kept",
    input: { node: { model: "gpt-image-1", size: "1536x1024", quality: "high", background: "transparent", output_format: "png" } },
    params: { prompt: PROMPT, model: "gpt-image-1", size: "1536x1024", quality: "high", background: "transparent", output_format: "png" },
  },
  {
    name: "gpt-image-1: response_format b64_json from msg.params is removed",
    input: { node: { model: "gpt-image-1" }, msgParams: { response_format: "b64_json" } },
    params: { prompt: PROMPT, model: "gpt-image-1" },
  },
  {
    name: "gpt-image-1: response_format url from msg.params is removed for buffer output",
    input: { node: { model: "gpt-image-1" }, msgParams: { response_format: "url" }, output: "base64" },
    params: { prompt: PROMPT, model: "gpt-image-1" },
  },
  {
    name: "gpt-image-1-mini: webp with compression 0 and moderation low",
    input: { node: { model: "gpt-image-1-mini", output_format: "webp", output_compression: 0, moderation: "low" } },
    params: { prompt: PROMPT, model: "gpt-image-1-mini", output_format: "webp", output_compression: 0, moderation: "low" },
  },
  {
    name: "gpt-image-1.5: jpeg, compression 100, opaque background, quality auto",
    input: { msgParams: { model: "gpt-image-1.5", output_format: "jpeg", output_compression: 100, background: "opaque", quality: "auto" } },
    params: {
      prompt: PROMPT,
      model: "gpt-image-1.5",
      output_format: "jpeg",
      output_compression: 100,
      background: "opaque",
      quality: "auto",
    },
  },
  {
    name: "chatgpt-image-latest: n 10, size auto, user",
    input: { node: { model: "chatgpt-image-latest", n: 10, size: "auto", user: "user-42" } },
    params: { prompt: PROMPT, model: "chatgpt-image-latest", n: 10, size: "auto", user: "user-42" },
  },
  {
    name: "gpt-image-1: stream false and partial_images 0 pass",
    input: { node: { model: "gpt-image-1" }, msgParams: { stream: false, partial_images: 0 } },
    params: { prompt: PROMPT, model: "gpt-image-1", stream: false, partial_images: 0 },
  },
  {
    name: "gpt-image-1: stream true is passed on",
    input: { node: { model: "gpt-image-1" }, msgParams: { stream: true } },
    params: { prompt: PROMPT, model: "gpt-image-1", stream: true },
  },
  {
    name: "gpt-image-1.5: partial_images 2 turns streaming on",
    input: { node: { model: "gpt-image-1.5" }, msgParams: { partial_images: 2 } },
    params: { prompt: PROMPT, model: "gpt-image-1.5", partial_images: 2, stream: true },
  },
  {
    name: "no model anywhere → the generate default gpt-image-2.6-flare",
    input: {},
    params: { prompt: PROMPT, model: "gpt-image-2.6-flare" },
  },
  // ---- gpt-image-2 custom sizes
  ...["2048x1152", "3072x1024", "1024x3072", "3840x2160", "2160x3840", "1024x640", "1536x1024", "auto"].map((size): Accepted => ({
    name: `gpt-image-2 size ${size}`,
    input: { node: { model: "gpt-image-2" }, msgParams: { size } },
    params: { prompt: PROMPT, model: "gpt-image-2", size },
  })),
  {
    name: "gpt-image-2-2026-04-21 takes the same custom sizes",
    input: { msgParams: { model: "gpt-image-2-2026-04-21", size: "2560x1440" } },
    params: { prompt: PROMPT, model: "gpt-image-2-2026-04-21", size: "2560x1440" },
  },
  // ---- gateway models
  {
    name: "unknown model + url output → response_format url added",
    input: { node: { model: "flux-kontext-pro" }, output: "url" },
    params: { prompt: PROMPT, model: "flux-kontext-pro", response_format: "url" },
    known: false,
  },
  {
    name: "unknown model + buffer output → no response_format added",
    input: { node: { model: "flux-kontext-pro" } },
    params: { prompt: PROMPT, model: "flux-kontext-pro" },
    known: false,
  },
  {
    name: "edit: a moderation node setting (an imported generate-style config) is left out, not refused",
    input: { op: "edit", node: { model: "gpt-image-1", moderation: "low" } },
    params: { prompt: PROMPT, model: "gpt-image-1" },
  },
  {
    name: "edit with a gateway model: moderation passes through (gateways may take it on edits)",
    input: { op: "edit", node: { model: "flux-kontext-pro" }, msgParams: { moderation: "low" } },
    params: { prompt: PROMPT, model: "flux-kontext-pro", moderation: "low" },
    known: false,
  },
  {
    name: "unknown model: its own response_format b64_json is kept",
    input: { node: { model: "sora-image" }, msgParams: { response_format: "b64_json" } },
    params: { prompt: PROMPT, model: "sora-image", response_format: "b64_json" },
    known: false,
  },
  {
    name: "unknown model: free-form size, quality and extra keys pass through",
    input: { msgParams: { model: "doubao-seedream-4", size: "2k", quality: "ultra", aspect_ratio: "16:9", seed: 7 } },
    params: { prompt: PROMPT, model: "doubao-seedream-4", size: "2k", quality: "ultra", aspect_ratio: "16:9", seed: 7 },
    known: false,
  },
  {
    name: "unknown model keeps node settings that only some known models take",
    input: { node: { model: "gpt-image-1-all", style: "vivid", background: "transparent", moderation: "low" } },
    params: { prompt: PROMPT, model: "gpt-image-1-all", style: "vivid", background: "transparent", moderation: "low" },
    known: false,
  },
  // ---- precedence
  {
    name: "precedence: node < msg.params < object prompt",
    input: {
      node: { model: "gpt-image-1", size: "1024x1024", quality: "low", n: 1 },
      msgParams: { size: "1536x1024", n: 2 },
      prompt: { prompt: "from the object", size: "1024x1536" },
    },
    params: { prompt: "from the object", model: "gpt-image-1", size: "1024x1536", quality: "low", n: 2 },
  },
  {
    name: "model: msg.params overrides the node, the prompt object overrides msg.params",
    input: { node: { model: "dall-e-2" }, msgParams: { model: "dall-e-3" }, prompt: { prompt: PROMPT, model: "gpt-image-1.5" } },
    params: { prompt: PROMPT, model: "gpt-image-1.5" },
  },
  {
    name: "msg.params prompt loses to the Prompt property",
    input: { msgParams: { prompt: "from msg.params", model: "gpt-image-1" }, prompt: "from the property" },
    params: { prompt: "from the property", model: "gpt-image-1" },
  },
  {
    name: "undefined values in msg.params do not clear node settings; empty node settings are skipped",
    input: { node: { model: "gpt-image-1", size: "1024x1536", quality: "" }, msgParams: { size: undefined } },
    params: { prompt: PROMPT, model: "gpt-image-1", size: "1024x1536" },
  },
  {
    name: "stream false is harmless for a model that does not stream: left out",
    input: { node: { model: "dall-e-2" }, msgParams: { stream: false } },
    params: { prompt: PROMPT, model: "dall-e-2", response_format: "b64_json" },
  },
  {
    name: "null in msg.params means the API default and clears the node setting",
    input: { node: { model: "gpt-image-1", size: "1536x1024", quality: "high" }, msgParams: { size: null, style: null, model: null } },
    params: { prompt: PROMPT, model: "gpt-image-1", quality: "high" },
  },
  {
    name: "msg.params null is no parameters",
    input: { node: { model: "gpt-image-1" }, msgParams: null },
    params: { prompt: PROMPT, model: "gpt-image-1" },
  },
  // ---- node settings the model does not take are dropped
  {
    name: "node GPT options dropped when msg.params switches to dall-e-3",
    input: {
      node: { model: "gpt-image-1", background: "transparent", output_format: "webp", output_compression: 80, moderation: "low" },
      msgParams: { model: "dall-e-3" },
    },
    params: { prompt: PROMPT, model: "dall-e-3", response_format: "b64_json" },
  },
  {
    name: "node style dropped for gpt-image-1",
    input: { node: { model: "gpt-image-1", style: "vivid" } },
    params: { prompt: PROMPT, model: "gpt-image-1" },
  },
  {
    name: "node style dropped for dall-e-2",
    input: { node: { model: "dall-e-2", style: "natural" }, output: "url" },
    params: { prompt: PROMPT, model: "dall-e-2", response_format: "url" },
  },
  {
    name: "edit: node input_fidelity kept for gpt-image-1",
    input: { op: "edit", node: { model: "gpt-image-1", input_fidelity: "high" } },
    params: { prompt: PROMPT, model: "gpt-image-1", input_fidelity: "high" },
  },
  {
    name: "edit: node input_fidelity low kept for gpt-image-1-mini (it takes low only)",
    input: { op: "edit", node: { model: "gpt-image-1-mini", input_fidelity: "low" } },
    params: { prompt: PROMPT, model: "gpt-image-1-mini", input_fidelity: "low" },
  },
  {
    name: "edit: node input_fidelity dropped for gpt-image-2 (ignored by the API)",
    input: { op: "edit", node: { model: "gpt-image-2", input_fidelity: "low" } },
    params: { prompt: PROMPT, model: "gpt-image-2" },
  },
  {
    name: "edit: input_fidelity from msg.params for gpt-image-1.5",
    input: { op: "edit", msgParams: { model: "gpt-image-1.5", input_fidelity: "low" } },
    params: { prompt: PROMPT, model: "gpt-image-1.5", input_fidelity: "low" },
  },
  {
    name: "edit: no model → the edit default gpt-image-2.6-flare",
    input: { op: "edit" },
    params: { prompt: PROMPT, model: "gpt-image-2.6-flare" },
  },
  // ---- prompt lengths in code points
  {
    name: "dall-e-2: 1000 emoji (2000 UTF-16 units) is 1000 characters",
    input: { node: { model: "dall-e-2" }, prompt: "🦊".repeat(1000) },
    params: { prompt: "🦊".repeat(1000), model: "dall-e-2", response_format: "b64_json" },
  },
  {
    name: "dall-e-3: 4000 characters",
    input: { node: { model: "dall-e-3" }, prompt: "a".repeat(4000), output: "url" },
    params: { prompt: "a".repeat(4000), model: "dall-e-3", response_format: "url" },
  },
  {
    name: "unknown model: 32000 characters",
    input: { node: { model: "grok-3-image" }, prompt: "b".repeat(32000) },
    params: { prompt: "b".repeat(32000), model: "grok-3-image" },
    known: false,
  },
  {
    name: "msg.params with a null prototype is a plain object",
    input: { msgParams: Object.assign(Object.create(null), { model: "gpt-image-1", size: "1024x1024" }) },
    params: { prompt: PROMPT, model: "gpt-image-1", size: "1024x1024" },
  },
];

const refused: Refused[] = [
  // ---- sizes
  {
    name: "dall-e-2 size 1024x1536",
    input: { node: { model: "dall-e-2" }, msgParams: { size: "1024x1536" } },
    parameter: "size",
    message: ['size "1024x1536" is not supported by dall-e-2; use 256x256, 512x512 or 1024x1024'],
  },
  {
    name: "dall-e-3 size 512x512",
    input: { node: { model: "dall-e-3", size: "512x512" } },
    parameter: "size",
    message: ['size "512x512" is not supported by dall-e-3; use 1024x1024, 1792x1024 or 1024x1792'],
  },
  {
    name: "gpt-image-1 custom size 2048x1152",
    input: { node: { model: "gpt-image-1" }, msgParams: { size: "2048x1152" } },
    parameter: "size",
    message: ['size "2048x1152" is not supported by gpt-image-1; use 1024x1024, 1536x1024, 1024x1536 or auto'],
  },
  {
    name: "gpt-image-2 3088x1024 (ratio just above 3:1)",
    input: { node: { model: "gpt-image-2" }, msgParams: { size: "3088x1024" } },
    parameter: "size",
    message: ['size "3088x1024" is not supported by gpt-image-2', "the aspect ratio must be between 1:3 and 3:1"],
  },
  {
    name: "gpt-image-2 1024x3088 (ratio just above 1:3)",
    input: { node: { model: "gpt-image-2" }, msgParams: { size: "1024x3088" } },
    parameter: "size",
    message: ["the aspect ratio must be between 1:3 and 3:1"],
  },
  {
    name: "gpt-image-2 3840x2176 (too many pixels)",
    input: { node: { model: "gpt-image-2" }, msgParams: { size: "3840x2176" } },
    parameter: "size",
    message: ["it has 8355840 pixels; at most 8294400 are allowed (e.g. 3840x2160); or use 1024x1024"],
  },
  {
    name: "gpt-image-2 3856x1296 (edge above 3840)",
    input: { node: { model: "gpt-image-2" }, msgParams: { size: "3856x1296" } },
    parameter: "size",
    message: ["the longest side must be at most 3840"],
  },
  {
    name: "gpt-image-2 1000x1000 (not multiples of 16)",
    input: { node: { model: "gpt-image-2" }, msgParams: { size: "1000x1000" } },
    parameter: "size",
    message: ["width and height must be multiples of 16"],
  },
  {
    name: "gpt-image-2 1024x1030",
    input: { node: { model: "gpt-image-2" }, msgParams: { size: "1024x1030" } },
    parameter: "size",
    message: ["width and height must be multiples of 16"],
  },
  {
    name: "gpt-image-2 0x1024",
    input: { node: { model: "gpt-image-2" }, msgParams: { size: "0x1024" } },
    parameter: "size",
    message: ["width and height must be positive"],
  },
  {
    name: "gpt-image-2 'big'",
    input: { node: { model: "gpt-image-2" }, msgParams: { size: "big" } },
    parameter: "size",
    message: ['size "big" is not supported by gpt-image-2: it is not WIDTHxHEIGHT', "or use 1024x1024, 1536x1024, 1024x1536 or auto"],
  },
  {
    name: "size as a number",
    input: { node: { model: "gpt-image-1" }, msgParams: { size: 1024 } },
    parameter: "size",
    message: ["size must be a string, got 1024"],
  },
  // ---- n
  {
    name: "dall-e-3 n 2",
    input: { node: { model: "dall-e-3" }, msgParams: { n: 2 } },
    parameter: "n",
    message: ["n 2 is not supported by dall-e-3: it makes one image per request (n must be 1)"],
  },
  {
    name: "gpt-image-1 n 11",
    input: { node: { model: "gpt-image-1", n: 11 } },
    parameter: "n",
    message: ["n must be a whole number from 1 to 10, got 11"],
  },
  {
    name: "unknown model n 0",
    input: { node: { model: "flux-schnell" }, msgParams: { n: 0 } },
    parameter: "n",
    message: ["n must be a whole number from 1 to 10, got 0"],
  },
  { name: "n 1.5", input: { msgParams: { n: 1.5 } }, parameter: "n", message: ["n must be a whole number from 1 to 10, got 1.5"] },
  {
    name: 'n "2" (a string)',
    input: { msgParams: { n: "2" } },
    parameter: "n",
    message: ['n must be a whole number from 1 to 10, got "2"'],
  },
  // ---- enumerations per model
  {
    name: "dall-e-3 quality high",
    input: { node: { model: "dall-e-3" }, msgParams: { quality: "high" } },
    parameter: "quality",
    message: ['quality "high" is not supported by dall-e-3; use standard or hd'],
  },
  {
    name: "dall-e-2 quality hd",
    input: { node: { model: "dall-e-2" }, msgParams: { quality: "hd" } },
    parameter: "quality",
    message: ['quality "hd" is not supported by dall-e-2; use standard'],
  },
  {
    name: "gpt-image-1 quality hd",
    input: { node: { model: "gpt-image-1" }, msgParams: { quality: "hd" } },
    parameter: "quality",
    message: ['quality "hd" is not supported by gpt-image-1; use low, medium, high or auto'],
  },
  {
    name: "gpt-image-1 output_format gif",
    input: { node: { model: "gpt-image-1" }, msgParams: { output_format: "gif" } },
    parameter: "output_format",
    message: ['output_format "gif" is not supported by gpt-image-1; use png, jpeg or webp'],
  },
  {
    name: "gpt-image-1.5 moderation high",
    input: { node: { model: "gpt-image-1.5" }, msgParams: { moderation: "high" } },
    parameter: "moderation",
    message: ['moderation "high" is not supported by gpt-image-1.5; use low or auto'],
  },
  {
    name: "dall-e-3 style cinematic",
    input: { node: { model: "dall-e-3" }, msgParams: { style: "cinematic" } },
    parameter: "style",
    message: ['style "cinematic" is not supported by dall-e-3; use vivid or natural'],
  },
  {
    name: "dall-e-2 response_format png",
    input: { node: { model: "dall-e-2" }, msgParams: { response_format: "png" } },
    parameter: "response_format",
    message: ['response_format "png" is not supported by dall-e-2; use url or b64_json'],
  },
  {
    name: "unknown model quality as a number",
    input: { node: { model: "flux-schnell" }, msgParams: { quality: 3 } },
    parameter: "quality",
    message: ["quality must be a string, got 3"],
  },
  // ---- model-specific parameters sent to a model that does not take them
  {
    name: "gpt-image-1 style from msg.params",
    input: { node: { model: "gpt-image-1" }, msgParams: { style: "vivid" } },
    parameter: "style",
    message: ["style is not supported by gpt-image-1; only dall-e-3 took it (legacy models)"],
  },
  {
    name: "dall-e-2 background from the prompt object",
    input: { node: { model: "dall-e-2" }, prompt: { prompt: PROMPT, background: "transparent" } },
    parameter: "background",
    message: [
      "background is not supported by dall-e-2; only gpt-image-2.6-flare, gpt-image-2.6-sunburst, gpt-image-2.5-flare, gpt-image-2.5-sunburst or gpt-image-2 take it",
    ],
  },
  {
    name: "dall-e-3 output_compression from msg.params",
    input: { node: { model: "dall-e-3" }, msgParams: { output_compression: 50 } },
    parameter: "output_compression",
    message: ["output_compression is not supported by dall-e-3; only gpt-image-2.6-flare"],
  },
  {
    name: "dall-e-2 stream true from msg.params",
    input: { node: { model: "dall-e-2" }, msgParams: { stream: true } },
    parameter: "stream",
    message: ["stream is not supported by dall-e-2"],
  },
  {
    name: "edit: gpt-image-1-mini input_fidelity from msg.params",
    input: { op: "edit", node: { model: "gpt-image-1-mini" }, msgParams: { input_fidelity: "high" } },
    parameter: "input_fidelity",
    message: ['input_fidelity "high" is not supported by gpt-image-1-mini; use low'],
  },
  {
    name: "generate: input_fidelity for gpt-image-1",
    input: { node: { model: "gpt-image-1" }, msgParams: { input_fidelity: "high" } },
    parameter: "input_fidelity",
    message: ["input_fidelity is a parameter of image edits, not of generations"],
  },
  {
    name: "edit: moderation for gpt-image-1 (the multipart edit request has no such field)",
    input: { op: "edit", node: { model: "gpt-image-1" }, msgParams: { moderation: "low" } },
    parameter: "moderation",
    message: ["moderation is a parameter of generations, not of image edits with gpt-image-1"],
  },
  {
    name: "edit: input_fidelity medium",
    input: { op: "edit", node: { model: "gpt-image-1" }, msgParams: { input_fidelity: "medium" } },
    parameter: "input_fidelity",
    message: ['input_fidelity "medium" is not supported by gpt-image-1; use high or low'],
  },
  // ---- universal ranges and combinations
  {
    name: "output_compression 101",
    input: { node: { model: "gpt-image-1", output_format: "jpeg" }, msgParams: { output_compression: 101 } },
    parameter: "output_compression",
    message: ["output_compression must be a whole number from 0 to 100, got 101"],
  },
  {
    name: "output_compression -1 (unknown model)",
    input: { node: { model: "flux-schnell" }, msgParams: { output_compression: -1 } },
    parameter: "output_compression",
    message: ["output_compression must be a whole number from 0 to 100, got -1"],
  },
  {
    name: "partial_images 4",
    input: { node: { model: "gpt-image-1" }, msgParams: { partial_images: 4 } },
    parameter: "partial_images",
    message: ["partial_images must be a whole number from 0 to 3, got 4"],
  },
  {
    name: "partial_images 2 with stream false",
    input: { node: { model: "gpt-image-1" }, msgParams: { partial_images: 2, stream: false } },
    parameter: "stream",
    message: ["partial_images 2 needs streaming, but stream is false; remove one of them"],
  },
  {
    name: "stream true for dall-e-3",
    input: { node: { model: "dall-e-3" }, msgParams: { stream: true } },
    parameter: "stream",
    message: ["stream is not supported by dall-e-3; only gpt-image-2.6-flare"],
  },
  {
    name: 'stream "yes"',
    input: { node: { model: "gpt-image-1" }, msgParams: { stream: "yes" } },
    parameter: "stream",
    message: ['stream must be true or false, got "yes"'],
  },
  {
    name: "transparent + jpeg",
    input: { node: { model: "gpt-image-1", background: "transparent" }, msgParams: { output_format: "jpeg" } },
    parameter: "background",
    message: ['background "transparent" needs output_format png or webp, not "jpeg"'],
  },
  {
    name: "unknown model transparent + jpg",
    input: { node: { model: "flux-schnell" }, msgParams: { background: "transparent", output_format: "jpg" } },
    parameter: "background",
    message: ['needs output_format png or webp, not "jpg"'],
  },
  // ---- output form
  {
    name: "gpt-image-1 + url output",
    input: { node: { model: "gpt-image-1" }, output: "url" },
    parameter: "output",
    message: ['output "url" is not available for gpt-image-1: it returns image data only'],
  },
  {
    name: "gpt-image-2 + url output",
    input: { node: { model: "gpt-image-2" }, output: "url" },
    parameter: "output",
    message: ['output "url" is not available for gpt-image-2'],
  },
  {
    name: "dall-e-2 url output + response_format b64_json",
    input: { node: { model: "dall-e-2" }, msgParams: { response_format: "b64_json" }, output: "url" },
    parameter: "response_format",
    message: ['response_format "b64_json" contradicts the node\'s "url" output'],
  },
  {
    name: "unknown model url output + response_format b64_json",
    input: { node: { model: "flux-schnell" }, msgParams: { response_format: "b64_json" }, output: "url" },
    parameter: "response_format",
    message: ['contradicts the node\'s "url" output'],
  },
  // ---- prompt
  { name: "blank prompt", input: { prompt: "   \n" }, parameter: "prompt", message: ["prompt is empty: give a text describing the image"] },
  {
    name: "missing prompt",
    input: { prompt: undefined },
    parameter: "prompt",
    message: ["prompt is missing: set msg.payload (or the property the node's Prompt setting names) to a text"],
  },
  { name: "null prompt", input: { prompt: null }, parameter: "prompt", message: ["prompt is missing"] },
  {
    name: "prompt object without prompt",
    input: { prompt: { size: "1024x1024", n: 2 } },
    parameter: "prompt",
    message: ['the prompt object has no "prompt" text (keys: size, n)'],
  },
  {
    name: "prompt as a number",
    input: { prompt: 42 },
    parameter: "prompt",
    message: ['prompt must be a text (or an object with a "prompt" text), got 42'],
  },
  { name: "prompt as a Buffer", input: { prompt: Buffer.from("hi") }, parameter: "prompt", message: ["got a Buffer of 2 bytes"] },
  {
    name: "dall-e-2: 1001 emoji",
    input: { node: { model: "dall-e-2" }, prompt: "🦊".repeat(1001) },
    parameter: "prompt",
    message: ["prompt is 1001 characters long; dall-e-2 takes at most 1000"],
  },
  {
    name: "dall-e-3: 4001 characters",
    input: { node: { model: "dall-e-3" }, prompt: "a".repeat(4001) },
    parameter: "prompt",
    message: ["prompt is 4001 characters long; dall-e-3 takes at most 4000"],
  },
  {
    name: "gpt-image-1: 32001 characters",
    input: { node: { model: "gpt-image-1" }, prompt: "a".repeat(32001) },
    parameter: "prompt",
    message: ["prompt is 32001 characters long; gpt-image-1 takes at most 32000"],
  },
  {
    name: "unknown model: 32001 characters",
    input: { node: { model: "flux-schnell" }, prompt: "a".repeat(32001) },
    parameter: "prompt",
    message: ["prompt is 32001 characters long; this API takes at most 32000"],
  },
  // ---- msg.params and model
  {
    name: "msg.params as a string",
    input: { msgParams: "size=1024x1024" },
    parameter: "params",
    message: ['msg.params must be an object of request parameters, got "size=1024x1024"'],
  },
  {
    name: "msg.params as an array",
    input: { msgParams: [1, 2] },
    parameter: "params",
    message: ["msg.params must be an object of request parameters, got an array of 2"],
  },
  {
    name: "msg.params as a Map",
    input: { msgParams: new Map([["n", 1]]) },
    parameter: "params",
    message: ["msg.params must be an object of request parameters, got a Map"],
  },
  { name: "empty model", input: { msgParams: { model: "" } }, parameter: "model", message: ['model must be a model name, got ""'] },
  { name: "model as a number", input: { msgParams: { model: 42 } }, parameter: "model", message: ["model must be a model name, got 42"] },
  {
    name: "model name of 201 characters",
    input: { msgParams: { model: "m".repeat(201) } },
    parameter: "model",
    message: ["model name is 201 characters long; at most 200 are accepted"],
  },
  { name: "user as a number", input: { msgParams: { user: 7 } }, parameter: "user", message: ["user must be a string, got 7"] },
];

describe("checkRequest()", () => {
  it("the tables cover at least 40 cases and every registry model", () => {
    assert.ok(accepted.length + refused.length >= 40);
    const seen = new Set<string>();
    for (const c of accepted) seen.add(String(c.params.model));
    for (const m of ["dall-e-2", "dall-e-3", "gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5", "gpt-image-2", "chatgpt-image-latest"]) {
      assert.ok(seen.has(m), `no accepted case for ${m}`);
    }
    for (const m of [
      ...GPT_MODELS,
      "dall-e-2",
      "dall-e-3",
      "gpt-image-2.6-flare",
      "gpt-image-2.6-sunburst",
      "gpt-image-2.5-flare",
      "gpt-image-2.5-sunburst",
    ]) {
      assert.ok(Object.keys(MODELS).includes(m), `${m} is not in the table`);
    }
  });

  describe("accepted requests produce exactly these parameters", () => {
    for (const c of accepted) {
      it(c.name, () => {
        const checked = checkRequest(input(c.input));
        assert.deepEqual({ ...checked.params }, c.params);
        assert.equal(checked.model, c.params.model);
        if (c.known === false) assert.equal(checked.rule, undefined);
        else assert.equal(checked.rule, MODELS[checked.model]);
      });
    }
  });

  describe("refusals name the parameter and say why", () => {
    for (const c of refused) {
      it(c.name, () => {
        const err = refusal(input(c.input));
        assert.equal(err.cause.parameter, c.parameter, err.message);
        for (const fragment of c.message) assert.ok(err.message.includes(fragment), `"${err.message}" lacks "${fragment}"`);
      });
    }
  });

  describe("gpt-image-2 custom size boundaries", () => {
    const size = (s: string) => () => checkRequest(input({ node: { model: "gpt-image-2" }, msgParams: { size: s } }));
    it("3:1 exactly is accepted, one step of 16 beyond is refused", () => {
      assert.equal(size("3072x1024")().params.size, "3072x1024");
      assert.equal(size("1024x3072")().params.size, "1024x3072");
      assert.throws(size("3088x1024"), /aspect ratio/);
      assert.throws(size("1024x3088"), /aspect ratio/);
    });
    it("3840 is the longest edge: 3840x1280 ok, 3856x1296 refused", () => {
      assert.equal(size("3840x1280")().params.size, "3840x1280");
      assert.throws(size("3856x1296"), /longest side must be at most 3840/);
    });
    it("3840x2160 is the largest area: 3840x2160 ok, 3840x2176 and 2176x3840 refused", () => {
      assert.equal(size("3840x2160")().params.size, "3840x2160");
      assert.throws(size("3840x2176"), /at most 8294400 are allowed/);
      assert.throws(size("2176x3840"), /at most 8294400 are allowed/);
    });
    it("each refusal gives one example size, one the model takes", () => {
      const cases: Array<[string, string]> = [
        ["big", "2048x1152"],
        ["0x1024", "2048x1152"],
        ["1000x1000", "2048x1152"],
        ["3088x1024", "2048x1152"],
        ["3856x1296", "2048x1152"],
        ["512x512", "1280x720"],
        ["3840x2176", "3840x2160"],
      ];
      for (const [bad, example] of cases) {
        const { message } = refusal(input({ node: { model: "gpt-image-2" }, msgParams: { size: bad } }));
        assert.deepEqual(message.match(/\(e\.g\. [^)]*\)/g), [`(e.g. ${example})`], message);
        assert.equal(size(example)().params.size, example);
      }
      assert.equal(
        refusal(input({ node: { model: "gpt-image-2" }, msgParams: { size: "512x512" } })).message,
        'size "512x512" is not supported by gpt-image-2: it has 262144 pixels; at least 655360 are needed (e.g. 1280x720); ' +
          "or use 1024x1024, 1536x1024, 1024x1536 or auto",
      );
    });
    it("the size rule is not used for gpt-image-1 models", () => {
      for (const model of ["gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5", "chatgpt-image-latest"]) {
        assert.throws(() => checkRequest(input({ msgParams: { model, size: "2048x1152" } })), /is not supported by/);
      }
    });
  });

  describe("prompt length counts code points, not UTF-16 units", () => {
    it("1000 emoji pass for dall-e-2 and 1001 are refused as 1001 characters", () => {
      const ok = "😀".repeat(1000);
      assert.equal(ok.length, 2000);
      assert.equal(checkRequest(input({ node: { model: "dall-e-2" }, prompt: ok })).params.prompt, ok);
      const err = refusal(input({ node: { model: "dall-e-2" }, prompt: "😀".repeat(1001) }));
      assert.match(err.message, /prompt is 1001 characters long; dall-e-2 takes at most 1000/);
    });
  });

  describe("prototype keys", () => {
    afterEach(() => {
      // nothing may have leaked onto Object.prototype
      assert.equal(({} as Record<string, unknown>).n, undefined);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, "n"), false);
    });

    it("__proto__ in msg.params (from JSON.parse) is refused and nothing is polluted", () => {
      const msgParams = JSON.parse('{"size":"1024x1024","__proto__":{"n":5,"polluted":true}}');
      assert.ok(Object.keys(msgParams).includes("__proto__"), "JSON.parse makes __proto__ an own key");
      const err = refusal(input({ node: { model: "gpt-image-1" }, msgParams }));
      assert.equal(err.cause.parameter, "__proto__");
      assert.match(err.message, /msg\.params must not have a key named "__proto__"/);
      assert.equal(({} as Record<string, unknown>).n, undefined);
    });

    it("constructor in msg.params is refused", () => {
      const msgParams = JSON.parse('{"constructor":{"prototype":{"n":5}}}');
      const err = refusal(input({ msgParams }));
      assert.equal(err.cause.parameter, "constructor");
      assert.match(err.message, /msg\.params must not have a key named "constructor"/);
    });

    it("prototype in msg.params is refused", () => {
      const err = refusal(input({ msgParams: JSON.parse('{"prototype":{"n":5}}') }));
      assert.equal(err.cause.parameter, "prototype");
    });

    it("__proto__ and constructor in an object prompt are refused", () => {
      const a = refusal(input({ prompt: JSON.parse('{"prompt":"x","__proto__":{"polluted":1}}') }));
      assert.equal(a.cause.parameter, "__proto__");
      assert.match(a.message, /the prompt object must not have a key named "__proto__"/);
      const b = refusal(input({ prompt: JSON.parse('{"prompt":"x","constructor":{"n":2}}') }));
      assert.equal(b.cause.parameter, "constructor");
      assert.match(b.message, /the prompt object must not have a key named "constructor"/);
    });

    it("a later request after a refused one is not affected", () => {
      refusal(input({ msgParams: JSON.parse('{"__proto__":{"n":7,"model":"dall-e-2"}}') }));
      const checked = checkRequest(input({ msgParams: {} }));
      assert.deepEqual({ ...checked.params }, { prompt: PROMPT, model: "gpt-image-2.6-flare" });
    });
  });

  describe("inputs are not changed", () => {
    it("node settings, msg.params and the prompt object are left as they were", () => {
      const node = Object.freeze({ model: "gpt-image-1", style: "vivid", size: "1024x1024" });
      const msgParams = Object.freeze({ n: 2, response_format: "b64_json" });
      const prompt = Object.freeze({ prompt: PROMPT, quality: "low" });
      const checked = checkRequest({ op: "generate", node, msgParams, prompt, output: "buffer" as OutputForm });
      assert.deepEqual({ ...checked.params }, { prompt: PROMPT, model: "gpt-image-1", size: "1024x1024", n: 2, quality: "low" });
      assert.deepEqual({ ...msgParams }, { n: 2, response_format: "b64_json" });
      assert.notEqual(checked.params, prompt);
    });
  });
});
