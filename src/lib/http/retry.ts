/**
 * The official SDK's retry policy: an `x-should-retry` header decides when present; otherwise
 * 408, 409, 429 and 5xx are retried (connection errors and timeouts too, decided by the caller).
 * The wait honours `retry-after-ms` / `retry-after` up to 60 s, else exponential backoff with jitter.
 * `retryLoop` is the one loop every API request goes through.
 */
import type { ImagesApiError } from "../errors";

export type Headers = Record<string, string | string[] | undefined>;

/** One header's value (the first, when it came several times). */
export function headerValue(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

const header = headerValue;

export function shouldRetryStatus(status: number, headers: Headers): boolean {
  const explicit = header(headers, "x-should-retry");
  if (explicit === "true") return true;
  if (explicit === "false") return false;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

const MAX_RETRY_AFTER_MS = 60_000;

/** The server's wish in milliseconds, when it gave a usable one. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const ms = Number.parseFloat(header(headers, "retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0 && ms <= MAX_RETRY_AFTER_MS) return ms;
  const after = header(headers, "retry-after");
  if (after === undefined) return undefined;
  const seconds = Number.parseFloat(after);
  let wait = Number.isFinite(seconds) && /^\s*[\d.]+\s*$/.test(after) ? seconds * 1000 : Date.parse(after) - now;
  if (!Number.isFinite(wait)) return undefined;
  if (wait < 0) wait = 0;
  return wait <= MAX_RETRY_AFTER_MS ? wait : undefined;
}

/** Backoff before retry number `retriesSoFar + 1`: 0.5 s, 1 s, 2 s … 8 s, minus up to 25 % jitter. */
export function backoffMs(retriesSoFar: number, random: () => number = Math.random): number {
  const seconds = Math.min(0.5 * 2 ** retriesSoFar, 8);
  return seconds * (1 - random() * 0.25) * 1000;
}

export function retryDelayMs(headers: Headers, retriesSoFar: number): number {
  return retryAfterMs(headers) ?? backoffMs(retriesSoFar);
}

/** setTimeout as a promise that an AbortSignal cancels (rejecting with the signal's reason). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** What one attempt came to: a value, or a coded error and whether another attempt may help. */
export type Attempted<T> =
  | { value: T }
  | {
      error: ImagesApiError;
      retryable: boolean;
      /** the answer's headers (Retry-After) */
      headers?: Headers;
      /** a 429 that the client's rate gate now holds every attempt back for: no wait of its own */
      gated?: boolean;
    };

export interface RetryOptions {
  maxRetries: number;
  signal?: AbortSignal;
  /** before each wait: how long and why ("HTTP 429", "network_error", …) */
  onRetryWait?: (wait: { ms: number; reason: string }) => void;
  /** the error of a wait the signal cancelled, after `attempts` attempts */
  aborted: (attempts: number) => Error;
}

/**
 * Runs `attempt(1)`, `attempt(2)`, … until one gives a value, an error that is not retryable, or the retries are
 * spent; waits between them per the policy above. The error thrown carries `attempts` and `retryable`.
 */
export async function retryLoop<T>(attempt: (n: number) => Promise<Attempted<T>>, o: RetryOptions): Promise<T> {
  for (let n = 1; ; n++) {
    const outcome = await attempt(n);
    if ("value" in outcome) return outcome.value;
    const { error, retryable } = outcome;
    error.cause.attempts = n;
    error.cause.retryable = retryable;
    if (!retryable || n > o.maxRetries || o.signal?.aborted) throw error;
    if (outcome.gated) continue;
    const ms = retryDelayMs(outcome.headers ?? {}, n - 1);
    o.onRetryWait?.({ ms, reason: error.cause.statusCode ? `HTTP ${error.cause.statusCode}` : error.code });
    try {
      await sleep(ms, o.signal);
    } catch {
      throw o.aborted(n);
    }
  }
}
