#!/usr/bin/env node
/**
 * `npm start`: try the nodes locally, no API key and no network needed.
 *
 *   1. builds dist/ and the editor script (resources/images-api-editor.js) when missing or older than src/, locales/,
 *      icons/ (scripts/dist-state.mjs)
 *   2. starts the local Images API test server (test/server/cli.ts, port 18180 or $IMAGES_API_PORT)
 *   3. prepares the Node-RED user dir .cache/demo (or $IMAGES_API_DEMO_DIR): settings.js on every start; on the
 *      first start (or with `--reset`) flows.json made from every examples/*.json, one tab each, "Generate an
 *      image" first, every image node on one shared config node pointed at the test server. After that the flows
 *      are the user's: never rewritten (only the demo config node's base URL follows the test server's port, while
 *      it is the one seeded). `--reset` keeps the old flows as flows.json.<time>.bak. The package loads straight
 *      from this repo (settings.nodesDir).
 *   4. starts Node-RED 5 on Node 22 (downloaded into .cache/ on first use; `--nr4`: Node-RED 4 on this Node)
 *      on http://127.0.0.1:1880/ (or $PORT), until Ctrl+C.
 *
 * Before anything is built, written or started: a demo already running on the same user dir (its lock file, with
 * a live PID) or a port already taken (PORT, IMAGES_API_PORT) stops the start with the cause and what to do.
 *
 * `--check`: the same in a temporary user dir on free ports, then POST /inject/<id> for every inject node,
 * wait for the requests to finish, and exit 0 only when the test server got at least one image request,
 * Node-RED logged no error, and each example with Delivery: batch delivered its batch (see checkBatchDelivery).
 *
 * For the demo the config nodes ask for a batch's status every DEMO_BATCH_POLL seconds (not after 30 s, doubling
 * up to 5 minutes), and the test server refuses prompts matching DEMO_BLOCKED_PROMPTS as moderation_blocked, so
 * that the batch example's failure report has a line.
 */
import { spawn } from "node:child_process";
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve as resolvePath } from "node:path";
import { createInterface } from "node:readline";
import { checkBatchDelivery, fetchEndpoints, injectAll, say, sleep, startCountingProxy, writtenImages } from "./demo-check.mjs";
import { buildFlows, CONFIG_TYPE, DEMO_BATCH_POLL, DEMO_BLOCKED_PROMPTS, DEMO_CONFIG_ID, exampleFiles } from "./demo-flows.mjs";
import { ensureBuilt } from "./dist-state.mjs";
import { nodeRedSettings } from "./node-red-settings.mjs";
import { portFree, portWasTaken, startOnFreePort, untilAnswering } from "./node-red-process.mjs";
import { cacheDir, ensureNode22, ensureNodeRed5, nodeRed4Dir, nodeRedVersion, nodeVersion, repoRoot } from "./runtime.mjs";

const args = process.argv.slice(2);
const USAGE = "usage: npm start [-- --nr4] [-- --reset] [-- --check]   (env: PORT, IMAGES_API_PORT, IMAGES_API_DEMO_DIR)";
for (const a of args) {
  if (!["--check", "--nr4", "--reset", "--help", "-h"].includes(a)) {
    console.error(`unknown argument ${a} (${USAGE})`);
    process.exit(2);
  }
}
if (args.includes("--help") || args.includes("-h")) {
  console.log(USAGE);
  process.exit(0);
}
const CHECK = args.includes("--check");
const NR4 = args.includes("--nr4");
const RESET = args.includes("--reset");
/** what the last start seeded (the demo config node's base URL), next to flows.json */
const SEED_FILE = ".demo-seed.json";
/** present while a demo runs on the user dir: {pid, editor, api} */
const LOCK_FILE = ".demo-running.json";
const CREDENTIAL_SECRET = "demo-only";
const DEMO_API_KEY = "sk-demo";

// ---------------------------------------------------------------------------------------------------------------
// child processes

const children = new Set();

