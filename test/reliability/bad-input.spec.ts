/**
 * Bad input, table-driven, across both nodes: every refused input ends in one clear, specific error
 * (code, a message naming the parameter, msg.error.cause.parameter), nothing is sent, nothing crashes,
 * and nothing is carried into the next message: after each bad message a good one goes through the
 * same node, and its wire body must be exactly the expected one.
 * Then the edge inputs that must pass, with their exact wire bodies.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FormPart, RecordedRequest } from "../server/images-api-server";
import { EDIT_NODES, figures, helper, load, one, withReliability, type Msg } from "./support";

const fixture = (name: string) => readFileSync(join(__dirname, "..", "fixtures", name));
const PHOTO_PNG = fixture("photo-256.png");
const PHOTO_JPG = fixture("photo-256.jpg");
const MASK_256 = fixture("mask-256.png");
const MB = 1024 * 1024;

let big60: Buffer | undefined;
/** a PNG header followed by zeros: 60 MB (allocated once) */
function sixtyMegabytes(): Buffer {
  if (!big60) {
    big60 = Buffer.alloc(60 * MB);
    PHOTO_PNG.copy(big60);
  }
  return big60;
}

type Op = "generate" | "edit";

interface BadCase {
  title: string;
  op: Op;
  /** the node's dialog settings (the model decides what the good message's body looks like) */
  node?: Record<string, unknown>;
  config?: Record<string, unknown>;
  msg: () => Msg;
  code: string;
  message: RegExp;
  /** msg.error.cause.parameter */
  parameter?: string;
  /** the flow itself is broken (config): the next message fails the same way instead of passing */
  brokenFlow?: boolean;
  /** a known bug: the case is skipped until src is fixed */
  bug?: string;
}

const circular = (): Record<string, unknown> => {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
};

