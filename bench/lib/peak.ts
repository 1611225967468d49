/**
 * Peak extra memory of one piece of work in this process: gc() twice, a baseline, then samples every 5 ms
 * on the main thread (heapUsed, external, arrayBuffers, rss) and, from a worker thread, RSS (process-wide)
 * every 5 ms, which keeps sampling while the main thread is busy in one long synchronous step. One more
 * sample is taken right after the work, with its result still referenced. Needs --expose-gc.
 */
import { Worker } from "node:worker_threads";

const RSS_SAMPLER = `
const { parentPort } = require("node:worker_threads");
let peak = 0;
const tick = () => { const r = process.memoryUsage.rss(); if (r > peak) peak = r; };
const timer = setInterval(tick, 5);
parentPort.on("message", (m) => {
  if (m === "reset") { peak = 0; tick(); parentPort.postMessage("ready"); }
  if (m === "stop") { tick(); clearInterval(timer); parentPort.postMessage(peak); }
});
`;

export interface Sample {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export interface Extra extends Sample {
  heapPlusExternal: number;
}

function sample(): Sample {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

const ask = (worker: Worker, m: string) =>
  new Promise<unknown>((resolve) => {
    worker.once("message", resolve);
    worker.postMessage(m);
  });

/** Runs `work` and reports the peaks over the baseline taken just before it, with its wall time. */
export async function measurePeak<T>(work: () => Promise<T>): Promise<{ value: T; extra: Extra; baseline: Sample; wallMs: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with --expose-gc");
  const worker = new Worker(RSS_SAMPLER, { eval: true });
  await ask(worker, "reset");
  gc();
  await new Promise((r) => setTimeout(r, 50));
  gc();
  const base = sample();
  const peak: Extra = { ...base, heapPlusExternal: base.heapUsed + base.external };
  const take = () => {
    const s = sample();
    peak.rss = Math.max(peak.rss, s.rss);
    peak.heapUsed = Math.max(peak.heapUsed, s.heapUsed);
    peak.external = Math.max(peak.external, s.external);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, s.arrayBuffers);
    peak.heapPlusExternal = Math.max(peak.heapPlusExternal, s.heapUsed + s.external);
  };
  const timer = setInterval(take, 5);
  // rss from the worker starts over at the baseline
  await ask(worker, "reset");
  const t0 = process.hrtime.bigint();
  const value = await work();
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  take();
  clearInterval(timer);
  const workerPeakRss = (await ask(worker, "stop")) as number;
  await worker.terminate();
  return {
    value,
    wallMs,
    baseline: base,
    extra: {
      rss: Math.max(peak.rss, workerPeakRss) - base.rss,
      heapUsed: peak.heapUsed - base.heapUsed,
      external: peak.external - base.external,
      arrayBuffers: peak.arrayBuffers - base.arrayBuffers,
      heapPlusExternal: peak.heapPlusExternal - (base.heapUsed + base.external),
    },
  };
}
