/**
 * The figures of docs/reliability.md, produced by the reliability suite from what it measured.
 * At the end of the run (a root `after` hook) they are printed; with UPDATE_DOCS=1 (or its old name
 * UPDATE_README=1, from when they were in the README), and only when every part of the suite ran and
 * passed, they replace the text between the markers in docs/reliability.md (appended when the markers
 * are missing). CI runs leave the tree clean.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { nodeRedVersion } from "../support/node-red";
import type { Figures } from "./support";

export const START = "<!-- reliability:start -->";
export const END = "<!-- reliability:end -->";
const DOC = join(__dirname, "..", "..", "docs", "reliability.md");

function count(n: number): string {
  return n.toLocaleString("en-US");
}

function codes(record: Record<string, number>): string {
  const entries = Object.entries(record).filter(([, n]) => n > 0);
  return entries.length ? entries.map(([k, n]) => `${count(n)} \`${k}\``).join(", ") : "none";
}

/** The section, markers included, from the figures; parts that did not run say so. */
export function renderSection(f: Figures, seconds: number, skipped = 0, date = new Date()): string {
  const missing = "not run";
  const b = f.burst;
  const q = f.queueLimit;
  const r = f.redeploy;
  const s = f.soak;
  const rows: Array<[string, string]> = [
    [
      "fault matrix (through the nodes)",
      f.faultCases
        ? `${count(f.faultCases)} cases, ${count(f.attemptsChecked)} HTTP attempts checked (count, delay, code, exactly one outcome per message)`
        : missing,
    ],
    [
      "bad input",
      f.badInputCases
        ? `${count(f.badInputCases)} refused before sending, each followed by a good message whose wire body was exact (${count(f.goodAfterBad)}); ${count(f.mustPassCases)} edge inputs that must pass`
        : missing,
    ],
    [
      `burst: ${b ? count(b.messages) : 500} messages, concurrency ${b?.concurrency ?? 4}, rate-limiting server`,
      b
        ? `${count(b.ok)} images, failed: ${codes(b.failed)}; ${count(b.requests)} requests, ${count(b.answered429)} answered 429 and retried; at most ${b.maxInFlight} at once; first-in first-out: ${b.fifo ? "yes" : "NO"}; ${b.seconds.toFixed(1)} s; heap ${b.heapBeforeMB} → ${b.heapAfterMB} MB, RSS ${b.rssBeforeMB} → ${b.rssAfterMB} MB`
        : missing,
    ],
    [
      q ? `queue limit ${q.queueLimit}, ${count(q.messages)} messages at once` : "queue limit",
      q
        ? `${count(q.ok)} images (${q.concurrency} running + ${q.queueLimit} waiting), ${count(q.queueFull)} refused with \`queue_full\`, ${count(q.requests)} requests`
        : missing,
    ],
    [
      r ? `redeploy with ${r.inFlight} requests in flight` : "redeploy with requests in flight",
      r
        ? `closed in ${r.closeMs} ms; ${codes(r.outcomes)}; ${r.sentAfterClose} messages sent after close; ${r.socketsLeft} sockets left open at the server; ${r.unhandled} unhandled rejections`
        : missing,
    ],
    [
      s ? `soak: ${count(s.requests)} requests with 256x256 images (${s.imageKB} kB each)` : "soak",
      s
        ? `${s.seconds.toFixed(1)} s (${count(Math.round(s.rate))} requests/s); RSS ${s.rssBeforeMB} → ${s.rssAfterMB} MB (${signed(s.rssAfterMB - s.rssBeforeMB)} MB, bound ${s.rssBoundMB} MB); after GC: heap ${s.heapBeforeMB} → ${s.heapAfterMB} MB (${signed(s.heapAfterMB - s.heapBeforeMB)} MB, bound ${s.heapBoundMB} MB), Buffers ${s.buffersBeforeMB} → ${s.buffersAfterMB} MB (${signed(s.buffersAfterMB - s.buffersBeforeMB)} MB, bound ${s.buffersBoundMB} MB); timers ${s.timersBefore} → ${s.timersAfter}, handles ${s.handlesBefore} → ${s.handlesAfter}, listeners unchanged, status tickers left running: ${s.tickersLeft}`
        : missing,
    ],
    [
      "peak requests at once seen by the server",
      f.peakConcurrency
        ? `${f.peakConcurrency}${r ? ` (the redeploy test runs ${r.inFlight} at once on purpose)` : ""}${b ? `; in the burst ${b.maxInFlight}, the config's limit` : ""}`
        : missing,
    ],
    [
      "API key searched in messages, errors, status texts, log lines, the flow and admin answers",
      `${count(f.secrets.scanned)} items scanned (${Object.entries(f.secrets.byKind)
        .sort((a, z) => z[1] - a[1])
        .map(([k, n]) => `${count(n)} ${k}${n === 1 ? "" : "s"}`)
        .join(", ")}), ${f.secrets.hits.length} hits`,
    ],
    ["unhandled rejections during the suite", String(f.unhandledRejections.length)],
    ["known bugs (tests marked skip until fixed)", String(skipped)],
  ];
  const day = date.toISOString().slice(0, 10);
  return [
    START,
    `Measured by the reliability suite (\`test/reliability/\`, part of \`npm test\`) on ${day} with Node ${process.version},`,
    `Node-RED ${nodeRedVersion}, ${cpus().length} CPUs, against the local Images API test server; the suite took ${seconds.toFixed(1)} s.`,
    "These figures are written by the suite (`UPDATE_DOCS=1 npx mocha --no-config -r tsx --timeout 20000 --exit 'test/reliability/*.spec.ts'`), not by hand.",
    "",
    "| what | measured |",
    "| --- | --- |",
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    "",
    s
      ? `The soak bounds: each of the ${count(s.requests)} messages carries a ${s.imageKB} kB image, so keeping the messages ` +
        `would cost hundreds of MB. The heap and the Buffer memory after a forced GC are the precise leak detectors: ` +
        `each may grow by ${s.heapBoundMB} MB at most (under ${((s.heapBoundMB * 1024) / s.requests).toFixed(1)} kB per message, ` +
        `or about ${Math.round((s.buffersBoundMB * 1024) / Math.max(1, s.imageKB))} kept images). RSS is noisy (the allocator keeps ` +
        `and returns freed pages as it likes: growths from −1 to +113 MB were measured across runs whose heap after GC grew by ` +
        `less than 1 MB), so its bound is ${s.rssBoundMB} MB, which still catches keeping a quarter of the messages. ` +
        `The soak starts after a warm-up of 500 requests.`
      : "",
    END,
  ]
    .filter((line, i, all) => !(line === "" && all[i - 1] === ""))
    .join("\n");
}

