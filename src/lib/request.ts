/**
 * One Images API operation from checked parameters to finished images: send, read the answer,
 * download URL answers when bytes were asked for (URLs expire), or insist on URLs when asked for.
 */
import { readAnswer, type ImagesResult } from "./answer";
import type { ImagesClient, RequestBody } from "./client";
import { ImagesApiError } from "./errors";
import type { JobHooks } from "./job";
import type { Operation } from "./models";
import type { CheckedRequest, OutputForm } from "./params";

export async function requestImages(
  client: ImagesClient,
  op: Operation,
  checked: CheckedRequest,
  body: RequestBody,
  form: OutputForm,
  hooks: JobHooks,
): Promise<ImagesResult> {
  const answer = await client.call({ ...hooks, op, model: checked.model, body });
  const result = readAnswer(answer, client.redact);
  for (const image of result.images) {
    if (form === "url") {
      if (!image.url) {
        throw new ImagesApiError(
          "api_error",
          `the Images API answered with image data, not a URL, for ${checked.model}; choose the Buffer, base64 or data URL output`,
          { statusCode: answer.status, requestId: answer.requestId, attempts: answer.attempts },
        );
      }
    } else if (!image.data && image.url) {
      image.data = await client.download(image.url, hooks.signal);
    }
  }
  return result;
}