// prettier-ignore
const BAD: BadCase[] = [
  // ------------------------------------------------------------------------ msg.params of the wrong type
  { title: "msg.params a string", op: "generate", msg: () => ({ payload: "a", params: "size=1024x1024" }), code: "invalid_params", message: /msg\.params must be an object of request parameters, got "size=1024x1024"/, parameter: "params" },
  { title: "msg.params a number", op: "generate", msg: () => ({ payload: "a", params: 42 }), code: "invalid_params", message: /msg\.params must be an object of request parameters, got 42/, parameter: "params" },
  { title: "msg.params an array", op: "generate", msg: () => ({ payload: "a", params: [{ n: 2 }] }), code: "invalid_params", message: /msg\.params must be an object of request parameters, got an array of 1/, parameter: "params" },
  { title: "msg.params a Buffer", op: "generate", msg: () => ({ payload: "a", params: Buffer.from("{}") }), code: "invalid_params", message: /msg\.params must be an object of request parameters, got a Buffer of 2 bytes/, parameter: "params" },
  { title: "msg.params true", op: "generate", msg: () => ({ payload: "a", params: true }), code: "invalid_params", message: /msg\.params must be an object of request parameters, got true/, parameter: "params" },
  { title: "msg.params a Date", op: "generate", msg: () => ({ payload: "a", params: new Date(0) }), code: "invalid_params", message: /msg\.params must be an object of request parameters, got a Date/, parameter: "params" },
  { title: "msg.params on the edit node a string", op: "edit", msg: () => ({ payload: PHOTO_PNG, prompt: "a", params: "n=2" }), code: "invalid_params", message: /msg\.params must be an object of request parameters, got "n=2"/, parameter: "params" },
  // ------------------------------------------------------------------------ n
  { title: "n NaN", op: "generate", msg: () => ({ payload: "a", params: { n: Number.NaN } }), code: "invalid_params", message: /n must be a whole number from 1 to 10, got NaN/, parameter: "n" },
  { title: "n 0", op: "generate", msg: () => ({ payload: "a", params: { n: 0 } }), code: "invalid_params", message: /n must be a whole number from 1 to 10, got 0/, parameter: "n" },
  { title: "n 11", op: "generate", msg: () => ({ payload: "a", params: { n: 11 } }), code: "invalid_params", message: /n must be a whole number from 1 to 10, got 11/, parameter: "n" },
  { title: 'n "2" (a string)', op: "generate", msg: () => ({ payload: "a", params: { n: "2" } }), code: "invalid_params", message: /n must be a whole number from 1 to 10, got "2"/, parameter: "n" },
  { title: "n 1.5", op: "generate", msg: () => ({ payload: "a", params: { n: 1.5 } }), code: "invalid_params", message: /n must be a whole number from 1 to 10, got 1\.5/, parameter: "n" },
  { title: "n -1", op: "generate", msg: () => ({ payload: "a", params: { n: -1 } }), code: "invalid_params", message: /n must be a whole number from 1 to 10, got -1/, parameter: "n" },
  { title: "n Infinity", op: "generate", msg: () => ({ payload: "a", params: { n: Number.POSITIVE_INFINITY } }), code: "invalid_params", message: /n must be a whole number from 1 to 10, got Infinity/, parameter: "n" },
  { title: "n 2 for dall-e-3", op: "generate", node: { model: "dall-e-3" }, msg: () => ({ payload: "a", params: { n: 2 } }), code: "invalid_params", message: /n 2 is not supported by dall-e-3: it makes one image per request/, parameter: "n" },
  { title: "n 11 on the edit node", op: "edit", msg: () => ({ payload: PHOTO_PNG, prompt: "a", params: { n: 11 } }), code: "invalid_params", message: /n must be a whole number from 1 to 10, got 11/, parameter: "n" },
  { title: "n from the node's dialog is not a number", op: "generate", node: { imageCount: "two" }, msg: () => ({ payload: "a" }), code: "invalid_params", message: /n must be a whole number from 1 to 10, got "two"/, parameter: "n", brokenFlow: true },
  // ------------------------------------------------------------------------ other numbers
  { title: "negative output_compression", op: "generate", msg: () => ({ payload: "a", params: { output_compression: -5 } }), code: "invalid_params", message: /output_compression must be a whole number from 0 to 100, got -5/, parameter: "output_compression" },
  { title: "output_compression 101", op: "generate", msg: () => ({ payload: "a", params: { output_compression: 101 } }), code: "invalid_params", message: /output_compression must be a whole number from 0 to 100, got 101/, parameter: "output_compression" },
  { title: "output_compression 50.5", op: "generate", msg: () => ({ payload: "a", params: { output_compression: 50.5 } }), code: "invalid_params", message: /output_compression must be a whole number from 0 to 100, got 50\.5/, parameter: "output_compression" },
  { title: 'output_compression "50"', op: "generate", msg: () => ({ payload: "a", params: { output_compression: "50" } }), code: "invalid_params", message: /output_compression must be a whole number from 0 to 100, got "50"/, parameter: "output_compression" },
  { title: "output_compression on dall-e-2", op: "generate", node: { model: "dall-e-2" }, msg: () => ({ payload: "a", params: { output_compression: 50 } }), code: "invalid_params", message: /output_compression is not supported by dall-e-2; only .*gpt-image-2\.6-flare/, parameter: "output_compression" },
  { title: "partial_images 4", op: "generate", msg: () => ({ payload: "a", params: { partial_images: 4 } }), code: "invalid_params", message: /partial_images must be a whole number from 0 to 3, got 4/, parameter: "partial_images" },
  { title: 'partial_images "1"', op: "generate", msg: () => ({ payload: "a", params: { partial_images: "1" } }), code: "invalid_params", message: /partial_images must be a whole number from 0 to 3, got "1"/, parameter: "partial_images" },
  { title: "partial_images 2 with stream false", op: "generate", msg: () => ({ payload: "a", params: { partial_images: 2, stream: false } }), code: "invalid_params", message: /partial_images 2 needs streaming, but stream is false/, parameter: "stream" },
  { title: 'stream "true" (a string)', op: "generate", msg: () => ({ payload: "a", params: { stream: "true" } }), code: "invalid_params", message: /stream must be true or false, got "true"/, parameter: "stream" },
  // ------------------------------------------------------------------------ strings
  { title: "size a number", op: "generate", msg: () => ({ payload: "a", params: { size: 1024 } }), code: "invalid_params", message: /size must be a string, got 1024/, parameter: "size" },
  { title: 'size "1024X1024"', op: "generate", msg: () => ({ payload: "a", params: { size: "1024X1024" } }), code: "invalid_params", message: /size "1024X1024" is not supported by gpt-image-1; use 1024x1024, 1536x1024, 1024x1536 or auto/, parameter: "size" },
  { title: "size 1024x1792 for dall-e-2", op: "generate", node: { model: "dall-e-2" }, msg: () => ({ payload: "a", params: { size: "1024x1792" } }), code: "invalid_params", message: /size "1024x1792" is not supported by dall-e-2; use 256x256, 512x512 or 1024x1024/, parameter: "size" },
  { title: "size 1000x1000 for gpt-image-2", op: "generate", node: { model: "gpt-image-2" }, msg: () => ({ payload: "a", params: { size: "1000x1000" } }), code: "invalid_params", message: /size "1000x1000" is not supported by gpt-image-2: width and height must be multiples of 16/, parameter: "size" },
  { title: "quality a number", op: "generate", msg: () => ({ payload: "a", params: { quality: 5 } }), code: "invalid_params", message: /quality must be a string, got 5/, parameter: "quality" },
  { title: 'quality "hd" for gpt-image-1', op: "generate", msg: () => ({ payload: "a", params: { quality: "hd" } }), code: "invalid_params", message: /quality "hd" is not supported by gpt-image-1; use low, medium, high or auto/, parameter: "quality" },
  { title: "background true", op: "generate", msg: () => ({ payload: "a", params: { background: true } }), code: "invalid_params", message: /background must be a string, got true/, parameter: "background" },
  { title: "background transparent with jpeg", op: "generate", msg: () => ({ payload: "a", params: { background: "transparent", output_format: "jpeg" } }), code: "invalid_params", message: /background "transparent" needs output_format png or webp, not "jpeg"/, parameter: "background" },
  { title: "moderation an array", op: "generate", msg: () => ({ payload: "a", params: { moderation: ["low"] } }), code: "invalid_params", message: /moderation must be a string, got an array of 1/, parameter: "moderation" },
  { title: 'output_format "PNG"', op: "generate", msg: () => ({ payload: "a", params: { output_format: "PNG" } }), code: "invalid_params", message: /output_format "PNG" is not supported by gpt-image-1; use png, jpeg or webp/, parameter: "output_format" },
  { title: 'response_format "png"', op: "generate", node: { model: "dall-e-2" }, msg: () => ({ payload: "a", params: { response_format: "png" } }), code: "invalid_params", message: /response_format "png" is not supported by dall-e-2; use url or b64_json/, parameter: "response_format" },
  { title: "user an object", op: "generate", msg: () => ({ payload: "a", params: { user: { id: 7 } } }), code: "invalid_params", message: /user must be a string, got an object/, parameter: "user" },
  { title: "style on gpt-image-1", op: "generate", msg: () => ({ payload: "a", params: { style: "vivid" } }), code: "invalid_params", message: /style is not supported by gpt-image-1; only dall-e-3 took it \(legacy models\)/, parameter: "style" },
  { title: "input_fidelity on generate", op: "generate", msg: () => ({ payload: "a", params: { input_fidelity: "high" } }), code: "invalid_params", message: /input_fidelity is a parameter of image edits, not of generations/, parameter: "input_fidelity" },
  { title: "input_fidelity on gpt-image-1-mini edits", op: "edit", node: { model: "gpt-image-1-mini" }, msg: () => ({ payload: PHOTO_PNG, prompt: "a", params: { input_fidelity: "high" } }), code: "invalid_params", message: /input_fidelity "high" is not supported by gpt-image-1-mini; use low/, parameter: "input_fidelity" },
  // ------------------------------------------------------------------------ model
  { title: "a model name of 10,000 characters", op: "generate", msg: () => ({ payload: "a", params: { model: "m".repeat(10_000) } }), code: "invalid_params", message: /model name is 10000 characters long; at most 200 are accepted/, parameter: "model" },
  { title: "an empty model name", op: "generate", msg: () => ({ payload: "a", params: { model: "" } }), code: "invalid_params", message: /model must be a model name, got ""/, parameter: "model" },
  { title: "a model that is a number", op: "generate", msg: () => ({ payload: "a", params: { model: 3 } }), code: "invalid_params", message: /model must be a model name, got 3/, parameter: "model" },
  { title: "a model that is an array", op: "generate", msg: () => ({ payload: "a", params: { model: ["gpt-image-1"] } }), code: "invalid_params", message: /model must be a model name, got an array of 1/, parameter: "model" },
  { title: "a model of 10,000 characters on the edit node", op: "edit", msg: () => ({ payload: PHOTO_PNG, prompt: "a", params: { model: "m".repeat(10_000) } }), code: "invalid_params", message: /model name is 10000 characters long/, parameter: "model" },
  { title: "dall-e-3 cannot edit", op: "edit", msg: () => ({ payload: PHOTO_PNG, prompt: "a", params: { model: "dall-e-3" } }), code: "invalid_params", message: /dall-e-3 cannot edit images; use gpt-image-2\.6-flare, gpt-image-2\.6-sunburst, gpt-image-2\.5-flare, gpt-image-2\.5-sunburst or gpt-image-2$/, parameter: "model" },
  // ------------------------------------------------------------------------ keys that must never be merged
  { title: "__proto__ in msg.params (JSON.parse'd)", op: "generate", msg: () => ({ payload: "a", params: JSON.parse('{"__proto__": {"n": 5, "polluted": true}}') }), code: "invalid_params", message: /msg\.params must not have a key named "__proto__"/, parameter: "__proto__" },
  { title: "constructor in msg.params (JSON.parse'd)", op: "generate", msg: () => ({ payload: "a", params: JSON.parse('{"constructor": {"prototype": {"polluted": true}}}') }), code: "invalid_params", message: /msg\.params must not have a key named "constructor"/, parameter: "constructor" },
  { title: "prototype in msg.params", op: "generate", msg: () => ({ payload: "a", params: { prototype: { polluted: true } } }), code: "invalid_params", message: /msg\.params must not have a key named "prototype"/, parameter: "prototype" },
  { title: "__proto__ in a prompt object (JSON.parse'd)", op: "generate", msg: () => ({ payload: JSON.parse('{"prompt": "a", "__proto__": {"polluted": true}}') }), code: "invalid_params", message: /the prompt object must not have a key named "__proto__"/, parameter: "__proto__" },
  { title: "__proto__ in msg.params on the edit node", op: "edit", msg: () => ({ payload: PHOTO_PNG, prompt: "a", params: JSON.parse('{"__proto__": {"polluted": true}}') }), code: "invalid_params", message: /msg\.params must not have a key named "__proto__"/, parameter: "__proto__" },
  { title: "a circular object as an extra parameter", op: "generate", msg: () => ({ payload: "a", params: { extra: circular() } }), code: "invalid_params", message: /extra/, parameter: "extra" },
  { title: "a BigInt as an extra parameter", op: "generate", msg: () => ({ payload: "a", params: { seed: 2n ** 70n } }), code: "invalid_params", message: /seed/, parameter: "seed" },
  { title: "a circular object as an extra parameter on the edit node", op: "edit", msg: () => ({ payload: PHOTO_PNG, prompt: "a", params: { extra: circular() } }), code: "invalid_params", message: /extra/, parameter: "extra" },
  // ------------------------------------------------------------------------ the prompt
  { title: "no prompt (generate)", op: "generate", msg: () => ({}), code: "invalid_params", message: /prompt is missing: set msg\.payload/, parameter: "prompt" },
  { title: "prompt null", op: "generate", msg: () => ({ payload: null }), code: "invalid_params", message: /prompt is missing/, parameter: "prompt" },
  { title: "prompt a number", op: "generate", msg: () => ({ payload: 12 }), code: "invalid_params", message: /prompt must be a text \(or an object with a "prompt" text\), got 12/, parameter: "prompt" },
  { title: "prompt a boolean", op: "generate", msg: () => ({ payload: false }), code: "invalid_params", message: /prompt must be a text .*got false/, parameter: "prompt" },
  { title: "prompt an array", op: "generate", msg: () => ({ payload: ["a", "b"] }), code: "invalid_params", message: /prompt must be a text .*got an array of 2/, parameter: "prompt" },
  { title: "prompt a Buffer", op: "generate", msg: () => ({ payload: Buffer.from("a cat") }), code: "invalid_params", message: /prompt must be a text .*got a Buffer of 5 bytes/, parameter: "prompt" },
  { title: "prompt empty", op: "generate", msg: () => ({ payload: "" }), code: "invalid_params", message: /prompt is empty: give a text describing the image/, parameter: "prompt" },
  { title: "prompt only whitespace", op: "generate", msg: () => ({ payload: " \n\t " }), code: "invalid_params", message: /prompt is empty/, parameter: "prompt" },
  { title: "a prompt object without prompt", op: "generate", msg: () => ({ payload: { size: "1024x1024", n: 2 } }), code: "invalid_params", message: /the prompt object has no "prompt" text \(keys: size, n\)/, parameter: "prompt" },
  { title: "a prompt object whose prompt is a number", op: "generate", msg: () => ({ payload: { prompt: 5 } }), code: "invalid_params", message: /the prompt object has no "prompt" text \(keys: prompt\)/, parameter: "prompt" },
  { title: "an enormous prompt (1 MB) for gpt-image-1", op: "generate", msg: () => ({ payload: "x".repeat(MB) }), code: "invalid_params", message: /prompt is 1048576 characters long; gpt-image-1 takes at most 32000/, parameter: "prompt" },
  { title: "an enormous prompt (4 MB) for a gateway model", op: "generate", node: { model: "flux-kontext-pro" }, msg: () => ({ payload: "y".repeat(4 * MB) }), code: "invalid_params", message: /prompt is 4194304 characters long; this API takes at most 32000/, parameter: "prompt" },
  { title: "4,001 emoji for dall-e-3 (counted as characters, not UTF-16 units)", op: "generate", node: { model: "dall-e-3" }, msg: () => ({ payload: "🦊".repeat(4001) }), code: "invalid_params", message: /prompt is 4001 characters long; dall-e-3 takes at most 4000/, parameter: "prompt" },
  { title: "a JSONata prompt that does not parse", op: "generate", node: { prompt: '"a" & (', promptType: "jsonata" }, msg: () => ({ payload: "a" }), code: "invalid_params", message: /the prompt property \(jsonata\) could not be read/, parameter: "prompt", brokenFlow: true },
  { title: "a prompt from an unset flow variable", op: "generate", node: { prompt: "nothing.here", promptType: "flow" }, msg: () => ({ payload: "a" }), code: "invalid_params", message: /prompt is missing/, parameter: "prompt", brokenFlow: true },
  { title: "no prompt (edit)", op: "edit", msg: () => ({ payload: PHOTO_PNG }), code: "invalid_params", message: /prompt is missing: set msg\.prompt/, parameter: "prompt" },
  { title: "prompt a number (edit)", op: "edit", msg: () => ({ payload: PHOTO_PNG, prompt: 7 }), code: "invalid_params", message: /prompt must be a text .*got 7/, parameter: "prompt" },
  { title: "prompt over dall-e-2's 1000 (edit)", op: "edit", node: { model: "dall-e-2" }, msg: () => ({ payload: PHOTO_PNG, prompt: "p".repeat(1001) }), code: "invalid_params", message: /prompt is 1001 characters long; dall-e-2 takes at most 1000/, parameter: "prompt" },
  // ------------------------------------------------------------------------ the image (edit)
  { title: "no image", op: "edit", msg: () => ({ prompt: "a" }), code: "invalid_image", message: /no image to edit: set the node's Image property/, parameter: "image" },
  { title: "an empty Buffer", op: "edit", msg: () => ({ payload: Buffer.alloc(0), prompt: "a" }), code: "invalid_image", message: /image is empty \(0 bytes\)/, parameter: "image" },
  { title: "an empty array", op: "edit", msg: () => ({ payload: [], prompt: "a" }), code: "invalid_image", message: /the image array is empty/, parameter: "image" },
  { title: "a truncated PNG", op: "edit", msg: () => ({ payload: fixture("truncated.png"), prompt: "a" }), code: "invalid_image", message: /image cannot be used: the PNG is truncated/, parameter: "image" },
  { title: "a PNG cut in half", op: "edit", msg: () => ({ payload: PHOTO_PNG.subarray(0, PHOTO_PNG.length / 2), prompt: "a" }), code: "invalid_image", message: /image cannot be used: the PNG is truncated/, parameter: "image" },
  { title: "text", op: "edit", msg: () => ({ payload: fixture("not-an-image.txt"), prompt: "a" }), code: "invalid_image", message: /image is not a PNG, JPEG or WebP image: found text/, parameter: "image" },
  { title: "a GIF", op: "edit", msg: () => ({ payload: fixture("photo-256.gif"), prompt: "a" }), code: "invalid_image", message: /image is image\/gif; gpt-image-1 takes image\/png, image\/jpeg or image\/webp/, parameter: "image" },
  { title: "a number", op: "edit", msg: () => ({ payload: 5, prompt: "a" }), code: "invalid_image", message: /image must be a Buffer, a base64 string or a data: URL, got 5/, parameter: "image" },
  { title: "a boolean", op: "edit", msg: () => ({ payload: true, prompt: "a" }), code: "invalid_image", message: /image must be a Buffer, a base64 string or a data: URL, got true/, parameter: "image" },
  { title: "a plain object", op: "edit", msg: () => ({ payload: { image: "x" }, prompt: "a" }), code: "invalid_image", message: /image must be a Buffer, a base64 string or a data: URL, got an object/, parameter: "image" },
  { title: "a Buffer that went through JSON ({type: 'Buffer', data})", op: "edit", msg: () => ({ payload: JSON.parse(JSON.stringify(PHOTO_PNG)), prompt: "a" }), code: "invalid_image", message: /image must be a Buffer, a base64 string or a data: URL, got an object/, parameter: "image" },
  { title: "an array with null in it", op: "edit", msg: () => ({ payload: [PHOTO_PNG, null], prompt: "a" }), code: "invalid_image", message: /image 2 of 2 must be a Buffer, a base64 string or a data: URL, got null/, parameter: "image 2 of 2" },
  { title: "a URL string", op: "edit", msg: () => ({ payload: "https://example.com/cat.png", prompt: "a" }), code: "invalid_image", message: /image is a URL; download it first/, parameter: "image" },
  { title: "a string that is not base64", op: "edit", msg: () => ({ payload: "not an image at all!", prompt: "a" }), code: "invalid_image", message: /image is a string that is neither base64 nor a data: URL/, parameter: "image" },
  { title: "a data URL that is not base64", op: "edit", msg: () => ({ payload: "data:image/png,%89PNG", prompt: "a" }), code: "invalid_image", message: /image is a data URL that is not base64-encoded/, parameter: "image" },
  { title: "a JPEG claiming to be PNG, for dall-e-2 (the bytes win)", op: "edit", node: { model: "dall-e-2" }, msg: () => ({ payload: `data:image/png;base64,${PHOTO_JPG.toString("base64")}`, prompt: "a" }), code: "invalid_image", message: /image is image\/jpeg; dall-e-2 takes image\/png/, parameter: "image" },
  { title: "a non-square PNG for dall-e-2", op: "edit", node: { model: "dall-e-2" }, msg: () => ({ payload: fixture("wide-384x256.png"), prompt: "a" }), code: "invalid_image", message: /image is 384x256; dall-e-2 takes only square images/, parameter: "image" },
  { title: "two images for dall-e-2", op: "edit", node: { model: "dall-e-2" }, msg: () => ({ payload: [PHOTO_PNG, PHOTO_PNG], prompt: "a" }), code: "invalid_params", message: /2 images given; dall-e-2 takes at most 1/, parameter: "image" },
  { title: "17 images", op: "edit", msg: () => ({ payload: Array(17).fill(PHOTO_PNG), prompt: "a" }), code: "invalid_params", message: /17 images given; gpt-image-1 takes at most 16/, parameter: "image" },
  { title: "17 images for a gateway model", op: "edit", node: { model: "flux-kontext-pro" }, msg: () => ({ payload: Array(17).fill(PHOTO_PNG), prompt: "a" }), code: "invalid_params", message: /17 images given; the edits endpoint takes at most 16/, parameter: "image" },
  { title: "a 60 MB image", op: "edit", msg: () => ({ payload: sixtyMegabytes(), prompt: "a" }), code: "image_too_large", message: /image is 60\.0 MB; gpt-image-1 takes files under 50\.0 MB/, parameter: "image" },
  { title: "a 60 MB image as the third of three", op: "edit", msg: () => ({ payload: [PHOTO_PNG, PHOTO_JPG, sixtyMegabytes()], prompt: "a" }), code: "image_too_large", message: /image 3 of 3 is 60\.0 MB/, parameter: "image 3 of 3" },
  // ------------------------------------------------------------------------ the mask (edit)
  { title: "a mask of the wrong size", op: "edit", msg: () => ({ payload: PHOTO_PNG, mask: fixture("mask-128-wrong-size.png"), prompt: "a" }), code: "mask_mismatch", message: /mask is 128x128 but the first image is 256x256; they must be the same size/, parameter: "mask" },
  { title: "a mask without alpha", op: "edit", msg: () => ({ payload: PHOTO_PNG, mask: fixture("mask-256-no-alpha.png"), prompt: "a" }), code: "mask_mismatch", message: /mask has no alpha channel/, parameter: "mask" },
  { title: "a JPEG mask", op: "edit", msg: () => ({ payload: PHOTO_PNG, mask: PHOTO_JPG, prompt: "a" }), code: "mask_mismatch", message: /mask must be a PNG with an alpha channel, got image\/jpeg/, parameter: "mask" },
  { title: "a truncated mask", op: "edit", msg: () => ({ payload: PHOTO_PNG, mask: MASK_256.subarray(0, 200), prompt: "a" }), code: "invalid_image", message: /mask cannot be used: the PNG is truncated/, parameter: "mask" },
  { title: "a mask that is a number", op: "edit", msg: () => ({ payload: PHOTO_PNG, mask: 1, prompt: "a" }), code: "invalid_image", message: /mask must be a Buffer, a base64 string or a data: URL, got 1/, parameter: "mask" },
  { title: "a 5 MB mask", op: "edit", msg: () => ({ payload: PHOTO_PNG, mask: Buffer.concat([MASK_256, Buffer.alloc(5 * MB)]), prompt: "a" }), code: "image_too_large", message: /mask is 5\.0 MB; masks must be under 4 MB/, parameter: "mask" },
  // ------------------------------------------------------------------------ the config node
  { title: "a base URL without a scheme", op: "generate", config: { baseUrl: "api.openai.com/v1" }, msg: () => ({ payload: "a" }), code: "invalid_params", message: /base URL "api\.openai\.com\/v1" is not a URL; use e\.g\. https:\/\/api\.openai\.com\/v1/, parameter: "baseUrl", brokenFlow: true },
  { title: "a base URL with ftp://", op: "generate", config: { baseUrl: "ftp://files.example.com/v1" }, msg: () => ({ payload: "a" }), code: "invalid_params", message: /base URL must start with http:\/\/ or https:\/\/, got ftp:/, parameter: "baseUrl", brokenFlow: true },
  { title: "a base URL without a scheme (edit)", op: "edit", config: { baseUrl: "localhost:8080/v1" }, msg: () => ({ payload: PHOTO_PNG, prompt: "a" }), code: "invalid_params", message: /base URL must start with http:\/\/ or https:\/\/, got localhost:/, parameter: "baseUrl", brokenFlow: true },
  { title: "url output for a GPT image model", op: "generate", node: { output: "url" }, msg: () => ({ payload: "a" }), code: "invalid_params", message: /output "url" is not available for gpt-image-1: it returns image data only/, parameter: "output", brokenFlow: true },
];

interface GoodCase {
  title: string;
  op: Op;
  node?: Record<string, unknown>;
  msg: () => Msg;
  /** generate: the exact JSON body; edit: the exact text fields, in order */
  json?: Record<string, unknown>;
  fields?: Array<[string, string]>;
  /** edit: [name, filename, content type, bytes] of each file part, in order */
  files?: Array<[string, string, string, Buffer]>;
}

const UNICODE = "Ein Fuchs im Schnee — 雪の中のキツネ — ثعلب في الثلج — e\u0301te\u0301 — Ǆ ẞ ﷽";
const EMOJI = "🦊❄️ 👩🏽‍🚀 🏳️‍🌈 🇩🇪 1️⃣ 🫶🏻";
// prettier-ignore
const GOOD: GoodCase[] = [
  { title: "a unicode prompt (CJK, Arabic, combining accents)", op: "generate", msg: () => ({ payload: UNICODE }), json: { model: "gpt-image-1", prompt: UNICODE } },
  { title: "an emoji prompt (ZWJ sequences, flags, skin tones)", op: "generate", msg: () => ({ payload: EMOJI }), json: { model: "gpt-image-1", prompt: EMOJI } },
  { title: "32,000 emoji: 32,000 characters (64,000 UTF-16 units) is within gpt-image-1's limit", op: "generate", msg: () => ({ payload: "🦊".repeat(32_000) }), json: { model: "gpt-image-1", prompt: "🦊".repeat(32_000) } },
  { title: "exactly 1000 characters for dall-e-2", op: "generate", node: { model: "dall-e-2" }, msg: () => ({ payload: "d".repeat(1000) }), json: { model: "dall-e-2", prompt: "d".repeat(1000), response_format: "b64_json" } },
  { title: "an emoji prompt on the edit node", op: "edit", msg: () => ({ payload: PHOTO_PNG, prompt: EMOJI }), fields: [["model", "gpt-image-1"], ["prompt", EMOJI]], files: [["image", "image.png", "image/png", PHOTO_PNG]] },
  { title: "n null means the API's default: not sent", op: "generate", msg: () => ({ payload: "a", params: { n: null } }), json: { model: "gpt-image-1", prompt: "a" } },
  { title: "msg.params null", op: "generate", msg: () => ({ payload: "a", params: null }), json: { model: "gpt-image-1", prompt: "a" } },
  { title: "a model null in msg.params falls back to the node's model", op: "generate", node: { model: "dall-e-3" }, msg: () => ({ payload: "a", params: { model: null } }), json: { model: "dall-e-3", prompt: "a", response_format: "b64_json" } },
  { title: "an unknown gateway key passes through untouched", op: "generate", node: { model: "flux-kontext-pro" }, msg: () => ({ payload: "a", params: { aspect_ratio: "21:9", seed: 42, safety_tolerance: 2 } }), json: { model: "flux-kontext-pro", aspect_ratio: "21:9", seed: 42, safety_tolerance: 2, prompt: "a" } },
  { title: "a JPEG claiming to be PNG, for gpt-image-1: the bytes win, it goes as image/jpeg", op: "edit", msg: () => ({ payload: `data:image/png;base64,${PHOTO_JPG.toString("base64")}`, prompt: "a" }), fields: [["model", "gpt-image-1"], ["prompt", "a"]], files: [["image", "image.jpg", "image/jpeg", PHOTO_JPG]] },
  { title: "base64 with MIME line breaks", op: "edit", msg: () => ({ payload: PHOTO_PNG.toString("base64").replace(/.{76}/g, "$&\r\n"), prompt: "a" }), fields: [["model", "gpt-image-1"], ["prompt", "a"]], files: [["image", "image.png", "image/png", PHOTO_PNG]] },
  { title: "a Uint8Array image", op: "edit", msg: () => ({ payload: new Uint8Array(PHOTO_PNG), prompt: "a" }), fields: [["model", "gpt-image-1"], ["prompt", "a"]], files: [["image", "image.png", "image/png", PHOTO_PNG]] },
  { title: "16 images (the most gpt-image-1 takes)", op: "edit", msg: () => ({ payload: Array(16).fill(PHOTO_PNG), prompt: "a" }), fields: [["model", "gpt-image-1"], ["prompt", "a"]], files: Array.from({ length: 16 }, (_, i): [string, string, string, Buffer] => ["image[]", `image-${i + 1}.png`, "image/png", PHOTO_PNG]) },
  { title: "an empty-string mask means no mask", op: "edit", msg: () => ({ payload: PHOTO_PNG, mask: "", prompt: "a" }), fields: [["model", "gpt-image-1"], ["prompt", "a"]], files: [["image", "image.png", "image/png", PHOTO_PNG]] },
];

const EDIT_NODE = { image: "payload", imageType: "msg", mask: "mask", maskType: "msg", prompt: "prompt", promptType: "msg" };

function textFields(form: FormPart[] | undefined): Array<[string, string]> {
  return (form ?? []).filter((p) => p.filename === undefined).map((p) => [p.name, p.value ?? ""]);
}

function assertFiles(req: RecordedRequest, files: Array<[string, string, string, Buffer]>): void {
  const parts = (req.form ?? []).filter((p) => p.filename !== undefined);
  assert.deepEqual(
    parts.map((p) => [p.name, p.filename, p.contentType]),
    files.map(([n, f, t]) => [n, f, t]),
  );
  parts.forEach((p, i) => assert.ok(p.data.equals(files[i][3]), `file ${i + 1}: the exact bytes`));
}

/** The good message after a bad one, and the exact body it must produce on the wire. */
function goodFor(op: Op, node: Record<string, unknown> = {}): GoodCase {
  const model = String(node.model ?? "gpt-image-1");
  const dalle = model.startsWith("dall-e");
  if (op === "generate") {
    return {
      title: "good",
      op,
      msg: () => ({ payload: "a good one" }),
      json: { model, prompt: "a good one", ...(dalle ? { response_format: "b64_json" } : {}) },
    };
  }
  return {
    title: "good",
    op,
    msg: () => ({ payload: PHOTO_PNG, prompt: "a good one" }),
    fields: [["model", model], ["prompt", "a good one"], ...(dalle ? ([["response_format", "b64_json"]] as Array<[string, string]>) : [])],
    files: [["image", "image.png", "image/png", PHOTO_PNG]],
  };
}

function assertWire(req: RecordedRequest, good: GoodCase): void {
  if (good.op === "generate") {
    assert.equal(req.path, "/v1/images/generations");
    assert.deepEqual(req.json, good.json);
  } else {
    assert.equal(req.path, "/v1/images/edits");
    assert.deepEqual(textFields(req.form), good.fields);
    assertFiles(req, good.files ?? []);
  }
}

describe("reliability: bad input is refused before sending, and leaves nothing behind", function () {
  this.timeout(20_000);
  const api = withReliability();
  after(() => {
    big60 = undefined;
  });

  async function loadFor(op: Op, node: Record<string, unknown> = {}, config: Record<string, unknown> = {}) {
    const { baseUrl, ...rest } = config;
    const base = { baseUrl: typeof baseUrl === "string" ? baseUrl : api.server.baseUrl, config: rest };
    if (op === "edit") await load({ ...base, type: "images-api-edit", node: { ...EDIT_NODE, ...node } }, EDIT_NODES);
    else await load({ ...base, node });
  }

  it(`the table has at least 60 refused inputs across both nodes (${BAD.length})`, () => {
    assert.ok(BAD.length >= 60);
    assert.ok(BAD.some((c) => c.op === "edit") && BAD.some((c) => c.op === "generate"));
  });

  for (const c of BAD) {
    // cases marked `bug` are skipped until src is fixed; RUN_BUGS=1 runs them
    const test = c.bug && !process.env.RUN_BUGS ? it.skip : it;
    test(`${c.op}: ${c.title} → ${c.code}${c.parameter ? ` naming ${c.parameter}` : ""}`, async () => {
      const server = api.server;
      await loadFor(c.op, c.node, c.config);
      const started = Date.now();
      const { out, caught } = await one(c.msg(), { settleMs: 40 });
      const ms = Date.now() - started;
      assert.equal(out, undefined, "refused, not sent");
      assert.ok(caught);
      const e = caught.error;
      if (process.env.DUMP_MESSAGES) console.log(`        ${e.code} [${e.cause.parameter}] ${e.message}`);
      assert.equal(e.code, c.code, e.message);
      assert.match(e.message, c.message);
      if (c.parameter) assert.equal(e.cause.parameter, c.parameter, "msg.error.cause.parameter");
      assert.equal(e.source.id, "img");
      assert.ok(e.message.length < 400, `a short message (${e.message.length} characters)`);
      assert.equal(server.requests.length, 0, "nothing may be sent");
      assert.ok(ms < 3000, `refused in ${ms} ms`);
      assert.equal(({} as Record<string, unknown>).polluted, undefined, "Object.prototype untouched");
      assert.equal(({} as Record<string, unknown>).n, undefined, "Object.prototype untouched");

      // the same node, the next message: nothing of the bad one is carried along
      if (c.brokenFlow) {
        const again = await one(c.msg(), { settleMs: 40 });
        assert.equal(again.caught?.error.code, c.code, "a broken flow refuses every message the same way");
        assert.equal(server.requests.length, 0);
      } else {
        const good = goodFor(c.op, c.node);
        const next = await one(good.msg(), { settleMs: 40 });
        assert.equal(next.caught, undefined, next.caught?.error?.message);
        assert.ok(next.out && (Buffer.isBuffer(next.out.payload) || Array.isArray(next.out.payload)));
        assert.equal(server.requests.length, 1);
        assertWire(server.requests[0], good);
        figures.goodAfterBad++;
      }
      figures.badInputCases++;
    });
  }

  describe("edge inputs that must pass, with their exact wire body", () => {
    for (const g of GOOD) {
      it(`${g.op}: ${g.title}`, async () => {
        const server = api.server;
        await loadFor(g.op, g.node);
        const { out, caught } = await one(g.msg(), { settleMs: 40 });
        assert.equal(caught, undefined, caught?.error?.message);
        assert.ok(out);
        assert.equal(server.requests.length, 1);
        assertWire(server.requests[0], g);
        figures.mustPassCases++;
      });
    }

    it("a unicode prompt arrives as UTF-8 on the wire, not as \\u escapes", async () => {
      const server = api.server;
      await loadFor("generate");
      await one({ payload: EMOJI }, { settleMs: 40 });
      assert.ok(server.requests[0].raw.includes(Buffer.from(EMOJI, "utf8")));
      figures.mustPassCases++;
    });
  });

  it("config values that are not numbers fall back to the defaults instead of breaking the node", async () => {
    await loadFor("generate", {}, { timeout: "soon", retries: "-1", concurrency: "0", queueLimit: "lots" });
    const o = helper.getNode("cfg").client.options;
    assert.deepEqual(
      { timeoutMs: o.timeoutMs, maxRetries: o.maxRetries, concurrency: o.concurrency, queueLimit: o.queueLimit },
      { timeoutMs: 600_000, maxRetries: 2, concurrency: 4, queueLimit: 1000 },
    );
    const { out } = await one({ payload: "a" }, { settleMs: 40 });
    assert.ok(out);
  });
});
