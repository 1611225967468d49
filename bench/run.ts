/**
 * `npm run bench` (through bench/main.mjs, which picks the Node binary): our client side by side
 * with the official `openai` SDK and raw `undici.request`, against the local Images API test server
 * on 127.0.0.1 (in a process of its own). Prints a table of medians and ratios, writes
 * bench/results.json, and with --update-docs the figures in docs/performance.md (between its markers).
 *
 *   node --import tsx --expose-gc bench/run.ts [--update-docs] [--quick] [--only=cpu,answer,ratelimit,edit,nodered,batch,nrmemory,load]
 *
 * Each measurement runs in a fresh child process (see the files named below); this process only
 * orchestrates. The memory measurements run one client per process (memory is process-wide); the
 * CPU one runs the three clients side by side in one process, so each ratio has its baseline next to it.
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import { delimiter, join } from "node:path";
import type { Batch } from "./cpu";
import { measureInNodeRed, NODERED_SCENARIOS, type NodeRedScenario } from "./nodered-memory";
import { BENCH_CACHE, BUILD_ENV, buildOurs } from "./lib/build";
import { CPU_CONCURRENCY, VARIANTS } from "./lib/names";
import { BENCH_DIR, runChild, ServerProcess } from "./lib/proc";
import { median } from "./lib/stats";
import { buildReport, LOAD_RUNS, runSizes, updateDocs } from "./report";

const args = process.argv.slice(2);
const QUICK = args.includes("--quick");
/** write the figures into docs/performance.md (--update-readme: its old name, from when they were in the README) */
const UPDATE_DOCS = args.includes("--update-docs") || args.includes("--update-readme");
/** rebuild the table (and with --update-docs the docs page) from bench/results.json, measuring nothing */
const FROM_RESULTS = args.includes("--from-results");
const ONLY = args
  .find((a) => a.startsWith("--only="))
  ?.slice(7)
  .split(",");
const ROOT = join(BENCH_DIR, "..");

const CFG = runSizes(QUICK);

type Json = Record<string, any>;

function log(text: string): void {
  process.stderr.write(`[bench] ${text}\n`);
}

function selected(section: string): boolean {
  return !ONLY || ONLY.includes(section);
}

/** The version of a package in the repo's node_modules or, like the SDK, in a NODE_PATH directory. */
function version(pkg: string): string {
  for (const dir of [join(ROOT, "node_modules"), ...(process.env.NODE_PATH ?? "").split(delimiter).filter(Boolean)]) {
    try {
      return JSON.parse(readFileSync(join(dir, pkg, "package.json"), "utf8")).version;
    } catch {
      /* not there */
    }
  }
  return "?";
}

function machine(): Json {
  const cpus = os.cpus();
  let osName = `${os.type()} ${os.release()}`;
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1];
    if (pretty) osName = `${pretty} (${os.type()} ${os.release()})`;
  } catch {
    /* not Linux */
  }
  return {
    cpu: cpus[0]?.model?.trim() ?? "unknown",
    cores: os.availableParallelism?.() ?? cpus.length,
    ramGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: osName,
    arch: process.arch,
    node: process.version,
    nodeUndici: process.versions.undici,
    undici: version("undici"),
    openai: version("openai"),
    nodeRed: version("node-red"),
    ours: "src/ bundled by esbuild as tsup bundles dist/ (bench/lib/build.ts)",
  };
}

// ---------------------------------------------------------------------------------- sections