/** Spawn with stdout/stderr forwarded line by line behind `prefix`; `onLine` sees every line. */
function startChild(name, cmd, cmdArgs, { cwd = repoRoot, onLine } = {}) {
  if (stopping) throw new Error(`not starting ${name}: stopping`);
  const child = spawn(cmd, cmdArgs, { cwd, stdio: ["ignore", "pipe", "pipe"], env: process.env });
  const info = { name, child, exited: false, code: null, signal: null };
  child.on("exit", (code, signal) => Object.assign(info, { exited: true, code, signal }));
  child.on("error", (err) => {
    console.error(`[${name}] ${err.message}`);
    Object.assign(info, { exited: true, code: 1 });
  });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => {
      console.log(`[${name}] ${line}`);
      onLine?.(line);
    });
  }
  children.add(info);
  return info;
}

async function stopChild(info, timeoutMs = 10_000) {
  if (info.exited) return;
  info.child.kill("SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (!info.exited && Date.now() < deadline) await sleep(100);
  if (!info.exited) {
    info.child.kill("SIGKILL");
    while (!info.exited) await sleep(50);
  }
}

let stopping = null;
function stopAll() {
  stopping ??= Promise.all([...children].map((c) => stopChild(c)));
  return stopping;
}

// ---------------------------------------------------------------------------------------------------------------
// test server

async function startTestServer(port) {
  let url = null;
  let taken = false;
  const tsx = join(repoRoot, "node_modules", ".bin", process.platform === "win32" ? "tsx.cmd" : "tsx");
  const info = startChild("images-api", tsx, ["test/server/cli.ts", "--port", String(port), "--block-prompts", DEMO_BLOCKED_PROMPTS], {
    onLine: (line) => {
      taken ||= /EADDRINUSE/.test(line);
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m) url = m[1].replace(/\/+$/, "");
    },
  });
  const deadline = Date.now() + 30_000;
  while (!url) {
    if (info.exited && taken)
      throw new Error(
        `port ${port} (IMAGES_API_PORT) was taken just now by another program: stop it, or start with ${demoCommand({ IMAGES_API_PORT: await nextFreePort(port) })}`,
      );
    if (info.exited) throw new Error(`the Images API test server exited (${info.code ?? info.signal}) before listening`);
    if (Date.now() > deadline) throw new Error("the Images API test server did not report its URL within 30 s");
    await sleep(50);
  }
  return { info, url };
}

// ---------------------------------------------------------------------------------------------------------------
// Node-RED user dir

/** flows_cred.json encrypted as Node-RED does (aes-256-ctr, key = sha256(credentialSecret)). */
function encryptCredentials(creds) {
  const key = createHash("sha256").update(CREDENTIAL_SECRET).digest();
  const iv = randomBytes(16);
  const cipher = createCipheriv("aes-256-ctr", key, iv);
  return { $: iv.toString("hex") + cipher.update(JSON.stringify(creds), "utf8", "base64") + cipher.final("base64") };
}

const readJson = (file) => {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
};

/**
 * settings.js (ours, on every start); flows.json and flows_cred.json only when there are none yet, or with
 * --reset (the old ones kept as .bak). Flows that exist are the user's: only the demo config node's base URL is
 * set to the test server's, and only while it is still the URL this script seeded (the user may have pointed it
 * elsewhere). The flows Node-RED will run.
 */
