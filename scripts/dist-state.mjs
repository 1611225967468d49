// Whether dist/ and the editor script (resources/images-api-editor.js) hold a build of the current sources, and a
// build when they do not (used by `npm start`, the browser tests and the packed-package test).
import { spawnSync } from "node:child_process";
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

/** Paths of the files under `dir` (relative to it, "/"-separated) whose names end in `ext`; [] when missing. */
function filesEnding(dir, ext) {
  if (!existsSync(dir)) return [];
  const out = [];
  const walk = (d, rel) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p, `${rel}${f}/`);
      else if (f.endsWith(ext) && !f.endsWith(".d.ts")) out.push(`${rel}${f}`);
    }
  };
  walk(dir, "");
  return out.sort();
}

/**
 * The .js files a build makes under dist/, relative to the repo ("dist/lib/errors.js", …): tsup does not bundle,
 * so every .ts under src/ becomes the .js at the same place under dist/ (src/lib exists once at run time, shared
 * by every node). src/editor is not among them: it is bundled into EDITOR_SCRIPT.
 */
export function distFiles(repoRoot) {
  return filesEnding(join(repoRoot, "src"), ".ts")
    .filter((f) => !f.startsWith("editor/"))
    .map((f) => `dist/${f.replace(/\.ts$/, ".js")}`);
}

/** The editor script both image nodes' .html load, bundled from src/editor (tsup.config.ts EDITOR; not in git). */
export const EDITOR_SCRIPT = "resources/images-api-editor.js";
/** What the editor script is built from: src/editor and the runtime's model table it imports. */
const EDITOR_INPUTS = ["src/editor", "src/lib/models", "tsup.config.ts"];

/**
 * "fresh", "missing" (a node's .js, the .js of any source file or the editor script is not built: e.g. dist/ of the
 * old bundled build, which had no dist/lib) or "stale" (a build input is newer than dist/ or than the editor script,
 * or dist/ has a .js no source makes).
 */
export function distState(repoRoot) {
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
  const entries = Object.values(pkg["node-red"]?.nodes ?? {});
  if (entries.some((f) => !existsSync(join(repoRoot, f)))) return "missing";
  const expected = distFiles(repoRoot);
  if (expected.some((f) => !existsSync(join(repoRoot, f)))) return "missing";
  if (!existsSync(join(repoRoot, EDITOR_SCRIPT))) return "missing";
  const wanted = new Set(expected);
  if (filesEnding(join(repoRoot, "dist"), ".js").some((f) => !wanted.has(`dist/${f}`))) return "stale";
  const inputs = Math.max(
    ...["src", "locales", "icons", "tsup.config.ts", "scripts/compose-help.mjs"].map((p) => newest(join(repoRoot, p))),
  );
  if (oldestFile(join(repoRoot, "dist")) < inputs) return "stale";
  const editorInputs = Math.max(...EDITOR_INPUTS.map((p) => newest(join(repoRoot, p))));
  return newest(join(repoRoot, EDITOR_SCRIPT)) >= editorInputs ? "fresh" : "stale";
}

/** `npm run build` unless dist/ and the editor script are fresh; `say` tells what happens. Throws when the build fails. */
export function ensureBuilt(repoRoot, say) {
  const state = distState(repoRoot);
  if (state === "fresh") {
    say("dist/ and the editor script are up to date");
    return;
  }
  say(
    state === "missing"
      ? `dist/ or ${EDITOR_SCRIPT} is missing: npm run build`
      : `dist/ or ${EDITOR_SCRIPT} is older than the sources: npm run build`,
  );
  const r = spawnSync(process.platform === "win32" ? "npm.cmd" : "npm", ["run", "build"], {
    cwd: repoRoot,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0) throw new Error(`npm run build failed (exit ${r.status ?? r.signal})`);
}
