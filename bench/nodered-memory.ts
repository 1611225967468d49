/**
 * 7. Peak memory where users run it: a real Node-RED process (node_modules/node-red, the package loaded from
 * dist/ as `npm start` does), a flow of http in → generate node → function → http response, one fresh process
 * per measurement. The function answers the HTTP request with the images' count and size (a small body), so
 * the message and its images live until the response is written, as in a flow that serves or saves them.
 *
 * Per run: Node-RED started with --expose-gc (settings expose gc() to function nodes as global "gc"); one
 * warm-up request with a tiny answer; then the large answer twice, each measured alike: GET /gc (two full
 * collections) and a pause; Linux's peak-RSS counter reset (`5` to /proc/PID/clear_refs) and the baseline
 * read (VmRSS); the request; the peak read (VmHWM). Extra = peak − baseline, exact (the kernel keeps the
 * high-water mark; nothing is sampled). The first large answer of a process also pays for what happens
 * once per process: V8 recompiling undici's HTTP parser (WebAssembly) in a background thread when the
 * first large body makes it hot (≈ 10 MiB for a moment, bench/README.md); the second is what every
 * later answer costs, the figure of a Node-RED that has been running.
 * Run from bench/run.ts (the orchestrator starts these processes; its own memory is not counted).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { API_KEY } from "./lib/payloads";
import { BENCH_DIR } from "./lib/proc";

const ROOT = join(BENCH_DIR, "..");

/** What each scenario asks: the generate node's settings; the bench server answers with the matching large body. */
export const NODERED_SCENARIOS = {
  large: { label: "n = 10 PNGs of 1024×1024 as b64_json", node: { imageCount: 10, size: "1024x1024" } },
  uhd: { label: "one 3840×2160 PNG", node: { size: "3840x2160" } },
  gif16: { label: "one 16-frame GIF (1024×1024)", node: { size: "1024x1024", outputFormat: "gif", frameCount: 16 } },
} as const;
export type NodeRedScenario = keyof typeof NODERED_SCENARIOS;

function status(pid: number, field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  return { status: res.status, text: await res.text() };
}

function flows(baseUrl: string, scenario: NodeRedScenario) {
  const z = "benchtab";
  return [
    { id: z, type: "tab", label: "bench" },
    { id: "benchcfg", type: "images-api-config", name: "bench", baseUrl, retries: 0 },
    { id: "benchin", type: "http in", z, url: "/gen", method: "get", upload: false, wires: [["benchgen"]] },
    {
      id: "benchgen",
      type: "images-api-generate",
      z,
      server: "benchcfg",
      prompt: "a lighthouse",
      promptType: "str",
      model: "gpt-image-2.6-flare",
      output: "buffer",
      property: "payload",
      ...NODERED_SCENARIOS[scenario].node,
      wires: [["benchsum"]],
    },
    {
      id: "benchsum",
      type: "function",
      z,
      // the image Buffers themselves (msg.payload: one, or an array for n > 1), held until the response is sent
      func: "const out = Array.isArray(msg.payload) ? msg.payload : [msg.payload];\nmsg.payload = { images: out.length, bytes: out.reduce((n, b) => n + (Buffer.isBuffer(b) ? b.length : 0), 0) };\nreturn msg;",
      outputs: 1,
      wires: [["benchout"]],
    },
    { id: "benchout", type: "http response", z, statusCode: "", headers: {}, wires: [] },
    { id: "benchcatch", type: "catch", z, scope: ["benchgen"], uncaught: false, wires: [["benchfail"]] },
    {
      id: "benchfail",
      type: "function",
      z,
      func: "msg.payload = { error: msg.error && msg.error.message };\nmsg.statusCode = 500;\nreturn msg;",
      outputs: 1,
      wires: [["benchout"]],
    },
    { id: "benchgcin", type: "http in", z, url: "/gc", method: "get", upload: false, wires: [["benchgc"]] },
    {
      id: "benchgc",
      type: "function",
      z,
      func: 'const gc = global.get("gc");\ngc(); gc();\nmsg.payload = "ok";\nreturn msg;',
      outputs: 1,
      wires: [["benchout"]],
    },
  ];
}