function prepareUserDir(userDir, baseUrl, { reset = false } = {}) {
  mkdirSync(userDir, { recursive: true });
  writeFileSync(
    join(userDir, "settings.js"),
    // context on disk: a batch pending when the demo stops is delivered after the next start (and the batch
    // example does not warn that a restart would lose it)
    nodeRedSettings({
      userDir,
      credentialSecret: CREDENTIAL_SECRET,
      repoRoot,
      fileContext: true,
      writtenBy: `scripts/start.mjs on every start: a local demo of ${basename(repoRoot)}`,
    }),
  );
  const flowsFile = join(userDir, "flows.json");
  const credFile = join(userDir, "flows_cred.json");
  const seedFile = join(userDir, SEED_FILE);
  const hasFlows = existsSync(flowsFile);
  const existing = hasFlows ? readJson(flowsFile) : undefined;
  if (hasFlows && !reset) {
    if (!Array.isArray(existing)) {
      throw new Error(
        `${flowsFile} is not a flows file Node-RED can read; fix it, or start with --reset for a fresh demo (it is kept as a .bak)`,
      );
    }
    const seed = readJson(seedFile) ?? {};
    const config = existing.find((n) => n.id === seed.configId && n.type === CONFIG_TYPE);
    if (config && config.baseUrl === seed.baseUrl && seed.baseUrl !== baseUrl) {
      config.baseUrl = baseUrl;
      writeFileSync(flowsFile, JSON.stringify(existing, null, 4) + "\n");
      writeFileSync(seedFile, JSON.stringify({ ...seed, baseUrl }, null, 2) + "\n");
      say(`your flows are kept; the demo config node "${config.name}" now points at ${baseUrl} (was ${seed.baseUrl})`);
    } else say(`your flows are kept (${flowsFile}); "npm start -- --reset" starts a fresh demo`);
    const have = new Set(existing.filter((n) => n.type === "tab").map((n) => n.info));
    const missing = exampleFiles().filter((f) => !have.has(`From examples/${f}`));
    if (missing.length) {
      say(`examples not in your flows: ${missing.join(", ")} (Import > Examples > ${basename(repoRoot)}, or --reset)`);
    }
    return existing;
  }
  if (hasFlows) {
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    for (const f of [flowsFile, credFile]) if (existsSync(f)) renameSync(f, `${f}.${stamp}.bak`);
    say(`--reset: your flows are kept as ${basename(flowsFile)}.${stamp}.bak`);
  }
  const { flows, files } = buildFlows(baseUrl);
  writeFileSync(flowsFile, JSON.stringify(flows, null, 4) + "\n");
  writeFileSync(credFile, JSON.stringify(encryptCredentials({ [DEMO_CONFIG_ID]: { apiKey: DEMO_API_KEY } })) + "\n");
  writeFileSync(seedFile, JSON.stringify({ configId: DEMO_CONFIG_ID, baseUrl }, null, 2) + "\n");
  say(
    `flows.json: ${files.length} example(s) (${files.join(", ") || "none"}), one config node -> ${baseUrl}` +
      ` (batch status every ${DEMO_BATCH_POLL} s)`,
  );
  return flows;
}

// ---------------------------------------------------------------------------------------------------------------
// a demo already running, ports already taken: found before anything is touched

/** The lock of a demo running on `userDir` ({pid, editor, api}), or undefined (none, or its process is gone). */
function runningDemo(userDir) {
  const lock = readJson(join(userDir, LOCK_FILE));
  if (!lock || !Number.isInteger(lock.pid) || lock.pid === process.pid) return undefined;
  try {
    process.kill(lock.pid, 0);
  } catch (err) {
    if (err.code !== "EPERM") return undefined; // no such process: a demo that was killed
  }
  // a PID taken over by another program since (Linux: its command line says)
  try {
    if (!readFileSync(`/proc/${lock.pid}/cmdline`, "utf8").includes("start.mjs")) return undefined;
  } catch {
    /* no /proc: trust the PID */
  }
  return lock;
}

/** Writes the lock (exclusively: of two starts at once, one wins); false when another demo holds it. */
function takeLock(userDir, lock) {
  mkdirSync(userDir, { recursive: true });
  const file = join(userDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(lock) + "\n", { flag: "wx" });
      lockFile = file;
      return true;
    } catch (err) {
      if (err.code !== "EEXIST") throw err;
      if (runningDemo(userDir)) return false;
      rmSync(file, { force: true }); // stale
    }
  }
  return false;
}

let lockFile = null;
function releaseLock() {
  if (!lockFile) return;
  try {
    if (readJson(lockFile)?.pid === process.pid) unlinkSync(lockFile);
  } catch {
    /* gone already */
  }
  lockFile = null;
}

async function nextFreePort(port, not = []) {
  for (let p = port + 1; p < port + 100 && p < 65536; p++) if (!not.includes(p) && (await portFree(p))) return p;
  return port + 1;
}

