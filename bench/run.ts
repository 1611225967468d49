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
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import { delimiter, join } from "node:path";
import type { Batch } from "./cpu";
import { measureInNodeRed, NODERED_SCENARIOS, type NodeRedScenario } from "./nodered-memory";
import { BENCH_CACHE, BUILD_ENV, buildOurs } from "./lib/build";
import { CPU_CONCURRENCY, VARIANTS } from "./lib/names";
import { BENCH_DIR, runChild, ServerProcess } from "./lib/proc";
import { MB } from "./lib/payloads";
import { median } from "./lib/stats";

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
const DOC = join(ROOT, "docs", "performance.md");
const START = "<!-- performance:start -->";
const END = "<!-- performance:end -->";

/** sizes of the run (the full run; --quick for a smoke run) */
const CFG = {
  // V8 needs about 5,000 requests before any client reaches its steady state (bench/README.md)
  cpu: { passes: 3, rounds: QUICK ? 4 : 10, perBatch: QUICK ? 50 : 200, warmup: QUICK ? 300 : 10000 },
  rate: { requests: QUICK ? 40 : 200, perSecond: 20 },
  edit: { count: 16, bytes: QUICK ? 2 * MB : 20 * MB },
  /** fresh processes per client for each memory figure (the median is reported) */
  memoryRuns: QUICK ? 1 : 5,
  nodered: { messages: QUICK ? 100 : 4000, rounds: QUICK ? 5 : 80, warmup: QUICK ? 20 : 3000 },
  /** a batch output file: 100 answers (every fourth with two images) of noise PNGs this wide */
  batch: { lines: 100, width: QUICK ? 256 : 1024 },
};

const TARGET = {
  cpuVsSdk: 1.0,
  cpuVsRaw: 1.3,
  answerMemory: 2,
  rateWall: 1.15,
  editMemory: 0.1,
  batchLineMemory: 2,
  batchFileGrowth: 1.25,
  nodeRedMemory: 1.5,
  nodeOverheadUs: 200,
};

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

const LOAD_RUNS = 5;

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

// ---------------------------------------------------------------------------------- report

const fmt = {
  us: (x: number) => (Number.isFinite(x) ? `${Math.round(x)} µs` : "–"),
  ms: (x: number) => (Number.isFinite(x) ? `${x >= 100 ? Math.round(x) : x.toFixed(1)} ms` : "–"),
  s: (x: number) => (Number.isFinite(x) ? `${(x / 1000).toFixed(2)} s` : "–"),
  mb: (x: number) => (Number.isFinite(x) ? `${(x / MB).toFixed(1)} MiB` : "–"),
  x: (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : "–"),
};

