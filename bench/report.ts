/**
 * The report of a benchmark run (bench/run.ts): the sizes of a run, the targets, and the Markdown tables of each
 * section with each target met or missed, as printed and written into docs/performance.md (between its markers).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CPU_CONCURRENCY, VARIANTS } from "./lib/names";
import { MB } from "./lib/payloads";
import { BENCH_DIR } from "./lib/proc";

type Json = Record<string, any>;

const DOC = join(BENCH_DIR, "..", "docs", "performance.md");
const START = "<!-- performance:start -->";
const END = "<!-- performance:end -->";

/** The sizes of a run: the full run, or a smoke run (--quick). */
export function runSizes(QUICK: boolean) {
  return {
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
}

export type Config = ReturnType<typeof runSizes>;

/** fresh processes per figure of the loading section */
export const LOAD_RUNS = 5;

/** What each figure should be (docs/performance.md reports each as met or missed). */
export const TARGET = {
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

/** Section cpu: its lines and targets. */
function cpuReport(s: Json, cfg: Config, lines: string[], targets: Target[]): void {
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

/** Section answer: its lines and targets. */
function answerReport(s: Json, cfg: Config, lines: string[], targets: Target[]): void {
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

/** Section ratelimit: its lines and targets. */
function rateReport(s: Json, cfg: Config, lines: string[], targets: Target[]): void {
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

/** Section edit: its lines and targets. */
function editReport(s: Json, cfg: Config, lines: string[], targets: Target[]): void {
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

/** Section nodered: its lines and targets. */
function nodeRedReport(s: Json, cfg: Config, lines: string[], targets: Target[]): void {
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

/** Section batch: its lines and targets. */
function batchReport(s: Json, cfg: Config, lines: string[], targets: Target[]): void {
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

/** Section nrmemory: its lines and targets. */
function nodeRedMemoryReport(s: Json, cfg: Config, lines: string[], targets: Target[]): void {
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

/** Section load: its lines and targets. */
function loadReport(s: Json, cfg: Config, lines: string[], targets: Target[], m: Json): void {
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

export function buildReport(results: Json): { lines: string[]; targets: Target[] } {
  const m = results.machine;
  // the sizes of the run reported on (not this process's flags: --from-results reads a saved run)
  const cfg = results.config as Config;
  const lines: string[] = [];
  const targets: Target[] = [];
  lines.push(
    `Measured by \`npm run bench\` on ${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, ${m.os}, Node.js ${m.node}` +
      ` (openai ${m.openai} on Node's fetch/undici ${m.nodeUndici}; ours and raw on undici ${m.undici}; Node-RED ${m.nodeRed}), ${results.date}.`,
    "",
  );
  const s = results.sections;

  if (s.cpu && !s.cpu.error) cpuReport(s, cfg, lines, targets);

  if (s.answer && !s.answer.error) answerReport(s, cfg, lines, targets);

  if (s.ratelimit && !s.ratelimit.error) rateReport(s, cfg, lines, targets);

  if (s.edit && !s.edit.error) editReport(s, cfg, lines, targets);

  if (s.nodered && !s.nodered.error) nodeRedReport(s, cfg, lines, targets);

  if (s.batch && !s.batch.error) batchReport(s, cfg, lines, targets);

  if (s.nrmemory && !s.nrmemory.error) nodeRedMemoryReport(s, cfg, lines, targets);

  if (s.load && !s.load.error) loadReport(s, cfg, lines, targets, m);

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
export function updateDocs(lines: string[]): void {
  const doc = existsSync(DOC) ? readFileSync(DOC, "utf8") : "# Performance\n";
  const section = [START, ...lines, ...HOW_MEASURED, END].join("\n");
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  const next = start >= 0 && end > start ? doc.slice(0, start) + section + doc.slice(end + END.length) : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(DOC, next);
}
