/**
 * 1. Client CPU per request: tiny image answers, at concurrency 1 and at 16, for the three clients
 * IN ONE PROCESS, taking turns batch by batch: each ratio compares batches run seconds apart in
 * the same process, so whatever the machine does meanwhile (on a shared VM, bursts of ±30 % that
 * last a fraction of a second) hits the client and its baseline alike. The server runs in another
 * process, so process.cpuUsage() here is the clients' alone (user + system, the garbage collector's
 * threads included: garbage is part of a client's cost). A scavenge before every batch: each batch
 * starts on a clean young generation and pays for its own garbage, not for the SDK's before it.
 *
 * After a warm-up of every client, `rounds` rounds: in each, every client runs one batch at
 * concurrency 1 and one at 16, the clients' order rotating from round to round.
 *
 *   node --import tsx --expose-gc bench/cpu.ts <baseUrl> <requestsPerBatch> <rounds> <warmup>
 */
import { report } from "./lib/proc";
import { TINY_PNG } from "./lib/payloads";
import { CPU_CONCURRENCY, VARIANTS, type VariantName } from "./lib/names";
import { makeVariant, type Variant } from "./lib/variants";

const [baseUrl, perBatchArg = "200", roundsArg = "10", warmupArg = "10000"] = process.argv.slice(2);
const PER_BATCH = Number(perBatchArg);
const ROUNDS = Number(roundsArg);
const WARMUP = Number(warmupArg);

export interface Batch {
  variant: VariantName;
  round: number;
  concurrency: number;
  requests: number;
  cpuUs: number;
  wallUs: number;
  latenciesUs: number[];
  failures: number;
}

const gc =
  (globalThis as { gc?: (o?: unknown) => void }).gc ??
  (() => {
    throw new Error("run with --expose-gc (bench/main.mjs does)");
  });

async function batch(v: Variant, concurrency: number, count: number, round: number): Promise<Batch> {
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
  // a scavenge only, not a full gc(): that shrinks the young generation, and every client then ran ~3× slower
  // (measured) while it grew back
  gc({ type: "minor" });
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { variant: v.name, round, concurrency, requests: count, cpuUs: cpu.user + cpu.system, wallUs, latenciesUs, failures };
}

async function main(): Promise<{ batches: Batch[] }> {
  // our client's concurrency option must let 16 requests run at once
  const clients = VARIANTS.map((name) => makeVariant(name, baseUrl, { concurrency: 16, maxRetries: 2 }));
  // until the JIT has settled: CPU per request falls 3–10× over a client's first ~5,000 requests
  for (const v of clients) {
    await batch(v, 16, WARMUP, -1);
    await batch(v, 1, Math.ceil(WARMUP / 2), -1);
  }
  const batches: Batch[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = [...clients.slice(round % clients.length), ...clients.slice(0, round % clients.length)];
    for (const c of round % 2 ? [...CPU_CONCURRENCY].reverse() : CPU_CONCURRENCY) {
      for (const v of order) batches.push(await batch(v, c, PER_BATCH, round));
    }
  }
  await Promise.all(clients.map((v) => v.close()));
  return { batches };
}

report(main);
