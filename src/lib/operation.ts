/**
 * One Images API operation from checked parameters to finished images: send (streamed when asked),
 * read the answer, download URL answers when bytes were asked for (URLs expire), or insist on URLs
 * when asked for. A gateway that refuses streaming is asked once more without it, when allowed.
 */
import { readAnswer, type ImagesResult } from "./answer/images-response";
import type { ApiAnswer, ImagesClient, RequestBody } from "./http/client";
import { ImagesApiError, isImagesApiError } from "./errors";
import type { JobHooks } from "./flow/job-tracker";
import { GENERIC_LIMITS, type Operation } from "./models/table";
import type { CheckedRequest, OutputForm, Params } from "./check/params";
import { ImageStream, type PartialImage } from "./answer/streamed-images";

export interface ImageRequest {
  op: Operation;
  checked: CheckedRequest;
  /** the wire body for a set of parameters (called again without streaming for the fallback) */
  build: (params: Params, warn: (text: string) => void) => RequestBody;
  form: OutputForm;
  /** retry once without streaming when the API refuses `stream` */
  streamFallback: boolean;
}

export interface RequestHooks extends JobHooks {
  onPartial?: (partial: PartialImage) => void;
  onWarning?: (text: string) => void;
}

export async function requestImages(client: ImagesClient, req: ImageRequest, hooks: RequestHooks): Promise<ImagesResult> {
  const { checked } = req;
  const streaming = checked.params.stream === true;
  let result: ImagesResult;
  try {
    result = await send(client, req, checked.params, streaming, hooks);
  } catch (err) {
    if (!streaming || !req.streamFallback || !refusesStreaming(err)) throw err;
    hooks.onWarning?.(`the API refused streaming (${(err as Error).message}); asking again without partial images`);
    const { stream: _s, partial_images: _p, ...plain } = checked.params;
    result = await send(client, req, plain, false, hooks);
  }
  keepAsked(result, checked.params.n, hooks.onWarning);
  await resolveUrls(client, result, req.form, checked.model, hooks.signal);
  return result;
}

/**
 * An answer never yields more images than were asked for: `n`, or when the flow left `n` to the API, the most any
 * model takes. The rest are dropped (never downloaded), with a warning.
 */
function keepAsked(result: ImagesResult, n: unknown, warn?: (text: string) => void): void {
  const asked = typeof n === "number" && n >= 1 ? n : GENERIC_LIMITS.nMax;
  if (result.images.length <= asked) return;
  warn?.(
    `the API answered with ${result.images.length} images where ${typeof n === "number" ? `n = ${n}` : `at most ${asked}`} were asked for; only the first ${asked} are used`,
  );
  result.images.length = asked;
}

async function send(
  client: ImagesClient,
  req: ImageRequest,
  params: Params,
  streaming: boolean,
  hooks: RequestHooks,
): Promise<ImagesResult> {
  const n = typeof params.n === "number" ? params.n : 1;
  // what was asked for bounds what the stream may hand on
  const limits = { n, partialImages: Number(params.partial_images) || 0, onWarning: hooks.onWarning };
  const stream = streaming ? new ImageStream((p) => hooks.onPartial?.(p), client.redact, limits) : undefined;
  const answer: ApiAnswer = await client.call({
    ...hooks,
    op: req.op,
    model: req.checked.model,
    body: req.build(params, (text) => hooks.onWarning?.(text)),
    onEvent: stream ? (event) => stream.handle(event) : undefined,
    openEvent: stream?.open,
  });
  if (stream && answer.streamed) {
    return stream.finish({ requestId: answer.requestId, attempts: answer.attempts, statusCode: answer.status }, n);
  }
  // a gateway that ignores `stream` answers with plain JSON: that works too
  return readAnswer(answer, client.redact, client.profile);
}

/** A 400 that names stream or partial_images: the API (or a gateway) does not stream. */
function refusesStreaming(err: unknown): boolean {
  if (!isImagesApiError(err) || err.cause.statusCode !== 400) return false;
  const param = err.cause.param ?? "";
  return /^(stream|partial_images)$/.test(param) || /\bstream(ing)?\b|partial_images/i.test(err.message);
}

/** Downloads URL answers when bytes were asked for: each at most the largest image, all together at most the largest answer. */
async function resolveUrls(client: ImagesClient, result: ImagesResult, form: OutputForm, model: string, signal: AbortSignal) {
  const { maxImageBytes, maxResponseBytes } = client.options;
  let left = maxResponseBytes;
  for (const image of result.images) {
    if (form === "url") {
      if (!image.url) {
        throw new ImagesApiError(
          "api_error",
          `the Images API answered with image data, not a URL, for ${model}; choose the Buffer, base64 or data URL output`,
          { requestId: result.requestId, attempts: result.attempts },
        );
      }
    } else if (!image.data && image.url) {
      image.data = await client.download(image.url, signal, Math.min(maxImageBytes, left));
      left -= image.data.length;
    }
  }
}
