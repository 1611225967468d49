/**
 * src/lib is in folders by stage; each folder's README says what it holds and, on its `Imports:` line, which other
 * folders it may import. This holds the code to what the READMEs say, and every test file to the mirrored tree.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

const ROOT = join(__dirname, "..", "..");
const LIB = join(ROOT, "src", "lib");

const folders = readdirSync(LIB).filter((f) => statSync(join(LIB, f)).isDirectory());
const filesIn = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? filesIn(join(dir, f)) : [join(dir, f)]));

/** the folders a README allows ("Imports: models, util" or "Imports: (none)"); "(types only)" counts as allowed */
function allowed(folder: string): Set<string> {
  const text = readFileSync(join(LIB, folder, "README.md"), "utf8");
  const line = /^Imports: (.*)$/m.exec(text)?.[1];
  assert.ok(line !== undefined, `src/lib/${folder}/README.md has no "Imports:" line`);
  return new Set(
    line
      .replace(/\([^)]*\)/g, "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/** the relative imports of a file, with whether they bring in types only */
function imports(file: string): Array<{ target: string; typeOnly: boolean }> {
  const text = readFileSync(file, "utf8");
  const found: Array<{ target: string; typeOnly: boolean }> = [];
  for (const m of text.matchAll(/import\s+(type\s+)?[^"']*?from\s+"(\.[^"]+)"|require\("(\.[^"]+)"\)/g)) {
    found.push({ target: normalize(join(dirname(file), m[2] ?? m[3])), typeOnly: Boolean(m[1]) });
  }
  return found;
}

/** the src/lib folder a path is in ("." for the files at the top, undefined outside src/lib) */
function folderOf(path: string): string | undefined {
  const rel = relative(LIB, path);
  if (rel.startsWith("..")) return undefined;
  return rel.includes("/") ? rel.split("/")[0] : ".";
}

describe("src/lib layout", () => {
  it("has folders by stage, each with a README, and only errors.ts, operation.ts and README.md at the top", () => {
    for (const folder of folders) assert.ok(existsSync(join(LIB, folder, "README.md")), `src/lib/${folder} has no README.md`);
    const top = readdirSync(LIB)
      .filter((f) => !folders.includes(f))
      .sort();
    assert.deepEqual(top, ["README.md", "errors.ts", "operation.ts"]);
  });

  for (const folder of folders) {
    it(`${folder}/ imports only what its README allows (and errors.ts)`, () => {
      const ok = allowed(folder);
      const typesOnly = /\(types only\)/.test(readFileSync(join(LIB, folder, "README.md"), "utf8"));
      for (const file of filesIn(join(LIB, folder)).filter((f) => f.endsWith(".ts"))) {
        for (const { target, typeOnly } of imports(file)) {
          const to = folderOf(target);
          if (to === undefined || to === folder || to === ".") continue;
          assert.ok(
            ok.has(to),
            `${relative(ROOT, file)} imports ${relative(ROOT, target)}: ${folder}/ may import ${[...ok].join(", ") || "nothing"}`,
          );
          if (typesOnly && to === "flow") assert.ok(typeOnly, `${relative(ROOT, file)} may import flow/ for types only`);
        }
      }
    });
  }

  it("src/lib imports nothing from Node-RED or from src/nodes", () => {
    for (const file of filesIn(LIB).filter((f) => f.endsWith(".ts"))) {
      const text = readFileSync(file, "utf8");
      assert.doesNotMatch(text, /from "node-red"|require\("node-red"\)|@node-red\//, relative(ROOT, file));
      for (const { target } of imports(file)) {
        assert.ok(
          !relative(join(ROOT, "src", "nodes"), target).match(/^[^.]/),
          `${relative(ROOT, file)} imports ${relative(ROOT, target)}`,
        );
      }
    }
  });

  it("every spec of a src/lib module sits in the mirrored folder under test/lib", () => {
    const specs = filesIn(join(ROOT, "test", "lib")).filter((f) => f.endsWith(".spec.ts"));
    for (const spec of specs) {
      const folder = relative(join(ROOT, "test", "lib"), dirname(spec));
      assert.ok(folders.includes(folder), `${relative(ROOT, spec)}: test/lib/${folder} mirrors no src/lib folder`);
    }
  });

  it("src/editor (bundled for the browser) imports only its own files, src/lib/models, providers, cost and errors, which need no Node built-ins", () => {
    const EDITOR = join(ROOT, "src", "editor");
    assert.match(readFileSync(join(EDITOR, "README.md"), "utf8"), /^Imports: models\b/m);
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, "utf8");
      // only relative imports: no Node built-in, no package (the bundle carries what it imports)
      for (const m of text.matchAll(/(?:import|export)\s+(?:type\s+)?[^"';]*?from\s+"([^"]+)"|require\("([^"]+)"\)/g)) {
        assert.ok((m[1] ?? m[2]).startsWith("."), `${relative(ROOT, file)} imports ${m[1] ?? m[2]}`);
      }
      for (const { target, typeOnly } of imports(file)) {
        // a type import is erased by the bundler: nothing of it reaches the browser
        if (typeOnly) continue;
        const inEditor = !relative(EDITOR, target).startsWith("..");
        const inModels = ["models", "providers", "cost"].some((f) => !relative(join(LIB, f), target).startsWith(".."));
        // errors.ts: the words of messages (show, listOr); it imports nothing and guards its one Buffer check
        const isErrors = target === join(LIB, "errors");
        assert.ok(
          inEditor || inModels || isErrors,
          `${relative(ROOT, file)} imports ${relative(ROOT, target)}: src/editor may import src/lib/models, src/lib/providers, src/lib/cost and src/lib/errors only`,
        );
        visit(existsSync(`${target}.ts`) ? `${target}.ts` : join(target, "index.ts"));
      }
    };
    for (const file of readdirSync(EDITOR).filter((f) => f.endsWith(".ts"))) visit(join(EDITOR, file));
    assert.ok(
      [...seen].some((f) => f.endsWith(join("models", "table.ts"))),
      "the editor imports the runtime's model table",
    );
  });
});
