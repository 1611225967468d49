/**
 * 2. and 4. Peak extra memory of ONE request, in a fresh process per client (so that peaks never
 * mix), started with --expose-gc:
 *
 *   answer: one generate answer with n = 10 images of ≈ 3 MB as b64_json (≈ 42 MB of JSON);
 *   edit:   one edit upload of 16 images of 20 MiB each (320 MiB) to the upload sink.
 *
 * Before the measured request: the client is warmed up with one small request of the same kind
 * (modules loaded, JIT, connection open), the inputs are built, gc() runs twice, and the baseline is
 * taken. During the request, memory is sampled every 5 ms on the main thread (heapUsed, external,
 * arrayBuffers, rss) and, from a worker thread, RSS (process-wide) every 5 ms, which keeps sampling
 * while the main thread is busy in one long synchronous step (JSON.parse of 42 MB …). One more
 * sample is taken right after the request, with the result still referenced (the decoded images
 * are part of what the request costs). Peaks minus baseline are reported.
 *
 *   node --import tsx --expose-gc bench/memory.ts <answer|edit> <variant> <baseUrl>
 */
import { Worker } from "node:worker_threads";
import { report } from "./lib/proc";
import { MB, noisePng, TINY_PNG } from "./lib/payloads";
import { makeVariant, type VariantName } from "./lib/variants";

const [scenario, name, baseUrl, countArg = "16", sizeArg = String(20 * MB)] = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc;

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

interface Sample {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

function sample(): Sample {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

/** A 20 MiB-class PNG: 1024 px wide noise, as many rows as the size needs. */
function bigPng(bytes: number): Buffer {
  return noisePng(1024, Math.max(1, Math.round(bytes / (1 + 1024 * 3))));
}

async function main() {
  if (!gc) throw new Error("run with --expose-gc");
  const v = makeVariant(name as VariantName, baseUrl, { concurrency: 4, maxRetries: 2 });
  let inputs: Buffer[] = [];
  let run: () => Promise<Buffer[]>;
  if (scenario === "answer") {
    // the server answers the warm-up with one tiny image, the measured request with 10 large ones
    await v.generate();
    run = () => v.generate({ model: "gpt-image-1", prompt: "ten large images", n: 10, size: "1024x1024" });
  } else {
    await v.edit([TINY_PNG]);
    inputs = Array.from({ length: Number(countArg) }, () => bigPng(Number(sizeArg)));
    run = () => v.edit(inputs);
  }
  const inputBytes = inputs.reduce((n, b) => n + b.length, 0);

  const worker = new Worker(RSS_SAMPLER, { eval: true });
  await new Promise<void>((resolve) => {
    worker.once("message", () => resolve());
    worker.postMessage("reset");
  });
  gc();
  await new Promise((r) => setTimeout(r, 50));
  gc();
  const base = sample();
  const peak: Sample & { heapPlusExternal: number } = { ...base, heapPlusExternal: base.heapUsed + base.external };
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
  await new Promise<void>((resolve) => {
    worker.once("message", () => resolve());
    worker.postMessage("reset");
  });
  const t0 = process.hrtime.bigint();
  const images = await run();
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  take();
  clearInterval(timer);
  const workerPeakRss = await new Promise<number>((resolve) => {
    worker.once("message", (m: number) => resolve(m));
    worker.postMessage("stop");
  });
  await worker.terminate();
  const outputBytes = images.reduce((n, b) => n + b.length, 0);
  const pngs = images.every((b) => b.subarray(1, 4).toString("latin1") === "PNG");
  await v.close();
  return {
    scenario,
    variant: name,
    wallMs,
    images: images.length,
    outputBytes,
    inputBytes,
    pngs,
    extra: {
      rss: Math.max(peak.rss, workerPeakRss) - base.rss,
      heapUsed: peak.heapUsed - base.heapUsed,
      external: peak.external - base.external,
      arrayBuffers: peak.arrayBuffers - base.arrayBuffers,
      heapPlusExternal: peak.heapPlusExternal - (base.heapUsed + base.external),
    },
    baseline: base,
  };
}

report(main);
