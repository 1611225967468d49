/**
 * Browser e2e harness: the local Images API test server (with an API key), Node-RED 5 in a temporary user dir
 * (settings for a headless editor, the package loaded from this repo via nodesDir), and headless
 * Chromium (Debian's /usr/bin/chromium) driven by playwright-core, plus the editor helpers the tests share.
 *
 * Started once per mocha run by hooks.ts; every test file reads the shared state through `e2e()`.
 * Environment: NODE_RED_PATH (Node-RED 5 dir, set by run.mjs), CHROMIUM (default /usr/bin/chromium),
 * E2E_KEEP=1 keeps the temp user dir, E2E_HEADED=1 shows the browser, E2E_CPU_THROTTLE=N slows the page N×.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type BrowserContext, type Locator, type Page } from "playwright-core";
import { ImagesApiServer } from "../server/images-api-server";
import type { NodeRedProcess } from "../../scripts/node-red-process.mjs" with { "resolution-mode": "import" };

/* The editor's RED global, as seen inside page.evaluate/waitForFunction callbacks ($ comes from @types/jquery). */
declare global {
  var RED: any;
}

export const repoRoot = path.resolve(__dirname, "..", "..");
export const SHOTS_DIR = path.join(repoRoot, "test-results", "screenshots");
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
export const VIEWPORT = { width: 1400, height: 900 };

// ---------------------------------------------------------------------------------------------------------------
// shared state

export interface E2E {
  nodeRedVersion: string;
  nodeVersion: string;
  nrUrl: string;
  userDir: string;
  server: ImagesApiServer;
  /** the key the test server accepts (random per run, so finding it anywhere means a leak) */
  apiKey: string;
  context: BrowserContext;
  page: Page;
  ed: Editor;
  nodeRedLog: string[];
  consoleErrors: string[];
  pageErrors: string[];
  timings: Record<string, number>;
}

let state: E2E | undefined;
let cleanup: Array<() => Promise<void> | void> = [];

export function e2e(): E2E {
  if (!state) throw new Error("the e2e harness is not running (start failed, see the root hook)");
  return state;
}

