/**
 * How long work holds the event loop, for tests of "no stall over X ms": perf_hooks.monitorEventLoopDelay at 1 ms
 * resolution, and how far rss and array-buffer memory rose meanwhile (above where they were after a collection).
 *
 * A stall is deterministic work; a busy machine only adds to it. So a budget is checked on the best of a few runs
 * (the code's own stall), with the worst run allowed three times the budget (a real regression still shows).
 */
import assert from "node:assert/strict";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { gc } from "./gc";

const MB = 1024 * 1024;

export interface Stall<T> {
  result: T;
  /** the event loop's longest delay while the work ran, in ms */
  stallMs: number;
  rssMB: number;
  arrayBuffersMB: number;
}

/**
 * Runs `work` and measures. `stopAt` may be called by the work to end the stall window early (e.g. when a
 * request has left), so that what follows (an in-process test server parsing it) does not count.
 */
export async function measureStall<T>(work: (stopAt: () => void) => Promise<T>): Promise<Stall<T>> {
  gc();
  const start = process.memoryUsage();
  let rss = start.rss;
  let arrayBuffers = start.arrayBuffers;
  const sampler = setInterval(() => {
    const now = process.memoryUsage();
    rss = Math.max(rss, now.rss);
    arrayBuffers = Math.max(arrayBuffers, now.arrayBuffers);
  }, 2);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let stoppedAt: number | undefined;
  delay.enable();
  await sleep(5); // the monitor's first tick only starts its clock
  try {
    // a few ms for the monitor to record what came before the stop
    const result = await work(() => void setTimeout(() => (stoppedAt ??= delay.max), 3));
    await sleep(5); // a stall is recorded at the monitor's next tick
    return {
      result,
      stallMs: (stoppedAt ?? delay.max) / 1e6,
      rssMB: (rss - start.rss) / MB,
      arrayBuffersMB: (arrayBuffers - start.arrayBuffers) / MB,
    };
  } finally {
    delay.disable();
    clearInterval(sampler);
  }
}

/** The best of `stalls` within `limitMs`, none over three times it. */
export function assertStallBudget(stalls: number[], limitMs: number, what: string): void {
  const shown = stalls.map((d) => d.toFixed(1)).join(", ");
  console.log(`      ${what}: event loop held ${shown} ms (budget ${limitMs} ms)`);
  assert.ok(Math.min(...stalls) < limitMs, `${what}: the event loop was held ${shown} ms; the budget is ${limitMs} ms`);
  assert.ok(Math.max(...stalls) < 3 * limitMs, `${what}: one run held the event loop ${shown} ms (over 3 × ${limitMs} ms)`);
}
