/**
 * The official SDK's retry policy: an `x-should-retry` header decides when present; otherwise
 * 408, 409, 429 and 5xx are retried (connection errors and timeouts too, decided by the caller).
 * The wait honours `retry-after-ms` / `retry-after` up to 60 s, else exponential backoff with jitter.
 */

export type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

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
