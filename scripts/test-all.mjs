#!/usr/bin/env node
/**
 * `npm test`: every check of the project, one stage after the other, then a summary.
 *
 *   build      npm run build                     (1 check)
 *   typecheck  npm run typecheck                 (1 check)
 *   lint       ESLint and Prettier --check       (2 checks)
 *   nr4        mocha on this Node (20) against Node-RED 4 (the devDependency)
 *   nr5        mocha on Node 22 against Node-RED 5 (both from scripts/runtime.mjs, installed into .cache/ on first use)
 *   browser    headless Chromium drives the Node-RED 5 editor (test/e2e/run.mjs; EXTRA_STAGES below)
 *   bench      `npm run bench -- --quick`, every section checked (test/bench-smoke.mjs)
 *
 * Arguments after `--` go to mocha: `npm test -- --grep retry`.
 * TEST_STAGES=nr4,nr5 runs only those stages (comma-separated names).
 * The last line printed is always `N passed, N failed` (totals); exit code 1 when anything failed or a stage
 * crashed (a crashed stage counts as 1 failed).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { ensureNode22, ensureNodeRed5, nodeRed4Dir, nodeRedVersion, nodeVersion, repoRoot } from "./runtime.mjs";

const MOCHA = join(repoRoot, "node_modules", "mocha", "bin", "mocha.js");
const REPORTER = join(repoRoot, "test", "support", "count-reporter.cjs");
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const mochaArgs = process.argv.slice(2);

/** Run a command with inherited stdio; resolves to {code, signal}. */
function run(cmd, args, { env = process.env, cwd = repoRoot } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: "inherit", env, cwd });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
}

/** A command that counts as one check: passed when it exits 0. */
async function commandCheck(cmd, args, opts) {
  const { code, signal } = await run(cmd, args, opts);
  if (code === 0) return { passed: 1, failed: 0, pending: 0 };
  console.log(`\n!! "${[cmd, ...args].join(" ")}" exited with ${code ?? signal}`);
  return { passed: 0, failed: 1, pending: 0 };
}

/**
 * Run a command that writes {passed, failed, pending} JSON to $TEST_COUNTS_FILE (the count reporter does).
 * No file, or a non-zero exit with no failure counted, means the command crashed: counted as 1 more failure.
 */
