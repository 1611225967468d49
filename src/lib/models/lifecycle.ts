/**
 * Models coming and going: whether a model is live, retiring or retired on OpenAI at a given time,
 * what replaces it, and what that means for a request. The dates are data in the model table
 * (models.ts); every function here takes the clock as a parameter.
 */
import { ImagesApiError, isImagesApiError, type ErrorDetails } from "../errors";
import type { NodeStatus, Translate } from "../flow/job-tracker";
import { MODELS, modelEntry } from "./table";

export type LifeState = "active" | "retiring" | "retired";

export interface ModelLife {
  state: LifeState;
  /** YYYY-MM-DD: the first day OpenAI no longer serves it */
  shutdown?: string;
  /** the live model that replaces it (following a chain of replacements to its end) */
  replacement?: string;
}

/** What to do with a model that has been retired: fail (the default), or send its replacement. */
export type RetiredPolicy = "fail" | "replace";

const DAY_MS = 24 * 60 * 60 * 1000;

function dayStart(date: string): number {
  return Date.parse(`${date}T00:00:00Z`);
}

/** The lifecycle of a model on OpenAI at `now`; undefined for models the table does not know. */
export function modelLife(model: string, now: Date): ModelLife | undefined {
  const entry = modelEntry(model);
  if (!entry) return undefined;
  if (!entry.shutdown) return { state: "active" };
  const state: LifeState = now.getTime() >= dayStart(entry.shutdown) ? "retired" : "retiring";
  return { state, shutdown: entry.shutdown, replacement: liveReplacement(model, now) };
}

/** Follows replacements until a model that is not retired at `now` (a replacement may itself retire). */
export function liveReplacement(model: string, now: Date): string | undefined {
  const seen = new Set<string>();
  let current = modelEntry(model)?.replacement;
  while (current && !seen.has(current)) {
    seen.add(current);
    const entry = MODELS[current];
    if (!entry?.shutdown || now.getTime() < dayStart(entry.shutdown)) return current;
    current = entry.replacement;
  }
  return undefined;
}

/** Whole days from `now` until the shutdown date (0 on the day itself). */
export function daysUntil(date: string, now: Date): number {
  return Math.ceil((dayStart(date) - now.getTime()) / DAY_MS);
}

/** The base URL is OpenAI's own API, where the table's shutdown dates hold. */
export function isOpenAiHost(baseUrl: string, apiType?: string): boolean {
  if (apiType === "azure") return false;
  try {
    const host = new URL(baseUrl.trim()).hostname.toLowerCase();
    return host === "api.openai.com" || host.endsWith(".api.openai.com");
  } catch {
    return false;
  }
}

/**
 * What to do first, then why, so that a shortened display keeps the useful part:
 * "use gpt-image-2.5-flare: gpt-image-1 was shut down by OpenAI on 2026-10-23";
 * "choose another model: …" when no live model replaces it.
 */
export function retiredText(model: string, life: ModelLife): string {
  const todo = life.replacement ? `use ${life.replacement}` : "choose another model";
  return `${todo}: ${shutDownText(model, life)}`;
}

/** "gpt-image-1 was shut down by OpenAI on 2026-10-23" */
function shutDownText(model: string, life: ModelLife): string {
  return `${model} was shut down by OpenAI on ${life.shutdown}`;
}

/** "move to gpt-image-2.6-sunburst: gpt-image-1.5 will be shut down by OpenAI on 2026-12-16 (in 15 days)" */
export function retiringText(model: string, life: ModelLife, now: Date): string {
  const days = life.shutdown ? daysUntil(life.shutdown, now) : 0;
  const move = life.replacement ? `move to ${life.replacement}: ` : "";
  return `${move}${model} will be shut down by OpenAI on ${life.shutdown} (in ${days} day${days === 1 ? "" : "s"})`;
}

const POLICY_HINT = ` (or set "When a model is retired" on the config node to "use its replacement")`;

