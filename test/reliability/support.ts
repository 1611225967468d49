/**
 * Shared plumbing of the reliability suite (test/reliability/*.spec.ts):
 *
 * - `withReliability()`: the local Images API test server and a fresh Node-RED per test (like
 *   withImagesApi), plus the suite-wide secret scan: every message that leaves an image node (out and
 *   caught), every status it shows, every log line and the deployed flow are searched for the API key.
 * - `load()`: loadFlow + the scanners and an outcome tracker on the image node(s).
 * - `figures`: what the suite measured; report.ts writes it into docs/reliability.md at the end of the run.
 */
import assert from "node:assert/strict";
import { ImagesApiServer } from "../server/images-api-server";
import { API_KEY, helper, loadFlow, NODES, type FlowOptions, type Msg } from "../support/flow";
import editNode = require("../../src/nodes/images-api-edit");
import { registerReport } from "./report";
import { pause } from "../support/wait";
import { gc } from "../support/gc";
export { gc };

export { API_KEY, helper, NODES, type Msg };
export const EDIT_NODES: unknown[] = [...NODES, editNode];
export const SHARED = "node-red-contrib-images-api/images-api-config:images-api-config.shared.";

// ---------------------------------------------------------------------------------------- figures

export interface Figures {
  /** time spent inside the reliability describe blocks (other spec files may run in the same process) */
  seconds: number;
  faultCases: number;
  attemptsChecked: number;
  badInputCases: number;
  goodAfterBad: number;
  mustPassCases: number;
  peakConcurrency: number;
  burst?: {
    messages: number;
    concurrency: number;
    ok: number;
    failed: Record<string, number>;
    requests: number;
    answered429: number;
    maxInFlight: number;
    fifo: boolean;
    seconds: number;
    heapBeforeMB: number;
    heapAfterMB: number;
    rssBeforeMB: number;
    rssAfterMB: number;
  };
  queueLimit?: { messages: number; queueLimit: number; concurrency: number; ok: number; queueFull: number; requests: number };
  redeploy?: {
    inFlight: number;
    closeMs: number;
    sentAfterClose: number;
    outcomes: Record<string, number>;
    socketsLeft: number;
    unhandled: number;
  };
  soak?: {
    requests: number;
    seconds: number;
    rate: number;
    rssBeforeMB: number;
    rssAfterMB: number;
    heapBeforeMB: number;
    heapAfterMB: number;
    heapBoundMB: number;
    rssBoundMB: number;
    buffersBeforeMB: number;
    buffersAfterMB: number;
    buffersBoundMB: number;
    imageKB: number;
    timersBefore: number;
    timersAfter: number;
    handlesBefore: number;
    handlesAfter: number;
    tickersLeft: number;
    gc: boolean;
  };
  secrets: { scanned: number; hits: string[]; byKind: Record<string, number> };
  unhandledRejections: string[];
}

export const figures: Figures = {
  seconds: 0,
  faultCases: 0,
  attemptsChecked: 0,
  badInputCases: 0,
  goodAfterBad: 0,
  mustPassCases: 0,
  peakConcurrency: 0,
  secrets: { scanned: 0, hits: [], byKind: {} },
  unhandledRejections: [],
};

registerReport(() => figures);

/** Suite-wide: any unhandled rejection while the reliability suite runs is recorded (and fails its test). */
const onUnhandled = (reason: unknown) => {
  figures.unhandledRejections.push(reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason));
};

// ----------------------------------------------------------------------------------- secret scan

/** True when `value` (strings, Buffers, Errors, nested objects, arrays) contains the API key anywhere. */
export function containsSecret(value: unknown, secret = API_KEY): boolean {
  const seen = new WeakSet<object>();
  const visit = (v: unknown, depth: number): boolean => {
    if (v === null || v === undefined || depth > 40) return false;
    if (typeof v === "string") return v.includes(secret);
    if (typeof v !== "object" && typeof v !== "function") return String(v).includes(secret);
    if (Buffer.isBuffer(v) || v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).includes(secret);
    if (seen.has(v as object)) return false;
    seen.add(v as object);
    if (v instanceof Error) {
      if (visit(v.message, depth + 1) || visit(v.stack, depth + 1) || visit((v as { cause?: unknown }).cause, depth + 1)) return true;
    }
    if (v instanceof Map) return [...v.entries()].some(([k, x]) => visit(k, depth + 1) || visit(x, depth + 1));
    for (const key of Object.getOwnPropertyNames(v)) {
      if (key.includes(secret)) return true;
      let x: unknown;
      try {
        x = (v as Record<string, unknown>)[key];
      } catch {
        continue;
      }
      if (typeof x === "function") continue;
      if (visit(x, depth + 1)) return true;
    }
    return false;
  };
  return visit(value, 0);
}

/** Counts one scanned item of `kind`; records a hit (the test fails in afterEach). */
export function scan(kind: string, value: unknown): void {
  figures.secrets.scanned++;
  figures.secrets.byKind[kind] = (figures.secrets.byKind[kind] ?? 0) + 1;
  if (containsSecret(value)) figures.secrets.hits.push(`${kind}: ${preview(value)}`);
}

function preview(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v) => (Buffer.isBuffer(v) ? `<buffer ${v.length}>` : v)).slice(0, 300);
  } catch {
    return String(value).slice(0, 300);
  }
}

// ------------------------------------------------------------------------------ outcome tracking

