// Starting a throwaway Node-RED and knowing when it is up: `npm start`, the package test and the browser tests.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A port of 127.0.0.1 that nothing listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Whether a TCP port of 127.0.0.1 can be listened on right now (`npm start` checks its ports before it touches anything). */
export function portFree(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** Node-RED's own words when it cannot bind its port ("Error: port in use", or Node's EADDRINUSE). */
export const portWasTaken = (log) => log.some((line) => /port in use|EADDRINUSE/i.test(line));

/** GET `url` until it answers 200; throws when `proc.exited()` (with the last lines of `proc.log`) or after `timeoutMs`. */
export async function untilAnswering(url, proc, timeoutMs = 60_000) {
  const tail = () => proc.log.slice(-30).join("\n");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exited()) throw new Error(`Node-RED exited before answering on ${url}:\n${tail()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`Node-RED did not answer on ${url} within ${timeoutMs / 1000} s:\n${tail()}`);
    await sleep(100);
  }
}

/**
 * Start Node-RED on a free port and wait until its editor answers. The port is free when chosen, but another
 * process may bind it before Node-RED does: when Node-RED exits saying so, the next try takes another port.
 * `spawnOn(port)` starts it and returns `{ exited(), log }`; `pickPort` is there for the test of this retry.
 */
export async function startOnFreePort(spawnOn, { tries = 3, timeoutMs = 60_000, pickPort = freePort } = {}) {
  for (let attempt = 1; ; attempt++) {
    const port = await pickPort();
    const url = `http://127.0.0.1:${port}/`;
    const proc = await spawnOn(port);
    try {
      await untilAnswering(url, proc, timeoutMs);
      return { proc, port, url };
    } catch (err) {
      if (attempt < tries && proc.exited() && portWasTaken(proc.log)) continue;
      throw err;
    }
  }
}

/**
 * red.js of `nodeRedDir` on `node` (default: this Node; `nodeArgs` before red.js, e.g. --expose-gc), directly rather than through npx, so that the PID is
 * Node-RED's own and stopping it stops Node-RED. Its output is collected line by line in `log`.
 */
export function spawnNodeRed({ nodeRedDir, userDir, port, node = process.execPath, nodeArgs = [], env = process.env }) {
  const redJs = join(nodeRedDir, "red.js");
  if (!existsSync(redJs)) throw new Error(`no red.js in ${nodeRedDir}`);
  const child = spawn(node, [...nodeArgs, redJs, "-u", userDir, "-p", String(port)], {
    cwd: userDir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let exited = false;
  child.on("exit", () => {
    exited = true;
  });
  const log = [];
  for (const stream of [child.stdout, child.stderr]) {
    let rest = "";
    stream.setEncoding("utf8");
    stream.on("data", (text) => {
      const lines = (rest + text).split("\n");
      rest = lines.pop() ?? "";
      log.push(...lines);
    });
  }
  return { child, log, exited: () => exited };
}

/** SIGTERM, and SIGKILL when it has not exited after `graceMs`. */
export async function stopNodeRed(proc, graceMs = 10_000) {
  if (proc.exited()) return;
  proc.child.kill("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (!proc.exited() && Date.now() < deadline) await sleep(100);
  if (!proc.exited()) {
    proc.child.kill("SIGKILL");
    while (!proc.exited()) await sleep(50);
  }
}