/**
 * The error of a retired model, refused before sending or reported by the API: "use gpt-image-2.5-flare:
 * gpt-image-1 was shut down by OpenAI on 2026-10-23 (or set …); the API said: …".
 */
export function retiredError(model: string, life: ModelLife, details: ErrorDetails = {}, apiSaid?: string): ImagesApiError {
  const said = apiSaid ? `; the API said: ${apiSaid}` : "";
  return new ImagesApiError("model_retired", `${retiredText(model, life)}${life.replacement ? POLICY_HINT : ""}${said}`, {
    ...details,
    parameter: "model",
    retryable: false,
  });
}

/** An API answer that says the model does not exist (any more): 404 model_not_found, "deprecated", "does not exist". */
export function saysModelGone(err: ImagesApiError): boolean {
  const c = err.cause;
  if (c.statusCode !== 404 && c.statusCode !== 400 && c.statusCode !== 410) return false;
  if (c.apiCode === "model_not_found" || c.apiCode === "model_deprecated") return true;
  // the start of the message is enough, and keeps the pattern's backtracking bounded
  return /\bmodel\b.{0,300}?\b(does not exist|deprecated|decommissioned|retired|shut ?down|no longer (available|supported|offered))/i.test(
    err.message.slice(0, 2000),
  );
}

/**
 * The API said the model is gone and the table knows it as retired at `now`: the model_retired error
 * (with the answer's details); undefined for every other error. Azure's deployment names are the user's.
 */
export function retiredAnswer(
  err: unknown,
  model: string,
  now: Date,
  azure: boolean,
): { error: ImagesApiError; life: ModelLife } | undefined {
  if (azure || !isImagesApiError(err)) return undefined;
  const life = modelLife(model, now);
  if (life?.state !== "retired" || !saysModelGone(err)) return undefined;
  const said = err.cause.apiMessage ?? err.message;
  return { error: retiredError(model, life, err.cause, said), life };
}

/** Where a node's requests go, as far as lifecycles are concerned. */
export interface LifecycleTarget {
  openAiHost?: boolean;
  azure?: boolean;
  retiredPolicy?: RetiredPolicy;
}

/**
 * What deploying a node with `model` says when OpenAI has retired it or will: one warning (model, date,
 * replacement, and what messages will do) and the status to show. Undefined for live and unknown models,
 * and on Azure, whose deployment names are the user's.
 */
export function deployNotice(
  model: string,
  target: LifecycleTarget,
  now: Date,
  t: Translate,
): { warning: string; status: NodeStatus } | undefined {
  const life = target.azure ? undefined : modelLife(model, now);
  if (!life || life.state === "active") return undefined;
  // the status leads with what to do, and is short: the warning has the rest
  if (life.state === "retiring") {
    const text = life.replacement
      ? t("status.retiring", { date: life.shutdown, replacement: life.replacement })
      : t("status.retiringNoReplacement", { date: life.shutdown });
    return { warning: retiringText(model, life, now), status: { fill: "yellow", shape: "ring", text } };
  }
  // the replacement is sent before asking only on OpenAI's host; a gateway is asked first
  const replacing = target.openAiHost === true && target.retiredPolicy === "replace" && life.replacement !== undefined;
  const what = !target.openAiHost
    ? t("warn.retiredGateway")
    : replacing
      ? t("warn.retiredReplaced", { replacement: life.replacement })
      : t("warn.retiredRefused");
  return {
    // replacing: there is nothing to do, the warning says what happens
    warning: `${replacing ? shutDownText(model, life) : retiredText(model, life)}. ${what}`,
    status: replacing
      ? { fill: "yellow", shape: "ring", text: t("status.retiredReplaced", { replacement: life.replacement }) }
      : {
          fill: target.openAiHost ? "red" : "yellow",
          shape: "ring",
          text: life.replacement
            ? t("status.retired", { replacement: life.replacement })
            : t("status.retiredNoReplacement", { date: life.shutdown }),
        },
  };
}