export interface Outcomes {
  out: Msg[];
  caught: Msg[];
  /** every status the image node(s) showed */
  statuses: Array<Record<string, unknown>>;
  /** how many arrived (also when not retained) */
  outCount: number;
  caughtCount: number;
  readonly total: number;
  /** keep the messages (default); the soak only counts them, so the test itself does not hold memory */
  retain: boolean;
  /** called with every outcome (out or caught) as it arrives */
  onOutcome?: (m: Msg, kind: "out" | "caught") => void;
  /** resolves once `count` outcomes arrived (out + caught), rejects after timeoutMs */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
}

let current: Outcomes | undefined;

/** The tracker of the flow loaded last. */
export function outcomes(): Outcomes {
  if (!current) throw new Error("load() a flow first");
  return current;
}

function track(imageNodes: string[]): Outcomes {
  const waiters = new Set<() => void>();
  const o: Outcomes = {
    out: [],
    caught: [],
    statuses: [],
    outCount: 0,
    caughtCount: 0,
    retain: true,
    get total() {
      return this.outCount + this.caughtCount;
    },
    waitFor(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        if (o.total >= count) return resolve();
        const check = () => {
          if (o.total >= count) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${count} outcome(s): got ${o.outCount} out, ${o.caughtCount} caught`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
  };
  const arrived = () => {
    for (const w of [...waiters]) w();
  };
  helper.getNode("out").on("input", (m: Msg) => {
    scan("message", m);
    o.outCount++;
    if (o.retain) o.out.push(m);
    o.onOutcome?.(m, "out");
    arrived();
  });
  helper.getNode("caught").on("input", (m: Msg) => {
    scan("caught message", m);
    scan("error", m.error);
    o.caughtCount++;
    if (o.retain) o.caught.push(m);
    o.onOutcome?.(m, "caught");
    arrived();
  });
  for (const id of imageNodes) {
    helper.getNode(id)?.on("call:status", (call: { args: [Record<string, unknown>] }) => {
      scan("status text", call.args[0]);
      if (o.retain) o.statuses.push(call.args[0]);
    });
  }
  return o;
}

/** After a redeploy the nodes are new objects: track them again. */
export function retrack(imageNodes: string[] = ["img"]): Outcomes {
  current = track(imageNodes);
  return current;
}

/**
 * node-red-node-test-helper spies on Node.prototype.send/status/log… and on the runtime log with sinon,
 * which keeps the arguments of every call (every message with its image) until unload. Long runs drain
 * them: the log lines are scanned for the key first, then the spies forget their calls.
 */
export function drainSpies(): void {
  const log = helper.log();
  for (const args of (log?.args ?? []) as unknown[][]) scan("log line", args);
  log?.resetHistory?.();
  const proto = helper._NodePrototype as Record<string, { resetHistory?: () => void }> | undefined;
  for (const name of ["log", "status", "warn", "error", "debug", "trace", "send"]) proto?.[name]?.resetHistory?.();
}

/** loadFlow + secret scanners and an outcome tracker on the image node(s). */
export async function load(o: FlowOptions, nodes: unknown[] = NODES, imageNodes: string[] = ["img"]): Promise<Outcomes> {
  await loadFlow(o, nodes);
  current = track(imageNodes);
  return current;
}

/**
 * Sends `msg` into the image node and returns its one outcome; then waits `settleMs` more and
 * asserts that nothing else arrived (exactly one outcome per message).
 */
export async function one(
  msg: Msg,
  opts: { timeoutMs?: number; settleMs?: number; node?: string } = {},
): Promise<{ out?: Msg; caught?: Msg }> {
  const o = outcomes();
  const before = o.total;
  const outBefore = o.outCount;
  const caughtBefore = o.caughtCount;
  helper.getNode(opts.node ?? "img").receive(msg);
  await o.waitFor(before + 1, opts.timeoutMs ?? 10_000);
  await pause(opts.settleMs ?? 150);
  assert.equal(o.total, before + 1, `exactly one outcome: got ${o.outCount - outBefore} out and ${o.caughtCount - caughtBefore} caught`);
  return { out: o.out[outBefore], caught: o.caught[caughtBefore] };
}

// ------------------------------------------------------------------------------------- memory, gc

export const MB = 1024 * 1024;
export const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10;

// ------------------------------------------------------------------------------------- the hooks

/**
 * The hooks every reliability spec uses: one test server (reset before each test), a fresh Node-RED per
 * test, and, after each test, the scan of the log and of the deployed flow, and the zero-hit check.
 */
export function withReliability(): { server: ImagesApiServer } {
  const ctx = {} as { server: ImagesApiServer };
  let began = 0;
  before(async () => {
    began = Date.now();
    ctx.server = await ImagesApiServer.start({ apiKey: API_KEY });
    process.on("unhandledRejection", onUnhandled);
  });
  after(async () => {
    process.off("unhandledRejection", onUnhandled);
    await ctx.server.close();
    figures.seconds += (Date.now() - began) / 1000;
  });
  let hitsBefore = 0;
  let unhandledBefore = 0;
  beforeEach((done) => {
    ctx.server.reset();
    current = undefined;
    hitsBefore = figures.secrets.hits.length;
    unhandledBefore = figures.unhandledRejections.length;
    helper.startServer(done);
  });
  afterEach(async function () {
    figures.peakConcurrency = Math.max(figures.peakConcurrency, ctx.server.maxInFlight);
    const log = helper.log();
    for (const args of (log?.args ?? []) as unknown[][]) scan("log line", args);
    const flows = helper._redNodes?.getFlows?.();
    if (flows) scan("flow export", flows.flows);
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
    current = undefined;
    // let a late rejection surface before the test is declared clean
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(figures.secrets.hits.slice(hitsBefore), [], "the API key appeared in something the user can see");
    assert.deepEqual(figures.unhandledRejections.slice(unhandledBefore), [], "unhandled rejection(s) during the test");
  });
  return ctx;
}