async function cpuSection(server: ServerProcess): Promise<Json> {
  const { passes, rounds, perBatch, warmup } = CFG.cpu;
  const batches: Batch[] = [];
  // all three clients in one fresh process per pass, taking turns batch by batch (bench/cpu.ts)
  for (let pass = 0; pass < passes; pass++) {
    log(`cpu: pass ${pass + 1}/${passes} (ours, sdk and raw taking turns)`);
    const r = await runChild<{ batches: Batch[] }>("cpu.ts", [server.baseUrl, String(perBatch), String(rounds), String(warmup)]);
    batches.push(...r.batches.map((b) => ({ ...b, round: pass * rounds + b.round })));
  }
  const out: Json = {};
  for (const c of CPU_CONCURRENCY) {
    const of = (v: string) => batches.filter((x) => x.concurrency === c && x.variant === v);
    const perRequest = (b: Batch) => b.cpuUs / b.requests;
    // the batches of one round ran seconds apart in one process: the ratio within each round, then the median
    const paired = (v: string, to: string) => {
      const base = new Map(of(to).map((b) => [b.round, perRequest(b)]));
      return median(of(v).map((b) => perRequest(b) / base.get(b.round)!));
    };
    out[`c${c}`] = Object.fromEntries(
      VARIANTS.map((v) => {
        const b = of(v);
        const latencies = b.flatMap((x) => x.latenciesUs);
        return [
          v,
          {
            requests: latencies.length,
            failures: b.reduce((n, x) => n + x.failures, 0),
            cpuUsPerRequest: median(b.map(perRequest)),
            vsSdk: paired(v, "sdk"),
            vsRaw: paired(v, "raw"),
            wallUsPerRequest: median(b.map((x) => x.wallUs / x.requests)),
            latencyUsMedian: median(latencies),
          },
        ];
      }),
    );
  }
  return out;
}

async function answerSection(server: ServerProcess): Promise<Json> {
  const info = await server.cmd<{ imageBytes: number; bodyBytes: number; count: number }>("largeInfo");
  const out: Json = { ...info, variants: {} };
  for (const v of VARIANTS) {
    log(`answer memory: ${v}`);
    await server.cmd("reset");
    out.variants[v] = await repeatMemory(async () => {
      // the warm-up request gets one tiny image, the measured one the n = 10 answer
      await server.cmd("script", { steps: ["tiny", "large"] });
      return runChild<Json>("memory.ts", ["answer", v, server.baseUrl]);
    });
  }
  await server.cmd("reset");
  return out;
}

async function rateSection(server: ServerProcess): Promise<Json> {
  const { requests, perSecond } = CFG.rate;
  const runs: Array<{ label: string; mode: string; concurrency: number; retryAfterMs: boolean }> = [
    { label: "ours (concurrency 4, the default)", mode: "ours", concurrency: 4, retryAfterMs: true },
    { label: "ours (concurrency 16)", mode: "ours", concurrency: 16, retryAfterMs: true },
    { label: "ours, Retry-After in whole seconds only", mode: "ours", concurrency: 4, retryAfterMs: false },
    { label: "SDK, all at once (no queue of its own)", mode: "sdk-all", concurrency: requests, retryAfterMs: true },
    { label: "SDK behind a pool of 4", mode: "sdk-pool", concurrency: 4, retryAfterMs: true },
  ];
  const out: Json = { requests, perSecond, idealMs: (requests / perSecond) * 1000, runs: [] };
  for (const run of runs) {
    log(`rate limit: ${run.label}`);
    await server.cmd("reset");
    await server.cmd("rateLimit", { perSecond, retryAfterMs: run.retryAfterMs });
    const r = await runChild<Json>("ratelimit.ts", [run.mode, server.baseUrl, String(requests), String(run.concurrency)]).catch(
      (err: Error) => ({
        error: lastLine(err),
      }),
    );
    const stats = await server.stats();
    out.runs.push({ ...run, ...r, serverRequests: stats.requests, answered429: stats.rateLimited });
  }
  await server.cmd("reset");
  return out;
}

async function editSection(server: ServerProcess): Promise<Json> {
  const { count, bytes } = CFG.edit;
  const out: Json = { count, bytesEach: bytes, variants: {} };
  for (const v of VARIANTS) {
    log(`edit upload: ${v}`);
    await server.cmd("reset");
    out.variants[v] = await repeatMemory(async () => {
      const r = await runChild<Json>("memory.ts", ["edit", v, server.sinkUrl, String(count), String(bytes)]);
      const uploads = (await server.stats()).uploads;
      // the last upload is the measured one (the one before is the warm-up)
      return { ...r, upload: uploads[uploads.length - 1] };
    });
  }
  return out;
}

