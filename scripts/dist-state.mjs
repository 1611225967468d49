// Whether dist/ holds a build of the current sources (used by `npm start` and the packed-package test).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** Newest mtime of the files under `p` (a file or a directory), 0 when missing. */
function newest(p) {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(p).map((f) => newest(join(p, f))));
}

/** Oldest mtime of the files under `dir`, 0 when missing or empty. */
function oldestFile(dir) {
  if (!existsSync(dir)) return 0;
  let oldest = Infinity;
  const walk = (d) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else oldest = Math.min(oldest, st.mtimeMs);
    }
  };
  walk(dir);
  return oldest === Infinity ? 0 : oldest;
}

/** "fresh", "missing" (a node's .js is not built) or "stale" (a build input is newer than dist/). */
export function distState(repoRoot) {
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
  const entries = Object.values(pkg["node-red"]?.nodes ?? {});
  if (entries.some((f) => !existsSync(join(repoRoot, f)))) return "missing";
  const inputs = Math.max(...["src", "locales", "icons", "tsup.config.ts"].map((p) => newest(join(repoRoot, p))));
  return oldestFile(join(repoRoot, "dist")) >= inputs ? "fresh" : "stale";
}
