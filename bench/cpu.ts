/**
 * 1. Client CPU per request: tiny image answers, at concurrency 1 and at 16, for ONE client per
 * process (the clients never share a heap, a JIT or a garbage collector). The server runs in
 * another process, so process.cpuUsage() here is the client's alone (user + system, the garbage
 * collector's threads included: garbage is part of a client's cost).
 *
 * After a warm-up, the process runs `rounds` rounds of one batch at concurrency 1 and one at 16;
 * bench/run.ts runs the clients' processes in turns (ours, sdk, raw, ours, …) and pools the
 * batches, so that drift on the machine hits all clients alike. Each batch gives CPU µs per
 * request and wall µs per request; every request its latency.
 *
 *   node --import tsx --expose-gc bench/cpu.ts <variant> <baseUrl> <requestsPerBatch> <rounds> <warmup>
 */
import { report } from "./lib/proc";
import { TINY_PNG } from "./lib/payloads";
import { makeVariant, type Variant, type VariantName } from "./lib/variants";

const [name, baseUrl, perBatchArg = "200", roundsArg = "5", warmupArg = "300"] = process.argv.slice(2);
const PER_BATCH = Number(perBatchArg);
const ROUNDS = Number(roundsArg);
const WARMUP = Number(warmupArg);
export const CONCURRENCY = [1, 16] as const;

export interface Batch {
  concurrency: number;
  requests: number;
  cpuUs: number;
  wallUs: number;
  latenciesUs: number[];
  failures: number;
}

async function batch(v: Variant, concurrency: number, count: number): Promise<Batch> {
  const latenciesUs: number[] = [];
  let failures = 0;
  let started = 0;
  const worker = async () => {
    while (started < count) {
      started++;
      const t0 = process.hrtime.bigint();
      try {
        const images = await v.generate();
        if (images.length !== 1 || !images[0].equals(TINY_PNG)) failures++;
      } catch {
        failures++;
      }
      latenciesUs.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
  };
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { concurrency, requests: count, cpuUs: cpu.user + cpu.system, wallUs, latenciesUs, failures };
}

async function main(): Promise<{ variant: string; batches: Batch[] }> {
  // our client's concurrency option must let 16 requests run at once
  const v = makeVariant(name as VariantName, baseUrl, { concurrency: 16, maxRetries: 2 });
  // until the JIT has settled: CPU per request falls 3–10× over the first ~5,000 requests
  await batch(v, 16, WARMUP);
  await batch(v, 1, Math.ceil(WARMUP / 2));
  const batches: Batch[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of round % 2 ? [...CONCURRENCY].reverse() : CONCURRENCY) batches.push(await batch(v, c, PER_BATCH));
  }
  await v.close();
  return { variant: name, batches };
}

report(main);
