/** Waiting in tests: on a condition, never on a guess of how long something takes. */

export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves once `check()` is true (polled every 5 ms); rejects naming `what` after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 2000, what = "the condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await pause(5);
  }
}
