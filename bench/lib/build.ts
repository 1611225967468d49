/**
 * Our code as users run it. dist/ is what Node-RED loads: src/ compiled by tsup (esbuild, CommonJS,
 * target node20, one file per source file, so src/lib exists once; dependencies left to node_modules).
 * Running src/ through tsx instead would measure tsx's development transforms too (keepNames wraps
 * every closure in a __name() call), which neither the SDK nor raw undici pay. So the benchmark
 * compiles, with the same esbuild settings, into .cache/bench/ (dist/ is left alone):
 *
 *   bench/lib/ours-entry.js    the client, readAnswer, the edit helpers
 *   src/nodes/images-api-config.js, src/nodes/images-api-generate.js   the nodes, for the Node-RED section
 *
 * Children find the directory in BENCH_BUILD_DIR; without it (a measurement script run by hand)
 * they fall back to src/ through tsx.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { BENCH_DIR } from "./proc";

export const BUILD_ENV = "BENCH_BUILD_DIR";
/** the bundles, and the results of a --quick or --only run (test/bench-smoke.mjs reads them there) */
export const BENCH_CACHE = join(BENCH_DIR, "..", ".cache", "bench");

export function buildOurs(): string {
  const root = join(BENCH_DIR, "..");
  const outdir = BENCH_CACHE;
  // esbuild comes with tsup (devDependency)
  const esbuild = require("esbuild") as typeof import("esbuild");
  const sources = (readdirSync(join(root, "src"), { recursive: true }) as string[])
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(root, "src", f));
  esbuild.buildSync({
    entryPoints: [join(BENCH_DIR, "lib", "ours-entry.ts"), ...sources],
    outdir,
    outbase: root,
    bundle: false,
    format: "cjs",
    platform: "node",
    target: "node20",
    packages: "external",
    logLevel: "error",
  });
  return outdir;
}

const BUILT: Record<string, string> = {
  ours: join("bench", "lib", "ours-entry.js"),
  "images-api-config": join("src", "nodes", "images-api-config.js"),
  "images-api-generate": join("src", "nodes", "images-api-generate.js"),
};

/** The built file `name` when the orchestrator built them, else undefined. */
export function built(name: string): string | undefined {
  const dir = process.env[BUILD_ENV];
  return dir ? join(dir, BUILT[name] ?? `${name}.js`) : undefined;
}