export interface NodeRedMemoryRun {
  scenario: NodeRedScenario;
  images: number;
  bytes: number;
  baselineRss: number;
  /** the second large answer's peak (every later one), and the first's */
  extra: { rss: number; firstRss: number };
  wallMs: number;
}

/** One measurement in a fresh Node-RED; `script()` has the server answer a tiny image first, then the large answer twice. */
export async function measureInNodeRed(baseUrl: string, scenario: NodeRedScenario, script: () => Promise<void>): Promise<NodeRedMemoryRun> {
  const { spawnNodeRed, startOnFreePort, stopNodeRed } = await import("../scripts/node-red-process.mjs");
  const { nodeRedSettings } = await import("../scripts/node-red-settings.mjs");
  const userDir = mkdtempSync(join(tmpdir(), "images-api-bench-nr-"));
  writeFileSync(
    join(userDir, "settings.js"),
    nodeRedSettings({
      userDir,
      credentialSecret: false,
      repoRoot: ROOT,
      writtenBy: "bench/nodered-memory.ts",
      extra: "    functionGlobalContext: { gc: global.gc },\n",
    }),
  );
  writeFileSync(join(userDir, "flows.json"), JSON.stringify(flows(baseUrl, scenario)));
  writeFileSync(join(userDir, "flows_cred.json"), JSON.stringify({ benchcfg: { apiKey: API_KEY } }));
  const nodeRedDir = join(ROOT, "node_modules", "node-red");
  const { proc, url } = await startOnFreePort((port) =>
    spawnNodeRed({
      nodeRedDir,
      userDir,
      port,
      nodeArgs: ["--expose-gc", ...(process.env.BENCH_NODE_RED_ARGS ?? "").split(" ").filter(Boolean)],
    }),
  );
  try {
    const pid = proc.child.pid as number;
    // the editor answers before the flows have started: wait for the flow's own route
    for (let i = 0; (await get(`${url}gc`).catch(() => ({ status: 0 }))).status !== 200; i++) {
      if (i > 300) throw new Error(`the flow's /gc route never answered\n${proc.log.slice(-20).join("\n")}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await script();
    const warm = await get(`${url}gen`);
    if (warm.status !== 200) throw new Error(`warm-up: HTTP ${warm.status} ${warm.text}\n${proc.log.slice(-20).join("\n")}`);
    const measure = async () => {
      await get(`${url}gc`);
      await new Promise((r) => setTimeout(r, 300));
      await get(`${url}gc`);
      writeFileSync(`/proc/${pid}/clear_refs`, "5");
      const baselineRss = status(pid, "VmRSS");
      const t0 = Date.now();
      const answer = await get(`${url}gen`);
      const wallMs = Date.now() - t0;
      const extra = status(pid, "VmHWM") - baselineRss;
      if (answer.status !== 200) throw new Error(`HTTP ${answer.status} ${answer.text}\n${proc.log.slice(-20).join("\n")}`);
      return { baselineRss, extra, wallMs, ...(JSON.parse(answer.text) as { images: number; bytes: number }) };
    };
    const first = await measure();
    const { baselineRss, extra, wallMs, images, bytes } = await measure();
    if (first.images !== images || first.bytes !== bytes)
      throw new Error(`the two answers differ: ${JSON.stringify({ first, images, bytes })}`);
    // BENCH_NODE_RED_LOG=<dir>: Node-RED's output per scenario (with BENCH_NODE_RED_ARGS=--trace-gc, where the memory went)
    if (process.env.BENCH_NODE_RED_LOG) writeFileSync(join(process.env.BENCH_NODE_RED_LOG, `${scenario}.log`), proc.log.join("\n"));
    return { scenario, images, bytes, baselineRss, extra: { rss: extra, firstRss: first.extra }, wallMs };
  } finally {
    await stopNodeRed(proc);
    rmSync(userDir, { recursive: true, force: true });
  }
}