/**
 * A memory measurement `CFG.memoryRuns` times, each in a fresh process: one peak depends on when
 * the garbage collector happens to run (single runs of the same code ranged from 1.3× to 2.3× the
 * images), so the median of each figure is reported, and the worst run beside it.
 */
async function repeatMemory(measure: () => Promise<Json>): Promise<Json> {
  const runs: Json[] = [];
  for (let i = 0; i < CFG.memoryRuns; i++) {
    try {
      runs.push(await measure());
    } catch (err) {
      return { error: lastLine(err as Error) };
    }
  }
  const fields = Object.keys(runs[0].extra);
  const pick = (f: (values: number[]) => number) => Object.fromEntries(fields.map((k) => [k, f(runs.map((r) => r.extra[k]))]));
  return {
    ...runs[runs.length - 1],
    runs: runs.length,
    extra: pick(median),
    extraWorst: pick((values) => Math.max(...values)),
    wallMs: median(runs.map((r) => r.wallMs)),
  };
}

async function noderedSection(server: ServerProcess): Promise<Json> {
  const { messages, rounds, warmup } = CFG.nodered;
  log("node-red: generate node vs client");
  await server.cmd("reset");
  return runChild<Json>("nodered.ts", [server.baseUrl, String(messages), String(rounds), String(warmup)]);
}

/** Section 7: peak RSS of a real Node-RED process per scenario, fresh processes (bench/nodered-memory.ts). */
async function noderedMemorySection(server: ServerProcess): Promise<Json> {
  // Node-RED loads the package from dist/, as npm start does
  const { ensureBuilt } = await import("../scripts/dist-state.mjs");
  ensureBuilt(ROOT, (text: string) => log(`node-red memory: ${text}`));
  const out: Json = { nodeRedVersion: version("node-red"), scenarios: {} };
  for (const scenario of Object.keys(NODERED_SCENARIOS) as NodeRedScenario[]) {
    const info = await server.cmd<{ imageBytes: number; bodyBytes: number; count: number }>("largeInfo", { kind: scenario });
    log(`node-red memory: ${NODERED_SCENARIOS[scenario].label}`);
    const runs = await repeatMemory(async () => {
      await server.cmd("reset");
      return (await measureInNodeRed(server.baseUrl, scenario, () =>
        server.cmd("script", { steps: ["tiny", scenario, scenario] }).then(() => undefined),
      )) as unknown as Json;
    });
    out.scenarios[scenario] = { ...info, label: NODERED_SCENARIOS[scenario].label, ...runs };
  }
  await server.cmd("reset");
  return out;
}

/** Section 8: require of the three node files vs the openai SDK, fresh plain processes (bench/load.cjs). */
async function loadSection(): Promise<Json> {
  const { ensureBuilt } = await import("../scripts/dist-state.mjs");
  ensureBuilt(ROOT, (text: string) => log(`load: ${text}`));
  const out: Json = {};
  for (const what of ["ours", "sdk"]) {
    log(`load: ${what}`);
    const runs: Json[] = [];
    // loading is cheap: always 5 runs, --quick too
    for (let i = 0; i < LOAD_RUNS; i++) runs.push(await runChild<Json>("load.cjs", [what, ROOT]));
    out[what] = {
      modules: runs[0].modules,
      exports: runs[0].exports,
      ms: median(runs.map((r) => r.ms)),
      msWorst: Math.max(...runs.map((r) => r.ms)),
      rss: median(runs.map((r) => r.extra.rss)),
      heapPlusExternal: median(runs.map((r) => r.extra.heapPlusExternal)),
    };
  }
  return out;
}

