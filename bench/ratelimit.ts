/**
 * 3. A rate-limited server: N requests against a server that accepts at most R per sliding second
 * and answers 429 with Retry-After (whole seconds) and retry-after-ms beyond it (the test server's
 * rate-limiting mode, switched on by bench/run.ts). Every client keeps its defaults (maxRetries 2);
 * the N requests are handed over at once, as N messages arriving at a node would be:
 *
 *   ours      ImagesClient.call × N; its queue runs `concurrency` at a time (4 = the config default)
 *   sdk-all   the SDK as documented: N calls at once (it has no queue of its own)
 *   sdk-pool  the SDK behind a pool of `concurrency` workers (what ours does, for a like-for-like view)
 *
 *   node --import tsx bench/ratelimit.ts <ours|sdk-all|sdk-pool> <baseUrl> <requests> <concurrency>
 */
import { report } from "./lib/proc";
import { makeVariant } from "./lib/variants";

const [mode, baseUrl, requestsArg = "200", concurrencyArg = "4"] = process.argv.slice(2);
const N = Number(requestsArg);
const CONCURRENCY = Number(concurrencyArg);

function errorKind(err: unknown): string {
  const e = err as { code?: string; status?: number; name?: string };
  if (typeof e?.status === "number") return `HTTP ${e.status}`;
  return e?.code ?? e?.name ?? "error";
}

async function main() {
  const v = makeVariant(mode === "ours" ? "ours" : "sdk", baseUrl, { concurrency: CONCURRENCY, maxRetries: 2 });
  const failures: Record<string, number> = {};
  let ok = 0;
  const latenciesMs: number[] = [];
  const one = async () => {
    const t = performance.now();
    try {
      const images = await v.generate();
      if (images.length === 1) ok++;
      else failures.wrong = (failures.wrong ?? 0) + 1;
    } catch (err) {
      const kind = errorKind(err);
      failures[kind] = (failures[kind] ?? 0) + 1;
    }
    latenciesMs.push(performance.now() - t);
  };
  const t0 = performance.now();
  if (mode === "sdk-pool") {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < N) {
          next++;
          await one();
        }
      }),
    );
  } else {
    await Promise.all(Array.from({ length: N }, one));
  }
  const wallMs = performance.now() - t0;
  await v.close();
  return {
    mode,
    requests: N,
    concurrency: mode === "sdk-all" ? N : CONCURRENCY,
    ok,
    failed: N - ok,
    failures,
    wallMs,
    maxLatencyMs: Math.max(...latenciesMs),
  };
}

report(main);
