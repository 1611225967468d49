#!/usr/bin/env node
/**
 * The browser e2e suite: mocha (test/e2e/.mocharc.json) on Node 22 against Node-RED 5 (both from
 * scripts/runtime.mjs, fetched into .cache/ on first use), driving Debian's Chromium through playwright-core.
 *
 *   node test/e2e/run.mjs [mocha args, e.g. --grep palette]
 *
 * Writes the counts for scripts/test-all.mjs to $TEST_COUNTS_FILE (count reporter) and ends with
 * `N passed, N failed`. Screenshots: test-results/screenshots/. Without Chromium this fails loudly (1 failed),
 * it never skips. Env: CHROMIUM (default /usr/bin/chromium), E2E_KEEP=1, E2E_HEADED=1, E2E_CPU_THROTTLE=N.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { ensureNode22, ensureNodeRed5, nodeRedVersion, nodeVersion, repoRoot } from "../../scripts/runtime.mjs";

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const MOCHA = join(repoRoot, "node_modules", "mocha", "bin", "mocha.js");
const REPORTER = join(repoRoot, "test", "support", "count-reporter.cjs");

function failLoudly(message) {
  console.log(`\n!! browser e2e: ${message}`);
  if (process.env.TEST_COUNTS_FILE)
    writeFileSync(process.env.TEST_COUNTS_FILE, JSON.stringify({ passed: 0, failed: 1, pending: 0 }) + "\n");
  console.log("0 passed, 1 failed");
  process.exit(1);
}

if (!existsSync(CHROMIUM)) {
  failLoudly(
    `Chromium not found at ${CHROMIUM}. Install it: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium ` +
      "(or set CHROMIUM to a Chromium binary). Never `npx playwright install`: playwright-core drives the system Chromium.",
  );
}

let node, nodeRedDir;
try {
  node = ensureNode22();
  nodeRedDir = ensureNodeRed5();
} catch (err) {
  failLoudly(err instanceof Error ? err.message : String(err));
}
console.log(`== browser e2e: Node-RED ${nodeRedVersion(nodeRedDir)} on Node ${nodeVersion(node)}, ${CHROMIUM} ==`);

// Counts go to our own file first, so the summary line below can be printed whatever the caller.
const dir = mkdtempSync(join(tmpdir(), "images-api-e2e-counts-"));
const countsFile = join(dir, "counts.json");
const env = {
  ...process.env,
  NODE_RED_PATH: nodeRedDir,
  CHROMIUM,
  TEST_COUNTS_FILE: countsFile,
  // Node 22 first on PATH: `npm run build` (when dist/ is stale) runs on it too
  PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ""}`,
};
const started = Date.now();
const child = spawn(node, [MOCHA, "--config", join("test", "e2e", ".mocharc.json"), "--reporter", REPORTER, ...process.argv.slice(2)], {
  cwd: repoRoot,
  stdio: "inherit",
  env,
});
const forward = (sig) => child.kill(sig);
process.once("SIGINT", forward);
process.once("SIGTERM", forward);
child.on("exit", (code, signal) => {
  let counts;
  try {
    counts = JSON.parse(readFileSync(countsFile, "utf8"));
  } catch {
    counts = null;
  }
  rmSync(dir, { recursive: true, force: true });
  if (!counts) {
    console.log(`!! browser e2e: mocha exited with ${code ?? signal} without reporting counts (crashed)`);
    counts = { passed: 0, failed: 1, pending: 0 };
  } else if (code !== 0 && counts.failed === 0) {
    console.log(`!! browser e2e: mocha exited with ${code ?? signal} although no test failed (crashed)`);
    counts.failed = 1;
  }
  if (process.env.TEST_COUNTS_FILE) writeFileSync(process.env.TEST_COUNTS_FILE, JSON.stringify(counts) + "\n");
  console.log(`browser e2e took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`${counts.passed} passed, ${counts.failed} failed`);
  process.exit(counts.failed > 0 ? 1 : 0);
});