async function batchSection(server: ServerProcess): Promise<Json> {
  const { lines, width } = CFG.batch;
  log(`batch output: writing ${lines} answers`);
  const file = await server.cmd<{ fileId: string; bytes: number; lines: number; imageBytes: number; largestLineImageBytes: number }>(
    "batchOutput",
    { lines, width },
  );
  log("batch output: reading it as batch delivery does");
  const read = await repeatMemory(() => runChild<Json>("batchread.ts", [server.sinkUrl, file.fileId, "plain"]));
  log("batch output: again, with a gc() after each line (what the reader holds)");
  const held = await repeatMemory(() => runChild<Json>("batchread.ts", [server.sinkUrl, file.fileId, "collect"]));
  // a file a quarter the size: the peak must not follow the file
  const small = await server.cmd<Json>("batchOutput", { lines: Math.round(lines / 4), width });
  log(`batch output: a file of ${small.lines} answers`);
  const smallRead = await repeatMemory(() => runChild<Json>("batchread.ts", [server.sinkUrl, small.fileId, "plain"]));
  // as many answers, of images twice as wide (4× the bytes): the collector's share of the peak is a constant
  const wide = await server.cmd<Json>("batchOutput", { lines: small.lines, width: width * 2 });
  log(`batch output: a file of ${wide.lines} answers of ${width * 2}-px images`);
  const wideRead = await repeatMemory(() => runChild<Json>("batchread.ts", [server.sinkUrl, wide.fileId, "plain"]));
  return { ...file, width, read, held, small: { ...small, read: smallRead }, wide: { ...wide, width: width * 2, read: wideRead } };
}

function lastLine(err: Error): string {
  const lines = err.message.split("\n").filter((l) => l.trim() && !/^\s+at /.test(l));
  return lines.find((l) => /Error/.test(l) && !/ended \(/.test(l))?.trim() ?? lines[lines.length - 1] ?? err.message;
}

async function main(): Promise<void> {
  if (FROM_RESULTS) {
    const saved = JSON.parse(readFileSync(join(BENCH_DIR, "results.json"), "utf8")) as Json;
    const { lines } = buildReport(saved);
    process.stdout.write(`\n${lines.join("\n")}\n`);
    if (UPDATE_DOCS) {
      updateDocs(lines);
      log("docs/performance.md: figures updated");
    }
    return;
  }
  const started = Date.now();
  const results: Json = { date: new Date().toISOString().slice(0, 10), machine: machine(), quick: QUICK, config: CFG, sections: {} };
  log(`${results.machine.cpu}, ${results.machine.cores} cores, Node ${results.machine.node}`);
  // our code as users run it: bundled like dist/ (children find it through the environment)
  process.env[BUILD_ENV] = buildOurs();
  const server = await ServerProcess.start();
  try {
    const sections: Array<[string, (s: ServerProcess) => Promise<Json>]> = [
      ["cpu", cpuSection],
      ["answer", answerSection],
      ["ratelimit", rateSection],
      ["edit", editSection],
      ["nodered", noderedSection],
      ["batch", batchSection],
      ["nrmemory", noderedMemorySection],
      ["load", () => loadSection()],
    ];
    for (const [name, run] of sections) {
      if (!selected(name)) continue;
      try {
        results.sections[name] = await run(server);
      } catch (err) {
        results.sections[name] = { error: lastLine(err as Error) };
        log(`${name} failed: ${(err as Error).stack}`);
      }
    }
  } finally {
    await server.close();
  }
  results.seconds = Math.round((Date.now() - started) / 1000);
  const { lines, targets } = buildReport(results);
  results.targets = targets;
  // a --quick or --only run never replaces the full run's results
  const partial = QUICK || ONLY !== undefined;
  const out = join(partial ? BENCH_CACHE : BENCH_DIR, partial ? "results-partial.json" : "results.json");
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\n${lines.join("\n")}\n`);
  log(`wrote ${out.slice(ROOT.length + 1)} (${results.seconds} s)`);
  if (UPDATE_DOCS) {
    if (partial) log("not updating docs/performance.md from a --quick or --only run");
    else {
      updateDocs(lines);
      log("docs/performance.md: figures updated");
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