export async function startAll(): Promise<E2E> {
  const timings: Record<string, number> = {};
  let t = Date.now();
  const lap = (name: string) => {
    timings[name] = Date.now() - t;
    t = Date.now();
  };

  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM`);
  }
  const nodeRedDir = process.env.NODE_RED_PATH;
  if (!nodeRedDir) throw new Error("NODE_RED_PATH is not set: run the browser tests through test/e2e/run.mjs");
  const nodeRedVersion = JSON.parse(fs.readFileSync(path.join(nodeRedDir, "package.json"), "utf8")).version as string;
  const [maj, min] = process.versions.node.split(".").map(Number);
  if (nodeRedVersion.startsWith("5.") && (maj < 22 || (maj === 22 && min < 9))) {
    throw new Error(`Node-RED ${nodeRedVersion} needs Node >= 22.9; this is ${process.version}`);
  }

  // `npm run build` when dist/ is missing or older than src/, locales/, icons/ (the translations land in dist/)
  const { ensureBuilt } = await import("../../scripts/dist-state.mjs");
  ensureBuilt(repoRoot, (text) => console.log(`  [e2e] ${text}`));
  lap("build_check_ms");
  fs.mkdirSync(SHOTS_DIR, { recursive: true });
  for (const f of fs.readdirSync(SHOTS_DIR)) if (f.endsWith(".png")) fs.rmSync(path.join(SHOTS_DIR, f));

  const apiKey = `sk-e2e-${randomBytes(12).toString("hex")}`;
  const server = await ImagesApiServer.start({ apiKey });
  cleanup.push(() => server.close());

  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), "images-api-e2e-"));
  cleanup.push(() => {
    if (process.env.E2E_KEEP) console.log(`  [e2e] kept user dir ${userDir}`);
    else fs.rmSync(userDir, { recursive: true, force: true });
  });
  const { nodeRedSettings } = await import("../../scripts/node-red-settings.mjs");
  const { spawnNodeRed, startOnFreePort, stopNodeRed } = await import("../../scripts/node-red-process.mjs");
  fs.writeFileSync(path.join(userDir, "flows.json"), "[]\n");
  const settings = nodeRedSettings({
    userDir,
    credentialSecret: "e2e-test-only",
    repoRoot,
    writtenBy: "test/e2e/harness.ts for one browser test run",
  });
  fs.writeFileSync(path.join(userDir, "settings.js"), settings);
  const tries: NodeRedProcess[] = []; // more than one when a port was taken before Node-RED bound it
  cleanup.push(async () => {
    for (const proc of tries) await stopNodeRed(proc);
    fs.mkdirSync(path.dirname(SHOTS_DIR), { recursive: true });
    fs.writeFileSync(path.join(path.dirname(SHOTS_DIR), "e2e-node-red.log"), tries.map((p) => p.log.join("\n") + "\n").join("\n"));
  });
  const { proc: nr, url: nrUrl } = await startOnFreePort((port) => {
    tries.push(spawnNodeRed({ nodeRedDir, userDir, port }));
    return tries[tries.length - 1];
  });
  lap("node_red_start_ms");
  const mods = (await (await fetch(new URL("nodes", nrUrl), { headers: { Accept: "application/json" } })).json()) as Array<{
    module: string;
    type: string;
    enabled: boolean;
    err?: string;
  }>;
  const ours = mods.filter((m) => m.module === "node-red-contrib-images-api");
  if (ours.length !== 3 || ours.some((m) => m.err || !m.enabled)) {
    throw new Error(`the package did not load into Node-RED: ${JSON.stringify(ours)}\n${nr.log.slice(-30).join("\n")}`);
  }

  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), "images-api-e2e-chrome-"));
  cleanup.push(() => fs.rmSync(profileDir, { recursive: true, force: true }));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: !process.env.E2E_HEADED,
    args: CHROMIUM_ARGS,
    viewport: VIEWPORT,
    locale: "en-US",
  });
  cleanup.push(() => context.close());
  // tsx (esbuild keepNames) wraps named functions in __name(); page.evaluate callbacks need it in the page too
  await context.addInitScript("window.__name = function (f) { return f; };");
  lap("chromium_launch_ms");
  const page = context.pages()[0] ?? (await context.newPage());
  // E2E_CPU_THROTTLE=4: the page's main thread 4× slower (Chromium's DevTools throttling), to rehearse a slow CI host
  const throttle = Number(process.env.E2E_CPU_THROTTLE || 1);
  if (throttle > 1) await (await context.newCDPSession(page)).send("Emulation.setCPUThrottlingRate", { rate: throttle });
  page.setDefaultTimeout(15_000);
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => pageErrors.push(`${e.message}\n${(e.stack ?? "").split("\n").slice(1, 4).join("\n")}`));

  state = {
    nodeRedVersion,
    nodeVersion: process.version,
    nrUrl,
    userDir,
    server,
    apiKey,
    context,
    page,
    ed: new Editor(page, nrUrl),
    nodeRedLog: nr.log,
    consoleErrors,
    pageErrors,
    timings,
  };
  await state.ed.load();
  lap("editor_load_ms");
  return state;
}

export async function stopAll(): Promise<void> {
  const steps = cleanup.reverse();
  cleanup = [];
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      console.log(`  [e2e] cleanup: ${(err as Error).message}`);
    }
  }
  state = undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// editor helpers

export class Editor {
  private shotCount = 0;
  constructor(
    readonly page: Page,
    readonly nrUrl: string,
  ) {}

  /** Full-page screenshot into test-results/screenshots/NN-name.png; returns the path. */
  async shot(name: string, target?: Locator): Promise<string> {
    const file = path.join(SHOTS_DIR, `${String(++this.shotCount).padStart(2, "0")}-${name}.png`);
    if (target) await target.screenshot({ path: file });
    else await this.page.screenshot({ path: file });
    return file;
  }

  /** Remove the transient toasts ("Successfully deployed") so they do not cover a screenshot. */
  async dismissNotifications(): Promise<void> {
    // close() as Node-RED's own timer would (removing the elements makes that timer throw later)
    await this.page.evaluate(() =>
      $(".red-ui-notification").each((_i, e) => {
        (e as any).close?.();
      }),
    );
    await this.page
      .waitForFunction(() => $(".red-ui-notification:visible").length === 0, undefined, { timeout: 5000 })
      .catch(() => undefined);
  }

  /** Load (or reload) the editor and wait until the palette, a workspace and the model registry are there. */
  async load(): Promise<void> {
    await this.page.goto(this.nrUrl);
    await this.page.locator('.red-ui-palette-node[data-palette-type="inject"]').waitFor({ state: "visible", timeout: 30_000 });
    await this.page.waitForFunction(
      () =>
        window.RED &&
        RED.nodes &&
        RED.workspaces &&
        RED.workspaces.active() &&
        (window as any).ImagesApiEditor &&
        $("#red-ui-full-shade").is(":hidden"),
    );
    await this.page.waitForFunction(() => new Promise((resolve) => (window as any).ImagesApiEditor.load(() => resolve(true))));
  }

  /** Empty the deployed flows (runtime) and reload the editor, so a test starts from a clean canvas. */
  async resetFlows(): Promise<void> {
    const res = await fetch(new URL("flows", this.nrUrl), {
      method: "POST",
      body: "[]",
      headers: { "Content-Type": "application/json", "Node-RED-Deployment-Type": "full" },
    });
    if (res.status !== 204) throw new Error(`reset flows: HTTP ${res.status}`);
    await this.load();
  }

  nodeG(id: string): Locator {
    return this.page.locator(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${id}"]`);
  }

  /** The canvas thumbnail of an image node (in the thumbnails' own layer, under every node and wire). */
  preview(id: string): Locator {
    return this.page.locator(`#red-ui-workspace-chart g.images-api-previews image.images-api-preview[data-node="${id}"]`);
  }

  paletteNode(type: string): Locator {
    return this.page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
  }

  nodesOnTab(type: string): Promise<string[]> {
    return this.page.evaluate((type) => RED.nodes.filterNodes({ z: RED.workspaces.active(), type }).map((n: any) => n.id), type);
  }

  async chartBox(): Promise<{ x: number; y: number; width: number; height: number }> {
    const b = await this.page.locator("#red-ui-workspace-chart").boundingBox();
    if (!b) throw new Error("no workspace chart");
    return b;
  }

  /** Drag a palette entry to (dx, dy) from the chart's top-left corner with real mouse events; the new node's id. */
  async dragFromPalette(type: string, dx: number, dy: number): Promise<string> {
    const pal = this.paletteNode(type);
    await pal.scrollIntoViewIfNeeded();
    const before = new Set(await this.nodesOnTab(type));
    const b = await pal.boundingBox();
    const chart = await this.chartBox();
    if (!b) throw new Error(`palette entry ${type} has no box`);
    await this.page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
    await this.page.mouse.down();
    await this.page.mouse.move(chart.x + dx, chart.y + dy, { steps: 15 });
    await this.page.mouse.up();
    const added = (await this.nodesOnTab(type)).filter((id) => !before.has(id));
    if (added.length !== 1) throw new Error(`expected one new ${type} node, got ${added.length}`);
    return added[0];
  }

  /** Click an empty spot of the canvas (left of the sidebar, which overlaps the chart's box in Node-RED 5). */
  async clickEmptyCanvas(): Promise<void> {
    const chart = await this.chartBox();
    await this.page.mouse.click(chart.x + 40, chart.y + chart.height - 60);
  }

  async center(loc: Locator): Promise<[number, number]> {
    const b = await loc.boundingBox();
    if (!b) throw new Error("element has no box");
    return [b.x + b.width / 2, b.y + b.height / 2];
  }

  async wire(srcId: string, dstId: string): Promise<void> {
    const [sx, sy] = await this.center(this.nodeG(srcId).locator("g.red-ui-flow-port-output .red-ui-flow-port").first());
    const [tx, ty] = await this.center(this.nodeG(dstId).locator("g.red-ui-flow-port-input .red-ui-flow-port").first());
    await this.page.mouse.move(sx, sy);
    await this.page.mouse.down();
    await this.page.mouse.move(tx, ty, { steps: 10 });
    await this.page.mouse.up();
    const linked = await this.page.evaluate(
      ([s, t]) => RED.nodes.filterLinks({ source: { id: s }, target: { id: t } }).length === 1,
      [srcId, dstId],
    );
    if (!linked) throw new Error(`wiring ${srcId} -> ${dstId} made no link`);
  }

  /** Wait until a slide-in (edit tray) has stopped moving. */
  async waitStable(loc: Locator): Promise<void> {
    let prev = "";
    for (let i = 0; i < 60; i++) {
      const b = JSON.stringify(await loc.boundingBox());
      if (b === prev && b !== "null") return;
      prev = b;
      await this.page.waitForTimeout(50);
    }
  }

  /**
   * Double-click a node: its edit tray, settled.
   *
   * Node-RED tells a double click by `Date.now()` between its two mousedown handlers, and wants it above 0 ms and
   * below 650 ms: Playwright's plain dblclick can land both in the same millisecond (no tray, about 1 run in 3), and
   * a busy main thread can push them apart. So each button press is held 40 ms, and when no tray has begun to open
   * after 4 s the double click is made again (at most 3 times).
   */
  async openNode(id: string): Promise<void> {
    const node = this.nodeG(id).locator(".red-ui-flow-node").first();
    const ok = this.page.locator("#node-dialog-ok");
    for (let attempt = 1; ; attempt++) {
      await node.dblclick({ delay: 40 });
      try {
        await this.page.waitForFunction(() => $(".red-ui-tray").length > 0, undefined, { timeout: 4000 });
        break;
      } catch (err) {
        if (attempt === 3)
          throw new Error(`double-clicking node ${id} opened no edit tray (3 tries): ${(err as Error).message}`, { cause: err });
        console.log(`  [e2e] double-clicking node ${id} opened no edit tray; again`);
      }
    }
    await ok.waitFor({ state: "visible" });
    await this.waitStable(ok);
  }

  async closeTray(ok = true): Promise<void> {
    await this.page.locator(ok ? "#node-dialog-ok" : "#node-dialog-cancel").click();
    await this.page.locator("#node-dialog-ok").waitFor({ state: "detached" });
    await this.page.waitForFunction(() => $(".red-ui-tray").length === 0);
  }

  /** Cancel every open edit tray (config trays first), e.g. after a failed step. */
  async closeAllTrays(): Promise<void> {
    const dialogCancel = this.page.locator("#red-ui-clipboard-dialog-cancel:visible");
    if (await dialogCancel.count()) await dialogCancel.click().catch(() => undefined);
    for (let i = 0; i < 5; i++) {
      if ((await this.page.locator(".red-ui-tray").count()) === 0) return;
      const cancel = this.page.locator("#node-config-dialog-cancel, #node-dialog-cancel").last();
      if (await cancel.count()) await cancel.click({ force: true }).catch(() => undefined);
      else await this.page.evaluate(() => RED.tray.close());
      await this.page.waitForTimeout(400);
    }
  }

  /** Deploy and wait for the editor to be idle again (not dirty, spinner gone, full-page shade hidden). */
  async deploy(): Promise<void> {
    if (!(await this.page.evaluate(() => RED.nodes.dirty()))) throw new Error("deploy: nothing to deploy (the editor is not dirty)");
    const rev = (await this.deployedFlows()).rev;
    await this.page.locator("#red-ui-header-button-deploy").click();
    await this.page.waitForFunction(
      () => !RED.nodes.dirty() && $(".red-ui-deploy-button-spinner").is(":hidden") && $("#red-ui-full-shade").is(":hidden"),
    );
    if ((await this.deployedFlows()).rev === rev) throw new Error("deploy: the runtime's flows did not change");
  }

  async clickInject(id: string): Promise<void> {
    await this.nodeG(id).locator("g.red-ui-flow-node-button").click();
  }

  /** Show the debug messages (stacked in Node-RED 5's sidebar; a tab in 4). */
  async showDebug(): Promise<void> {
    if (!(await this.page.locator(".red-ui-debug-content").first().isVisible())) {
      await this.page.evaluate(() => RED.actions.invoke("core:show-debug-tab"));
    }
  }

  async clearDebug(): Promise<void> {
    await this.page.evaluate(() => RED.actions.invoke("core:clear-debug-messages"));
  }

  debugMessages(): Locator {
    return this.page.locator(".red-ui-debug-content-list .red-ui-debug-msg");
  }

  /** Wait for at least n debug messages; their texts (name line + payload). */
  async waitDebug(n: number, timeout = 15_000): Promise<string[]> {
    await this.showDebug();
    await this.page.waitForFunction((n) => document.querySelectorAll(".red-ui-debug-content-list .red-ui-debug-msg").length >= n, n, {
      timeout,
    });
    return this.debugMessages().allInnerTexts();
  }

  /**
   * Import flow JSON into the active tab (placed, not stuck to the mouse); keeps the ids unless generateIds.
   * applyNodeDefaults fills properties the JSON leaves out with the node type's defaults (for hand-written
   * fixtures; the examples are imported as they are).
   */
  async importNodes(nodes: unknown[], { generateIds = false, applyNodeDefaults = false } = {}): Promise<void> {
    await this.page.evaluate(
      ([nodes, generateIds, applyNodeDefaults]) => {
        RED.view.importNodes(nodes, { generateIds, touchImport: true, notify: false, applyNodeDefaults });
        // an import into a clean workspace does not always enable Deploy
        RED.nodes.dirty(true);
      },
      [nodes, generateIds, applyNodeDefaults] as const,
    );
    await this.clickEmptyCanvas();
  }

  /** Sets a config node's API key as its dialog would (the key typed, the node marked changed). */
  async setApiKey(configId: string, key: string): Promise<void> {
    await this.page.evaluate(
      ([id, key]) => {
        const c = RED.nodes.node(id);
        c.credentials = { apiKey: key, has_apiKey: true };
        c.changed = true;
        RED.nodes.dirty(true);
      },
      [configId, key] as const,
    );
  }

  /** A new empty tab, shown. */
  async addTab(label: string): Promise<string> {
    return this.page.evaluate((label) => {
      const ws = RED.workspaces.add();
      RED.workspaces.show(ws.id);
      ws.label = label;
      RED.workspaces.refresh?.();
      return ws.id;
    }, label);
  }

  /** The deployed flows as the runtime has them (GET /flows, v2). */
  async deployedFlows(): Promise<{ flows: any[]; rev: string }> {
    const res = await fetch(new URL("flows", this.nrUrl), { headers: { "Node-RED-API-Version": "v2" } });
    return (await res.json()) as { flows: any[]; rev: string };
  }

  /** Deployed flows as raw text (for leak checks). */
  async deployedFlowsText(): Promise<string> {
    const res = await fetch(new URL("flows", this.nrUrl), { headers: { "Node-RED-API-Version": "v2" } });
    return res.text();
  }
}