async function runWithCounts(cmd, args, { env = process.env, cwd = repoRoot } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "images-api-counts-"));
  const file = join(dir, "counts.json");
  try {
    const { code, signal } = await run(cmd, args, { env: { ...env, TEST_COUNTS_FILE: file }, cwd });
    let counts = null;
    if (existsSync(file)) {
      try {
        const c = JSON.parse(readFileSync(file, "utf8"));
        counts = { passed: c.passed | 0, failed: c.failed | 0, pending: c.pending | 0 };
      } catch {
        counts = null;
      }
    }
    if (!counts) {
      console.log(`\n!! ${cmd} ${args.join(" ")}: exited with ${code ?? signal} without reporting counts (crashed)`);
      return { passed: 0, failed: 1, pending: 0, crashed: true };
    }
    if (code !== 0 && counts.failed === 0) {
      console.log(`\n!! ${cmd} ${args.join(" ")}: exited with ${code ?? signal} although no test failed (crashed)`);
      return { ...counts, failed: 1, crashed: true };
    }
    return counts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The mocha suite (.mocharc.json) on `node`, against the Node-RED in `nodeRedDir`. */
async function mochaStage({ node, nodeRedDir, env }) {
  console.log(`== mocha: Node-RED ${nodeRedVersion(nodeRedDir)} on Node ${nodeVersion(node)} ==`);
  return runWithCounts(node, [MOCHA, "--reporter", REPORTER, ...mochaArgs], { env });
}

function envWithout(...names) {
  const env = { ...process.env };
  for (const n of names) delete env[n];
  return env;
}

// ===========================================================================================================
// EXTRA STAGES: further stages go here and run after nr5, e.g. the browser e2e test:
//   { name: "e2e", async run() { console.log("== browser e2e: ... =="); return runWithCounts(node, [script], {env}); } }
// Each is {name, run(): Promise<{passed, failed, pending}>}; runWithCounts(cmd, args, {env}) runs a script that
// writes {passed, failed, pending} JSON to $TEST_COUNTS_FILE. Selectable with TEST_STAGES like the others.
// ===========================================================================================================
const EXTRA_STAGES = [
  {
    // Browser e2e (test/e2e): Node-RED 5 on Node 22 in a temp user dir, the local Images API test server, Debian's
    // Chromium driven by playwright-core. Without Chromium it counts as 1 failed (never skipped).
    name: "browser",
    async run() {
      return runWithCounts(process.execPath, [join(repoRoot, "test", "e2e", "run.mjs"), ...mochaArgs]);
    },
  },
  {
    // `npm run bench -- --quick` (~15 s on Node 22) and checks of what each section measured (test/bench-smoke.mjs).
    name: "bench",
    async run() {
      return runWithCounts(process.execPath, [join(repoRoot, "test", "bench-smoke.mjs")]);
    },
  },
];

const STAGES = [
  {
    name: "build",
    async run() {
      console.log("== npm run build ==");
      return commandCheck(NPM, ["run", "build"]);
    },
  },
  {
    name: "typecheck",
    async run() {
      console.log("== npm run typecheck ==");
      return commandCheck(NPM, ["run", "typecheck"]);
    },
  },
  {
    // the house rules: ESLint (eslint.config.mjs) and Prettier's formatting (.prettierrc.json), one check each
    name: "lint",
    async run() {
      console.log("== npm run lint ==");
      const eslint = await commandCheck(NPM, ["run", "lint:eslint"]);
      const prettier = await commandCheck(NPM, ["run", "lint:format"]);
      return { passed: eslint.passed + prettier.passed, failed: eslint.failed + prettier.failed, pending: 0 };
    },
  },
  {
    name: "nr4",
    async run() {
      // test/support/node-red.ts falls back to the devDependency when NODE_RED_PATH is unset.
      return mochaStage({ node: process.execPath, nodeRedDir: nodeRed4Dir(), env: envWithout("NODE_RED_PATH") });
    },
  },
  {
    name: "nr5",
    async run() {
      console.log("== Node 22 + Node-RED 5 from .cache/ (installed on first use, ~200 MB) ==");
      const node = ensureNode22();
      const nodeRedDir = ensureNodeRed5();
      // Node 22 first on PATH: `npm`/`node` spawned by tests (package.spec.ts) run on it too.
      const env = {
        ...process.env,
        NODE_RED_PATH: nodeRedDir,
        PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ""}`,
      };
      return mochaStage({ node, nodeRedDir, env });
    },
  },
  ...EXTRA_STAGES,
];

function selectStages() {
  const wanted = (process.env.TEST_STAGES ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (wanted.length === 0) return STAGES;
  const known = STAGES.map((s) => s.name);
  const unknown = wanted.filter((w) => !known.includes(w));
  if (unknown.length) {
    console.log(`TEST_STAGES: unknown stage(s) ${unknown.join(", ")}; known: ${known.join(", ")}`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
  return STAGES.filter((s) => wanted.includes(s.name));
}

async function main() {
  const results = [];
  for (const stage of selectStages()) {
    const started = Date.now();
    let r;
    try {
      r = await stage.run();
    } catch (err) {
      console.log(`\n!! stage ${stage.name} crashed: ${err instanceof Error ? err.stack || err.message : err}`);
      r = { passed: 0, failed: 1, pending: 0, crashed: true };
    }
    results.push({ name: stage.name, ...r, seconds: (Date.now() - started) / 1000 });
    console.log("");
  }

  const pad = (v, n) => String(v).padStart(n);
  console.log("== summary ==");
  console.log(`${"stage".padEnd(12)}${pad("passed", 8)}${pad("failed", 8)}${pad("pending", 9)}${pad("time", 9)}`);
  for (const r of results) {
    console.log(
      `${r.name.padEnd(12)}${pad(r.passed, 8)}${pad(r.failed, 8)}${pad(r.pending, 9)}${pad(r.seconds.toFixed(1) + "s", 9)}` +
        (r.crashed ? "  CRASHED" : r.failed ? "  FAILED" : ""),
    );
  }
  const passed = results.reduce((a, r) => a + r.passed, 0);
  const failed = results.reduce((a, r) => a + r.failed, 0);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((err) => {
  console.log(`!! test-all crashed: ${err instanceof Error ? err.stack || err.message : err}`);
  console.log("0 passed, 1 failed");
  process.exit(1);
});