function signed(n: number): string {
  const v = Math.round(n * 10) / 10;
  return v >= 0 ? `+${v}` : String(v);
}

/** Replaces the section between the markers (or appends it, markers and all). */
export function spliceDoc(doc: string, section: string): string {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start >= 0 && end > start) return doc.slice(0, start) + section + doc.slice(end + END.length);
  return `${doc.trimEnd()}\n\n${section}\n`;
}

/** Whether a full, passing run of the reliability suite produced these figures. */
function complete(f: Figures): string[] {
  const gaps: string[] = [];
  if (!f.faultCases) gaps.push("fault matrix");
  if (!f.badInputCases) gaps.push("bad input");
  if (!f.burst) gaps.push("burst");
  if (!f.queueLimit) gaps.push("queue limit");
  if (!f.redeploy) gaps.push("redeploy");
  if (!f.soak) gaps.push("soak");
  return gaps;
}

interface SuiteLike {
  tests: Array<{ state?: string; pending?: boolean; file?: string }>;
  suites: SuiteLike[];
}

/** Counts the reliability tests (in test/reliability/) for which `pick` holds. */
function countReliabilityTests(suite: SuiteLike, pick: (t: { state?: string; pending?: boolean }) => boolean): number {
  let n = suite.tests.filter((t) => pick(t) && /[\\/]reliability[\\/]/.test(t.file ?? "")).length;
  for (const s of suite.suites) n += countReliabilityTests(s, pick);
  return n;
}

let registered = false;

/** Registers the root `after` hook that prints (or writes) the section; once per process. */
export function registerReport(getFigures: () => Figures): void {
  if (registered) return;
  registered = true;
  after(function () {
    const f = getFigures();
    const root = this.test?.parent as unknown as SuiteLike | undefined;
    const failed = root ? countReliabilityTests(root, (t) => t.state === "failed") : 0;
    const skipped = root ? countReliabilityTests(root, (t) => t.pending === true) : 0;
    const section = renderSection(f, f.seconds, skipped);
    const gaps = complete(f);
    console.log(`\n${section}\n`);
    if (process.env.UPDATE_DOCS !== "1" && process.env.UPDATE_README !== "1") {
      console.log("(reliability figures printed only; set UPDATE_DOCS=1 to write them into docs/reliability.md)");
      return;
    }
    if (gaps.length || failed) {
      console.log(
        `docs/reliability.md not updated: ${failed ? `${failed} reliability test(s) failed` : ""}${gaps.length ? ` missing: ${gaps.join(", ")}` : ""}`,
      );
      return;
    }
    const doc = existsSync(DOC) ? readFileSync(DOC, "utf8") : "# Reliability\n";
    writeFileSync(DOC, spliceDoc(doc, section));
    console.log("docs/reliability.md: figures updated");
  });
}