/**
 * The alt text the README gives the screenshot docs/screenshots/<file> (the browser tests that take a README
 * screenshot check that it shows what this text and the README say: test/e2e/docs-screenshots.mjs copies them).
 */
export function readmeAlt(file: string): string {
  const readme = fs.readFileSync(path.join(repoRoot, "README.md"), "utf8");
  const m = new RegExp(`!\\[([^\\]]+)\\]\\(docs/screenshots/${file.replace(/\./g, "\\.")}\\)`).exec(readme);
  if (!m) throw new Error(`README.md shows no docs/screenshots/${file}`);
  return m[1];
}

/** Read a JSON locale file of the repo (at test time, so translations added while tests are written count). */
export function localeJson(lang: string, file: string): any {
  const p = path.join(repoRoot, "locales", lang, `${file}.json`);
  if (!fs.existsSync(p)) throw new Error(`locales/${lang}/${file}.json does not exist`);
  return JSON.parse(fs.readFileSync(p, "utf8"));
}

export function localeText(lang: string, file: string): string {
  const p = path.join(repoRoot, "locales", lang, `${file}.html`);
  if (!fs.existsSync(p)) throw new Error(`locales/${lang}/${file}.html does not exist`);
  return fs.readFileSync(p, "utf8");
}

/** The examples shipped with the package: [file name, flow]. */
export function examples(): Array<[string, any[]]> {
  const dir = path.join(repoRoot, "examples");
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => [f, JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"))] as [string, any[]]);
}
