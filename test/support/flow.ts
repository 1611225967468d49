/**
 * Small helpers to run the image nodes in a real Node-RED runtime (node-red-node-test-helper)
 * against the local Images API test server.
 */
import { ImagesApiServer } from "../server/images-api-server";
import { helper } from "./node-red";
import configNode = require("../../src/nodes/images-api-config");
import generateNode = require("../../src/nodes/images-api-generate");

export const API_KEY = "sk-test-SECRET-1234567890abcdef";
export const TAB = "f1";

export type Msg = Record<string, any>;
export type FlowNode = Record<string, any>;

export interface FlowOptions {
  baseUrl: string;
  config?: Record<string, unknown>;
  node?: Record<string, unknown>;
  type?: string;
  apiKey?: string | null;
  extra?: FlowNode[];
  /** where the image node's output goes (default: the "out" helper) */
  wires?: string[];
}

/** tab, config, the image node "img" → helper "out", and a catch node → helper "caught". */
export function imageFlow(o: FlowOptions): FlowNode[] {
  return [
    { id: TAB, type: "tab", label: "test" },
    { id: "cfg", type: "images-api-config", name: "api", baseUrl: o.baseUrl, retries: 2, ...o.config },
    {
      id: "img",
      type: o.type ?? "images-api-generate",
      z: TAB,
      server: "cfg",
      prompt: "payload",
      promptType: "msg",
      model: "gpt-image-1",
      output: "buffer",
      property: "payload",
      ...o.node,
      wires: [o.wires ?? ["out"]],
    },
    { id: "out", type: "helper", z: TAB },
    { id: "catcher", type: "catch", z: TAB, scope: null, uncaught: false, wires: [["caught"]] },
    { id: "caught", type: "helper", z: TAB },
    ...(o.extra ?? []),
  ];
}

export const NODES: unknown[] = [configNode, generateNode];

export async function loadFlow(o: FlowOptions, nodes: unknown[] = NODES): Promise<void> {
  const creds = o.apiKey === null ? {} : { cfg: { apiKey: o.apiKey ?? API_KEY } };
  await helper.load(nodes as never, imageFlow(o) as never, creds as never);
}

/** Collects what leaves "out" and "caught" until `count` outcomes arrived (or the timeout). */
export function collect(count = 1, timeoutMs = 8000): Promise<{ out: Msg[]; caught: Msg[] }> {
  const out: Msg[] = [];
  const caught: Msg[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${count} outcome(s): got ${out.length} out, ${caught.length} caught`)),
      timeoutMs,
    );
    const check = () => {
      if (out.length + caught.length >= count) {
        clearTimeout(timer);
        // let anything extra (a wrong second outcome) arrive before the test looks
        setTimeout(() => resolve({ out, caught }), 50);
      }
    };
    helper.getNode("out").on("input", (m: Msg) => {
      out.push(m);
      check();
    });
    helper.getNode("caught").on("input", (m: Msg) => {
      caught.push(m);
      check();
    });
  });
}

/** Sends one message into the image node and waits for exactly one outcome. */
export async function run(msg: Msg, timeoutMs?: number): Promise<{ out: Msg[]; caught: Msg[] }> {
  const result = collect(1, timeoutMs);
  helper.getNode("img").receive(msg);
  return result;
}

export function pngSize(buf: Buffer): { width: number; height: number } {
  if (buf.toString("latin1", 1, 4) !== "PNG") throw new Error("not a PNG");
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/** Every string the runtime logged during the test, for secret scans. */
export function loggedText(): string {
  const log = helper.log();
  return JSON.stringify(log.args ?? [], (_k, v) => (Buffer.isBuffer(v) ? `<buffer ${v.length}>` : v));
}

export { helper };

/**
 * Registers the hooks every node spec needs: one local Images API test server for the suite
 * (reset before each test), a fresh Node-RED per test, and a scan of the runtime log for the key.
 */
export function withImagesApi(): { server: ImagesApiServer } {
  const ctx = {} as { server: ImagesApiServer };
  before(async () => {
    ctx.server = await ImagesApiServer.start({ apiKey: API_KEY });
  });
  after(async () => {
    await ctx.server.close();
  });
  beforeEach((done) => {
    ctx.server.reset();
    helper.startServer(done);
  });
  afterEach(async () => {
    const log = loggedText();
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
    if (log.includes(API_KEY)) throw new Error("the API key appeared in a log line");
  });
  return ctx;
}
