// The demo's flows, made from examples/*.json: `npm start` seeds its user dir with them, and the browser tests load
// them as the demo shows them (the tab it opens on, the one config node a new node picks).
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { repoRoot } from "./runtime.mjs";

export const CONFIG_TYPE = "images-api-config";
/** the demo's one config node: every example's image nodes use it (in examples/ each file carries its own) */
export const DEMO_CONFIG_ID = "d3e0c0ffee000001";
/** tabs in this order (the README's table), the rest after them by name: the editor opens on the first */
export const DEMO_TAB_ORDER = [
  "Generate an image",
  "Generate an image and save it to a file",
  "Serve a freshly generated image over HTTP",
  "Edit an image with a mask",
  "A list of prompts becomes a set of images",
  "Batch delivery - prompts become files at half price",
];
/** the config nodes' batchPoll and batchPollMax in the demo: the test server's batch is done at its 5th status request */
export const DEMO_BATCH_POLL = 0.5;
/** the test server refuses these prompts (case-insensitive) as OpenAI's safety system does: the batch example's failure */
export const DEMO_BLOCKED_PROMPTS = "famous cartoon";

const isConfigNode = (n) =>
  n.type === CONFIG_TYPE ||
  (n.x === undefined && n.y === undefined && n.wires === undefined && !["tab", "subflow", "group"].includes(n.type));

/** Replace, deep inside `value`, every string equal to a key of `map`. */
function remapIds(value, map) {
  if (typeof value === "string") return map.has(value) ? map.get(value) : value;
  if (Array.isArray(value)) return value.map((v) => remapIds(v, map));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, remapIds(v, map)]));
  }
  return value;
}

const newId = () => randomBytes(8).toString("hex");

/** examples/*.json in DEMO_TAB_ORDER, the others after them by name */
export function exampleFiles() {
  const dir = join(repoRoot, "examples");
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .sort()
    : [];
  const rank = (f) => {
    const i = DEMO_TAB_ORDER.indexOf(basename(f, ".json"));
    return i === -1 ? DEMO_TAB_ORDER.length : i;
  };
  return files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/**
 * flows.json from every examples/*.json: one tab per file, config nodes global and de-duplicated, and the example's
 * own images-api-config nodes replaced by the one demo config node (same settings as theirs; the concurrency is the
 * smallest of theirs, so that "here 2" of the list example holds).
 */
export function buildFlows(baseUrl) {
  const dir = join(repoRoot, "examples");
  const files = exampleFiles();
  const tabs = [];
  const nodes = [];
  const configs = new Map();
  const used = new Set();
  const demoConfig = { id: DEMO_CONFIG_ID, type: CONFIG_TYPE, name: "local test server" };
  for (const file of files) {
    let flow = JSON.parse(readFileSync(join(dir, file), "utf8"));
    if (!Array.isArray(flow)) throw new Error(`examples/${file} is not a flow array`);
    // Non-config ids already used by an earlier example get fresh ids (references within the file follow); the
    // example's own config nodes of this package become the demo's one.
    const remap = new Map();
    for (const n of flow) {
      if (n.type === CONFIG_TYPE) remap.set(n.id, DEMO_CONFIG_ID);
      else if (!isConfigNode(n) && used.has(n.id)) remap.set(n.id, newId());
    }
    for (const n of flow.filter((c) => c.type === CONFIG_TYPE)) {
      const { id: _id, z: _z, name: _name, concurrency, ...settings } = n;
      // the first example's value of each setting (they are the same but for concurrency)
      for (const [k, v] of Object.entries(settings)) if (!(k in demoConfig)) demoConfig[k] = v;
      demoConfig.concurrency = Math.min(demoConfig.concurrency ?? Infinity, concurrency ?? 4);
    }
    if (remap.size) flow = remapIds(flow, remap);
    const tabId = createHash("sha1").update(`demo-tab:${file}`).digest("hex").slice(0, 16);
    tabs.push({ id: tabId, type: "tab", label: basename(file, ".json"), disabled: false, info: `From examples/${file}` });
    const subflowIds = new Set(flow.filter((n) => n.type === "subflow").map((n) => n.id));
    for (const n of flow) {
      if (n.type === CONFIG_TYPE) continue;
      if (isConfigNode(n)) {
        const c = { ...n };
        delete c.z;
        if (!configs.has(c.id)) configs.set(c.id, c);
        continue;
      }
      used.add(n.id);
      if (n.type === "subflow") nodes.push(n);
      else nodes.push({ ...n, z: n.z && subflowIds.has(n.z) ? n.z : tabId });
    }
  }
  Object.assign(demoConfig, { baseUrl, batchPoll: DEMO_BATCH_POLL, batchPollMax: DEMO_BATCH_POLL });
  return { flows: [...tabs, demoConfig, ...configs.values(), ...nodes], files };
}
