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
import { measurePeak } from "./lib/peak";
import { report } from "./lib/proc";
import { MB, noisePng, TINY_PNG } from "./lib/payloads";
import { makeVariant, type VariantName } from "./lib/variants";

const [scenario, name, baseUrl, countArg = "16", sizeArg = String(20 * MB)] = process.argv.slice(2);

/** A 20 MiB-class PNG: 1024 px wide noise, as many rows as the size needs. */
function bigPng(bytes: number): Buffer {
  return noisePng(1024, Math.max(1, Math.round(bytes / (1 + 1024 * 3))));
}

async function main() {
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
  const { value: images, extra, baseline, wallMs } = await measurePeak(run);
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
    extra,
    baseline,
  };
}

report(main);