function table(head: string[], rows: string[][]): string[] {
  return [
    `| ${head.join(" | ")} |`,
    `|${head.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ];
}

interface Target {
  text: string;
  value: string;
  met: boolean;
}

/** The larger of RSS and heapUsed + external, in image bytes (of the medians, or of the worst run). */
const peakRatio = (extra: Json, imageBytes: number) => Math.max(extra.rss, extra.heapPlusExternal) / imageBytes;

/**
 * Sections 2 and 4: the heading, per client the medians of RSS and heapUsed + external with the worst run's ratio
 * and the time, then why; and the target for ours.
 */
function memorySection(
  heading: string,
  variants: Json,
  imageBytes: number,
  names: Record<(typeof VARIANTS)[number], string>,
  target: { text: string; limit: number },
  why: string[],
  memoryRuns: number,
): { lines: string[]; target: Target } {
  const rows = VARIANTS.map((v) => {
    const r = variants[v];
    if (r.error) return [names[v], `failed: ${r.error}`, "", "", "", "", ""];
    const { rss, heapPlusExternal } = r.extra;
    return [
      names[v],
      fmt.mb(rss),
      fmt.x(rss / imageBytes),
      fmt.mb(heapPlusExternal),
      fmt.x(heapPlusExternal / imageBytes),
      fmt.x(peakRatio(r.extraWorst, imageBytes)),
      fmt.ms(r.wallMs),
    ];
  });
  const o = variants.ours;
  const median = o.error ? NaN : peakRatio(o.extra, imageBytes);
  return {
    lines: [
      `${heading}; medians of ${memoryRuns} fresh processes per client, the worst run beside them`,
      "",
      ...table(["client", "RSS", "× images", "heapUsed + external", "× images", "worst run", "time"], rows),
      "",
      ...why,
      "",
    ],
    target: {
      text: target.text,
      value: o.error ? `failed (${o.error})` : `${fmt.x(median)} (worst run ${fmt.x(peakRatio(o.extraWorst, imageBytes))})`,
      met: !o.error && median <= target.limit,
    },
  };
}

function mark(t: Target): string {
  return t.met ? "✅ met" : "❌ missed";
}

function buildReport(results: Json): { lines: string[]; targets: Target[] } {
  const m = results.machine;
  // the sizes of the run reported on (not this process's flags: --from-results reads a saved run)
  const cfg = results.config as typeof CFG;
  const lines: string[] = [];
  const targets: Target[] = [];
  lines.push(
    `Measured by \`npm run bench\` on ${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, ${m.os}, Node.js ${m.node}` +
      ` (openai ${m.openai} on Node's fetch/undici ${m.nodeUndici}; ours and raw on undici ${m.undici}; Node-RED ${m.nodeRed}), ${results.date}.`,
    "",
  );
  const s = results.sections;

  if (s.cpu && !s.cpu.error) {
    lines.push(
      `**1. Client CPU per request** (tiny image answer; ${s.cpu.c1.ours.requests.toLocaleString("en")} requests per client and concurrency, in batches of ${cfg.cpu.perBatch}; the three clients in one process, taking turns batch by batch; CPU = median of the batches, ratios = median of the ratios within each round; the server runs in another process)`,
      "",
    );
    const rows: string[][] = [];
    for (const c of CPU_CONCURRENCY) {
      const r = s.cpu[`c${c}`];
      for (const v of VARIANTS) {
        rows.push([
          `${v === "ours" ? "**ours**" : v === "sdk" ? "openai SDK" : "raw undici"}, concurrency ${c}`,
          fmt.us(r[v].cpuUsPerRequest),
          fmt.x(r[v].vsSdk),
          fmt.x(r[v].vsRaw),
          fmt.us(r[v].wallUsPerRequest),
          fmt.us(r[v].latencyUsMedian),
          String(r[v].failures),
        ]);
      }
      targets.push(
        {
          text: `CPU, concurrency ${c}: ours ≤ ${TARGET.cpuVsSdk}× the SDK`,
          value: fmt.x(r.ours.vsSdk),
          met: r.ours.vsSdk <= TARGET.cpuVsSdk,
        },
        {
          text: `CPU, concurrency ${c}: ours ≤ ${TARGET.cpuVsRaw}× raw undici`,
          value: fmt.x(r.ours.vsRaw),
          met: r.ours.vsRaw <= TARGET.cpuVsRaw,
        },
      );
    }
    lines.push(...table(["client", "CPU / request", "vs SDK", "vs raw", "wall / request", "latency (median)", "failures"], rows), "");
    lines.push(
      `Measured after a warm-up of ${cfg.cpu.warmup.toLocaleString("en")} requests per client at concurrency 16 and ${Math.ceil(cfg.cpu.warmup / 2).toLocaleString("en")} at 1`,
      "(until V8 has optimised its code, a client's first few thousand requests cost several times more: bench/README.md).",
      "What ours does beyond raw undici: the queue, the rate gate, the retry loop, the whole-request timer and the answer checks;",
      "answers up to 64 KiB are parsed whole as raw undici does, larger ones decoded while they stream in (section 2). The",
      "endpoint and headers are worked out once per model, not per request, and each attempt has one cheap abort source (what",
      "each of these saved: bench/README.md). The SDK adds fetch, Web streams and its own layers. On a small, shared VM single",
      "batches swing by ±30 %; ratios of batches run side by side in one process move far less (bench/README.md).",
      "",
    );
  }

  if (s.answer && !s.answer.error) {
    const a = s.answer;
    const section = memorySection(
      `**2. Peak extra memory for one answer** with n = ${a.count} images as b64_json (${fmt.mb(a.imageBytes)} of PNG, ${fmt.mb(a.bodyBytes)} of JSON)`,
      a.variants,
      a.imageBytes,
      { ours: "**ours**", sdk: "openai SDK + Buffer.from", raw: "raw undici + JSON.parse + Buffer.from" },
      {
        text: `one n = 10 answer: ours ≤ ${TARGET.answerMemory}× the decoded image bytes (RSS and heap, median)`,
        limit: TARGET.answerMemory,
      },
      [
        "Ours decodes each b64_json value from the socket's bytes while the body streams in (JsonImagesReader, Base64Decoder)",
        "into one block of 3/4 of the content-length, and frees each socket chunk once decoded (releaseChunk): no JSON text, no",
        "base64 string, no chunk waiting for the collector, so the peak is about the decoded images. The SDK and raw undici hold",
        "the whole JSON text, the parsed base64 strings and the decoded bytes at the same time.",
      ],
      cfg.memoryRuns,
    );
    lines.push(...section.lines);
    targets.push(section.target);
  }

  if (s.ratelimit && !s.ratelimit.error) {
    const r = s.ratelimit;
    lines.push(
      `**3. Rate limit**: ${r.requests} requests at once, a server that accepts ${r.perSecond} per sliding second and answers 429 with Retry-After (+ retry-after-ms, except where the row says whole seconds only) beyond it; every client with maxRetries 2; ideal ${fmt.s(r.idealMs)}`,
      "",
    );
    const rows = r.runs.map((x: Json) =>
      x.error
        ? [x.label, `failed: ${x.error}`, "", "", "", ""]
        : [
            x.mode === "ours" ? `**${x.label}**` : x.label,
            `${x.ok} / ${x.failed}`,
            fmt.s(x.wallMs),
            fmt.x(x.wallMs / r.idealMs),
            String(x.serverRequests),
            String(x.answered429),
          ],
    );
    lines.push(...table(["client", "ok / failed", "wall", "vs ideal", "requests sent", "429s"], rows), "");
    lines.push(
      `Ideal = requests / R. A sliding window lets the first ${r.perSecond} through at once, so a client that never wastes a slot finishes`,
      `in about ${fmt.s(r.idealMs - 1000)}. A 429 names the moment one slot frees; requests that each wait for that moment on their own`,
      "meet it together, all but one lose, and each loss uses up one of the 2 retries (the SDK's failures). Ours has a rate gate per",
      "config node: after a 429 every request of the client waits for the server's time, then they go one at a time, oldest first,",
      "each as soon as the one before had an answer (or after 250 ms: a render takes long), until none is left waiting.",
      "",
    );
    const ours = r.runs.filter((x: Json) => x.mode === "ours");
    for (const x of ours) {
      targets.push({
        text: `rate limit, ${x.label}: 0 failures, wall ≤ ${TARGET.rateWall}× ideal`,
        value: x.error ? `failed (${x.error})` : `${x.failed} failed, ${fmt.x(x.wallMs / r.idealMs)}`,
        met: !x.error && x.failed === 0 && x.wallMs <= TARGET.rateWall * r.idealMs,
      });
    }
  }

  if (s.edit && !s.edit.error) {
    const e = s.edit;
    const imageBytes = e.variants.ours?.inputBytes ?? e.count * e.bytesEach;
    const section = memorySection(
      `**4. Edit upload** of ${e.count} × ${fmt.mb(e.bytesEach)} PNGs (${fmt.mb(imageBytes)}) to a sink that counts and discards the multipart body`,
      e.variants,
      imageBytes,
      {
        ours: "**ours** (parts around the message's own Buffers)",
        sdk: "openai SDK (toFile + FormData)",
        raw: "raw undici, parts streamed as they are",
      },
      { text: `edit upload: ours ≤ ${TARGET.editMemory}× the image bytes (median)`, limit: TARGET.editMemory },
      [
        "Ours sends the multipart body as a list of parts: small header and boundary Buffers around the images the message",
        "already holds, never copied, with the content-length worked out; every retry sends the same parts, so identical bytes.",
        "(Until 2026-12 it built one body Buffer: 1× the images.) The SDK copies each image into a File (toFile) and its",
        "FormData body is read out in further copies. Raw undici streams the parts as they are: the floor.",
      ],
      cfg.memoryRuns,
    );
    lines.push(...section.lines);
    targets.push(section.target);
  }

  if (s.nodered && !s.nodered.error) {
    const n = s.nodered;
    lines.push(
      `**5. Through Node-RED** ${n.nodeRedVersion} (node-red-node-test-helper): the generate node vs our client called directly, ${n.node.messages.toLocaleString("en")} messages one at a time, tiny images`,
      "",
    );
    lines.push(
      ...table(
        ["path", "latency per message (median)", "CPU per message (median)"],
        [
          ["generate node (message in → message out)", fmt.us(n.node.latencyUsMedian), fmt.us(n.node.cpuUsPerMessage)],
          ["ImagesClient.call + readAnswer", fmt.us(n.client.latencyUsMedian), fmt.us(n.client.cpuUsPerMessage)],
          ["**the node's overhead** (median over the rounds of node − client)", fmt.us(n.overhead.latencyUs), fmt.us(n.overhead.cpuUs)],
        ],
      ),
      "",
    );
    const { latencyUs: latency, cpuUs: cpu } = n.overhead;
    targets.push({
      text: `the node's overhead per message through Node-RED: ≤ ${TARGET.nodeOverheadUs} µs (latency and CPU, medians)`,
      value: `${fmt.us(latency)} latency, ${fmt.us(cpu)} CPU`,
      met: latency <= TARGET.nodeOverheadUs && cpu <= TARGET.nodeOverheadUs,
    });
  }

  if (s.batch && !s.batch.error) {
    const b = s.batch;
    const r = b.read;
    const peakOf = (extra: Json) => Math.max(extra.rss, extra.heapPlusExternal);
    // ratios to the largest line of the file read
    const ratio = (extra: Json, file: Json = b) => peakOf(extra) / file.largestLineImageBytes;
    lines.push(
      `**6. Reading a batch output file** of ${b.lines} answers (${fmt.mb(b.bytes)} of JSONL, ${fmt.mb(b.imageBytes)} of PNG; the largest line ${fmt.mb(b.largestLineImageBytes)} of images), streamed from the Files API as batch delivery reads it (readFileLines); each line dropped once its images are counted; medians of ${cfg.memoryRuns} fresh processes`,
      "",
    );
    const row = (label: string, x: Json, file: Json) =>
      !x || x.error
        ? [label, `failed: ${x?.error}`, "", "", "", "", ""]
        : [
            label,
            fmt.mb(x.extra.rss),
            fmt.mb(x.extra.heapPlusExternal),
            `${fmt.x(ratio(x.extra, file))} of ${fmt.mb(file.largestLineImageBytes)}`,
            fmt.x(ratio(x.extraWorst, file)),
            fmt.x(peakOf(x.extra) / file.imageBytes),
            fmt.ms(x.wallMs),
          ];
    const wide = b.wide ?? {};
    lines.push(
      ...table(
        ["read", "RSS", "heapUsed + external", "× largest line", "worst run", "× whole file's images", "time"],
        [
          row(`**what the reader holds**: ${b.lines} answers, a gc() after each line`, b.held, b),
          row(`as it runs: the same file, no gc()`, r, b),
          row(`as it runs: a file of ${b.small.lines} answers (${fmt.mb(b.small.bytes)})`, b.small.read, b.small),
          row(`as it runs: ${wide.lines} answers of ${wide.width}×${wide.width} images (${fmt.mb(wide.bytes)})`, wide.read, wide),
        ],
      ),
      "",
      "With a collection after each line (from a task of its own, once the line is let go) the peak is what the reader",
      "holds: the line being read (an image decoded in pieces and joined: a batch line has no length to size one block",
      "by) and the file chunks in flight. Without one, the rest is the images of lines already delivered, waiting for the",
      "collector: a constant that follows neither the file (the smaller file's row) nor the line (the wider images' row;",
      "bench/README.md).",
      "",
    );
    const h = b.held;
    targets.push({
      text: `batch output file, what the reader holds (gc after each line): ≤ ${TARGET.batchLineMemory}× the images of the largest line (median)`,
      value: h.error ? `failed (${h.error})` : `${fmt.x(ratio(h.extra))} (worst run ${fmt.x(ratio(h.extraWorst))})`,
      met: !h.error && ratio(h.extra) <= TARGET.batchLineMemory,
    });
    const growth = !r.error && !b.small.read.error ? peakOf(r.extra) / peakOf(b.small.read.extra) : NaN;
    targets.push({
      text: `batch output file, as it runs: the peak does not follow the file (${b.lines} answers ≤ ${TARGET.batchFileGrowth}× the peak of ${b.small.lines}, medians)`,
      value: Number.isFinite(growth)
        ? `${fmt.x(growth)} (${fmt.mb(peakOf(r.extra))} against ${fmt.mb(peakOf(b.small.read.extra))})`
        : "failed",
      met: growth <= TARGET.batchFileGrowth,
    });
  }

  if (s.nrmemory && !s.nrmemory.error) {
    const n = s.nrmemory;
    lines.push(
      `**7. Inside Node-RED** ${n.nodeRedVersion}: a real Node-RED process, http in → generate node → function → http response, peak RSS over the baseline (the kernel's high-water mark, reset after two collections); the large answer twice per process (after a tiny warm-up): the second is what every answer of a running Node-RED costs, the first also what happens once per process (V8 recompiling undici's parser); medians of ${cfg.memoryRuns} fresh processes, the worst beside them`,
      "",
    );
    const rows: string[][] = [];
    for (const [key, x] of Object.entries(n.scenarios as Json)) {
      if (x.error) {
        rows.push([x.label ?? key, `failed: ${x.error}`, "", "", "", ""]);
        continue;
      }
      const ratio = x.extra.rss / x.imageBytes;
      const first = `${fmt.mb(x.extra.firstRss)} = ${fmt.x(x.extra.firstRss / x.imageBytes)} (worst ${fmt.x(x.extraWorst.firstRss / x.imageBytes)})`;
      rows.push([
        x.label,
        `${fmt.mb(x.imageBytes)} (${fmt.mb(x.bodyBytes)} of JSON)`,
        fmt.mb(x.extra.rss),
        fmt.x(ratio),
        fmt.x(x.extraWorst.rss / x.imageBytes),
        first,
      ]);
      targets.push({
        text: `Node-RED, ${x.label}: ≤ ${TARGET.nodeRedMemory}× the decoded image bytes (peak RSS of a running Node-RED's answer, median)`,
        value: `${fmt.x(ratio)} (worst run ${fmt.x(x.extraWorst.rss / x.imageBytes)}; the process's first: ${fmt.x(x.extra.firstRss / x.imageBytes)})`,
        met: ratio <= TARGET.nodeRedMemory,
      });
    }
    lines.push(...table(["answer", "images", "peak extra RSS", "× images", "worst run", "the process's first large answer"], rows), "");
  }

  if (s.load && !s.load.error) {
    const l = s.load;
    lines.push(`**8. Loading**: \`require\` in a fresh Node process (medians of ${LOAD_RUNS}), RSS and heap read right after it`, "");
    lines.push(
      ...table(
        ["what", "modules loaded", "time", "RSS", "heapUsed + external"],
        [
          [
            "**the three node files** (dist/nodes, with dist/lib and undici)",
            String(l.ours.modules),
            fmt.ms(l.ours.ms),
            fmt.mb(l.ours.rss),
            fmt.mb(l.ours.heapPlusExternal),
          ],
          [
            `openai SDK ${m.openai} (\`require("openai")\`)`,
            String(l.sdk.modules),
            fmt.ms(l.sdk.ms),
            fmt.mb(l.sdk.rss),
            fmt.mb(l.sdk.heapPlusExternal),
          ],
        ],
      ),
      "",
    );
  }

  for (const [name, v] of Object.entries(s as Json)) if (v?.error) lines.push(`Section ${name} failed: ${v.error}`, "");
  if (targets.length) {
    lines.push(
      "**Targets**",
      "",
      ...table(
        ["target", "measured", ""],
        targets.map((t) => [t.text, t.value, mark(t)]),
      ),
      "",
    );
  }
  return { lines, targets };
}