/** The command line that starts this demo again with `change` to its environment (the user's own settings kept). */
function demoCommand(change) {
  const env = {};
  for (const k of ["IMAGES_API_DEMO_DIR", "PORT", "IMAGES_API_PORT"]) if (process.env[k]) env[k] = process.env[k];
  Object.assign(env, change);
  return `${Object.entries(env)
    .map(([k, v]) => `${k}=${v} `)
    .join("")}npm start${NR4 ? " -- --nr4" : ""}`;
}

/**
 * Why this demo cannot start, with the command that would, or undefined. Looks at the user dir's lock first (a
 * running demo answers on its ports, so they would look merely "taken"), then at both ports.
 */
async function whyNotStart(userDir, port, apiPort) {
  const other = runningDemo(userDir);
  if (other) {
    return (
      `the demo is already running (PID ${other.pid}): open ${other.editor} ` +
      `(its test server: ${other.api}). Stop it with Ctrl+C in its terminal first; nothing was changed here.`
    );
  }
  const taken = [];
  if (!(await portFree(port))) taken.push(["PORT", port, "the Node-RED editor", "another Node-RED?"]);
  if (!(await portFree(apiPort)))
    taken.push(["IMAGES_API_PORT", apiPort, "the Images API test server", "another demo in another directory?"]);
  if (!taken.length) return undefined;
  const env = {};
  for (const [name, p] of taken) env[name] = await nextFreePort(p, [port, apiPort, ...Object.values(env)]);
  const what = taken.map(([name, p, role]) => `port ${p} (${name}, for ${role})`).join(" and ");
  const guess = taken.map((t) => t[3]).join(" ");
  return (
    `${what} ${taken.length > 1 ? "are" : "is"} in use by another program (${guess}): stop it, or start with ` +
    `${demoCommand(env)}. Nothing was changed.`
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Node-RED

/**
 * Node-RED on `port`, or in --check mode on a free port (another one if it was taken meanwhile).
 * `log` gets the lines of the Node-RED that answered.
 */
async function startNodeRed(node, nrDir, userDir, log, port) {
  const spawnOn = (port) => {
    log.length = 0;
    const info = startChild("node-red", node, [join(nrDir, "red.js"), "-u", userDir, "-p", String(port)], {
      cwd: userDir,
      onLine: (line) => log.push(line),
    });
    return { log, exited: () => info.exited };
  };
  if (CHECK) return startOnFreePort(spawnOn);
  const url = `http://127.0.0.1:${port}/`;
  try {
    await untilAnswering(url, spawnOn(port));
  } catch (err) {
    if (portWasTaken(log))
      throw new Error(
        `port ${port} (PORT) was taken just now by another program: stop it, or start with ${demoCommand({ PORT: await nextFreePort(port) })}`,
        { cause: err },
      );
    throw err;
  }
  return { port, url };
}

// ---------------------------------------------------------------------------------------------------------------

async function main() {
  const port = Number(process.env.PORT || 1880);
  const apiPort = CHECK ? 0 : Number(process.env.IMAGES_API_PORT || 18180);
  const userDir = CHECK
    ? mkdtempSync(join(tmpdir(), "images-api-demo-check-"))
    : resolvePath(process.env.IMAGES_API_DEMO_DIR || join(cacheDir, "demo"));
  cleanupDir = CHECK ? userDir : null;
  if (!CHECK) {
    const why = await whyNotStart(userDir, port, apiPort);
    if (why) {
      console.error(`[start] ${why}`);
      return 1;
    }
    if (!takeLock(userDir, { pid: process.pid, editor: `http://127.0.0.1:${port}/`, api: `http://127.0.0.1:${apiPort}/v1` })) {
      console.error(`[start] ${(await whyNotStart(userDir, port, apiPort)) ?? "another demo started on this user dir just now"}`);
      return 1;
    }
  }

  ensureBuilt(repoRoot, say);
  const node = NR4 ? process.execPath : ensureNode22();
  const nrDir = NR4 ? nodeRed4Dir() : ensureNodeRed5();
  say(`Node-RED ${nodeRedVersion(nrDir)} on Node ${nodeVersion(node)}`);

  const server = await startTestServer(apiPort);
  const proxy = CHECK ? await startCountingProxy(server.url) : null;
  const baseUrl = proxy ? proxy.url : server.url;

  const log = [];
  let exitCode = 0;
  try {
    const flows = prepareUserDir(userDir, baseUrl, { reset: RESET });
    const nr = await startNodeRed(node, nrDir, userDir, log, port);

    if (!CHECK) {
      const bar = "=".repeat(72);
      console.log(
        `\n${bar}\n  Node-RED editor:        ${nr.url}\n  Images API test server: ${server.url}` +
          `  (any API key works)\n  User dir:               ${userDir}  (your flows are kept; npm start -- --reset: a fresh demo)` +
          `\n\n  Press Ctrl+C to stop\n${bar}\n`,
      );
      // Run until Ctrl+C/SIGTERM (handled in onSignal below, which exits) or until a child dies on its own.
      await new Promise((resolve) => {
        const watch = setInterval(() => {
          if (stopping) return;
          const dead = [...children].find((c) => c.exited);
          if (dead) {
            say(`${dead.name} exited (${dead.code ?? dead.signal}): stopping`);
            exitCode = 1;
            clearInterval(watch);
            resolve();
          }
        }, 250);
      });
      return exitCode;
    }

    // --check
    const injected = await injectAll(nr.url, flows);
    say(`injected ${injected.length} inject node(s); waiting for the requests to finish`);
    await sleep(1000);
    const deadline = Date.now() + 60_000;
    while (proxy.idleFor() < 2_000 && Date.now() < deadline) await sleep(200);
    await sleep(500);
    const endpoints = await fetchEndpoints(nr.url, flows);
    const wantFiles = flows.some((n) => n.type === "file" && !n.d);
    const batches = await checkBatchDelivery(flows, userDir, proxy);
    for (const [passed, text] of batches) say(`${text}${passed ? "" : " NOT AS EXPECTED"}`);
    const files = writtenImages(userDir);
    if (wantFiles)
      say(
        `file nodes wrote ${files.length} image file(s)${files.length ? ": " + files.map((f) => f.slice(userDir.length + 1)).join(", ") : ""}`,
      );
    await sleep(300);
    const imageRequests = proxy.seen.filter((r) => /\/images\/(generations|edits)$/.test(r.path.split("?")[0]));
    const errors = log.filter((l) => /\[error\]/i.test(l));
    say(
      `test server got ${proxy.seen.length} request(s), ${imageRequests.length} image request(s): ` +
        (imageRequests.map((r) => `${r.method} ${r.path} -> ${r.status}`).join("; ") || "none"),
    );
    say(`Node-RED logged ${errors.length} error line(s)${errors.length ? ":\n  " + errors.join("\n  ") : ""}`);
    const ok =
      injected.length > 0 &&
      imageRequests.length > 0 &&
      errors.length === 0 &&
      endpoints.every(Boolean) &&
      (!wantFiles || files.length > 0) &&
      batches.every(([passed]) => passed);
    say(ok ? "check passed" : "check FAILED");
    await proxy.close();
    return ok ? 0 : 1;
  } finally {
    await stopAll();
    cleanup();
  }
}

let cleanupDir = null;
function cleanup() {
  releaseLock();
  if (cleanupDir) rmSync(cleanupDir, { recursive: true, force: true });
  cleanupDir = null;
}
process.on("exit", releaseLock);

// Ctrl+C / SIGTERM at any point: stop both children (they may have got the terminal's SIGINT too), then exit.
async function onSignal(sig) {
  say(`${sig}: stopping Node-RED and the test server`);
  await stopAll();
  cleanup();
  process.exit(CHECK ? 1 : 0);
}
process.once("SIGINT", onSignal);
process.once("SIGTERM", onSignal);

main().then(
  (code) => process.exit(code),
  async (err) => {
    console.error(`[start] ${err instanceof Error ? err.message : err}`);
    await stopAll();
    cleanup();
    process.exit(1);
  },
);
