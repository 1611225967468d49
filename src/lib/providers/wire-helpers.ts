/**
 * Small pieces several profiles share: reading a canonical `WxH` size, refusing a value in a provider's name, the
 * OpenAI-shaped model list, and renaming a field.
 */
import { invalidParams, show } from "../errors";
import type { Params } from "../check/params";
import type { ModelList } from "./profile";

/** A `WxH` size as numbers, or undefined ("auto", "1K", anything else). */
export function sizeOf(size: unknown): { width: number; height: number } | undefined {
  const m = typeof size === "string" ? /^\s*(\d{1,5})\s*x\s*(\d{1,5})\s*$/i.exec(size) : null;
  return m ? { width: Number(m[1]), height: Number(m[2]) } : undefined;
}

/** A refusal before sending: "<provider> does not take <param> (…); <what it offers>". */
export function notOffered(provider: string, param: string, value: unknown, offer: string): Error {
  return invalidParams(param, `${provider} does not take ${param} ${show(value)}; ${offer}`);
}

/** Moves a field to another name (SiliconFlow's image_size for size). */
export function rename(params: Params, from: string, to: string): void {
  if (params[from] === undefined) return;
  params[to] = params[from];
  delete params[from];
}

/** OpenAI's list shape, {data: [{id}]}; `allImages`: every id is an image model (a filtered or single-purpose list). */
export function openAiList(json: unknown, allImages = false): ModelList {
  const data = (json as { data?: unknown } | undefined)?.data;
  const ids = Array.isArray(data) ? data.map((m) => String((m as { id?: unknown })?.id ?? "")).filter(Boolean) : [];
  return allImages ? { ids, imageIds: ids } : { ids };
}