const HOW_MEASURED = [
  "How it is measured (bench/README.md has the details): the servers run in a process of their own, so CPU and",
  "memory figures are the clients' alone. For memory every client runs in a fresh process of its own; for CPU the three",
  "clients run in one process, taking turns batch by batch, so that each ratio compares batches run side by side (on a",
  "shared VM single batches swing by ±30 %). CPU is `process.cpuUsage()` (user + system, garbage collection included).",
  "Memory is sampled every 5 ms (RSS also from a worker thread, so it is sampled while the main thread is busy) and once",
  "more right after the request, with the images still held;",
  "the baseline is taken after a warm-up request and `gc()`. The SDK is `new OpenAI({ baseURL, apiKey, maxRetries })`",
  "with `images.generate` / `images.edit` + `toFile(buf, name, { type })`; raw undici is the floor: the same JSON,",
  "`request()`, `body.text()`, `JSON.parse`, `Buffer.from` (no retries, no checks). For section 5 the test helper's",
  "sinon spies on Node-RED's nodes are taken off again after the flow is loaded (Node-RED has none).",
];

/** Replaces the text between the markers of docs/performance.md (appends it, markers and all, when they are missing). */
function updateDocs(lines: string[]): void {
  const doc = existsSync(DOC) ? readFileSync(DOC, "utf8") : "# Performance\n";
  const section = [START, ...lines, ...HOW_MEASURED, END].join("\n");
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  const next = start >= 0 && end > start ? doc.slice(0, start) + section + doc.slice(end + END.length) : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(DOC, next);
  log("docs/performance.md: figures updated");
}

async function main(): Promise<void> {
  if (FROM_RESULTS) {
    const saved = JSON.parse(readFileSync(join(BENCH_DIR, "results.json"), "utf8")) as Json;
    const { lines } = buildReport(saved);
    process.stdout.write(`\n${lines.join("\n")}\n`);
    if (UPDATE_DOCS) updateDocs(lines);
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
    else updateDocs(lines);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
