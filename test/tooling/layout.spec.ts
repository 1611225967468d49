/**
 * The source layout Node-RED and the Flow Library depend on: every node type has its editor HTML,
 * icon and, in each of Node-RED's ten languages, a complete message catalog and a help page (with the sections the
 * image nodes share in locales/<lang>/_shared/, which the build puts in: test/help.spec.ts).
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");
const LANGUAGES = ["en-US", "de", "es-ES", "fr", "ja", "ko", "pt-BR", "ru", "zh-CN", "zh-TW"];
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const TYPES = Object.keys(pkg["node-red"].nodes);

/** "a.b.c" paths of every string in a catalog */
function keys(value: unknown, prefix = ""): string[] {
  if (typeof value === "string") return [prefix];
  assert.ok(value && typeof value === "object", `${prefix} is neither text nor a group`);
  return Object.entries(value).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
}
// Node-RED's i18next writes variables as __name__ (editor and runtime alike); {{name}} would show literally
const placeholders = (text: string) => (text.match(/__\w+__/g) ?? []).sort();
const catalog = (lang: string, type: string) => JSON.parse(readFileSync(join(ROOT, "locales", lang, `${type}.json`), "utf8"));
const text = (obj: unknown, path: string) => path.split(".").reduce((o: any, k) => o[k], obj) as string;
const headings = (h: string) => (h.match(/<h[34]>/g) ?? []).length;
const codes = (h: string) => (h.match(/<code>[a-z_]+<\/code>/g) ?? []).filter((c) => /_/.test(c)).sort();
/** the include markers and {{facts}} of a help page or fragment, filled in by the build (scripts/compose-help.mjs) */
const markers = (h: string) => (h.match(/<!--\s*include:[^>]*-->|\{\{\s*\w+\s*\}\}/g) ?? []).sort();

describe("layout: node files, catalogs and help in ten languages", () => {
  it("package.json's node-red.nodes name dist/nodes/<type>.js, built from src/nodes/<type>.ts; helpers live in src/nodes/shared", () => {
    // tsup does not bundle: each .ts under src/ becomes the .js at the same place under dist/ (src/lib once, for
    // every node). Node-RED loads only the files listed, so a top-level src/nodes/*.ts that is not listed would
    // be built but never registered, and a shared module listed there would be loaded as a node.
    for (const [type, js] of Object.entries(pkg["node-red"].nodes as Record<string, string>)) {
      assert.equal(js, `dist/nodes/${type}.js`, type);
      assert.ok(existsSync(join(ROOT, "src", "nodes", `${type}.ts`)), `src/nodes/${type}.ts is missing`);
    }
    const topLevel = readdirSync(join(ROOT, "src", "nodes"))
      .filter((f) => f.endsWith(".ts"))
      .map((f) => f.replace(/\.ts$/, ""));
    assert.deepEqual(
      topLevel.sort(),
      [...TYPES].sort(),
      "src/nodes/*.ts are the node types; shared code goes to src/nodes/shared or src/lib",
    );
    assert.ok(pkg.files.includes("dist"), "package.json files ships dist (nodes, nodes/shared and lib)");
  });

  for (const type of TYPES) {
    it(`${type}: editor HTML with a literal registerType, and an icon when it is a flow node`, () => {
      const html = readFileSync(join(ROOT, "src", "nodes", `${type}.html`), "utf8");
      assert.match(html, new RegExp(`RED\\.nodes\\.registerType\\('${type}', \\{`));
      assert.match(html, new RegExp(`data-template-name="${type}"`));
      const icon = /icon:\s*'([^']+)'/.exec(html)?.[1];
      if (!/category:\s*'config'/.test(html)) {
        assert.ok(icon, `${type} has no literal icon`);
        assert.ok(existsSync(join(ROOT, "icons", icon)), `icons/${icon} is missing`);
        const svg = readFileSync(join(ROOT, "icons", icon), "utf8");
        assert.match(svg, /viewBox="0 0 40 60"/, "icons are 2:3");
      }
    });
  }

  for (const lang of LANGUAGES) {
    describe(lang, () => {
      for (const type of TYPES) {
        it(`${type}: the catalog has every key of en-US (and no others), with the same placeholders`, () => {
          const file = join(ROOT, "locales", lang, `${type}.json`);
          assert.ok(existsSync(file), `locales/${lang}/${type}.json is missing`);
          const english = catalog("en-US", type);
          const here = catalog(lang, type);
          assert.deepEqual(keys(here).sort(), keys(english).sort());
          assert.ok(!JSON.stringify(here).includes("{{"), "variables are written __name__, not {{name}}");
          for (const k of keys(english)) {
            assert.deepEqual(placeholders(text(here, k)), placeholders(text(english, k)), `${lang} ${k}`);
            assert.notEqual(text(here, k).trim(), "", `${lang} ${k} is empty`);
          }
        });

        it(`${type}: a help page in the sidebar's format`, () => {
          const file = join(ROOT, "locales", lang, `${type}.html`);
          assert.ok(existsSync(file), `locales/${lang}/${type}.html is missing`);
          const html = readFileSync(file, "utf8");
          assert.match(html, new RegExp(`^<script type="text/html" data-help-name="${type}">`));
          assert.match(html.trimEnd(), /<\/script>$/);
          const english = readFileSync(join(ROOT, "locales", "en-US", `${type}.html`), "utf8");
          assert.equal(headings(html), headings(english), "the same sections as the English help");
          assert.deepEqual(codes(html), codes(english), "error codes and parameter names stay untranslated");
          assert.deepEqual(markers(html), markers(english), "the same shared sections and facts (test/help.spec.ts composes them)");
        });
      }

      it("the sections the image nodes share: the fragments of en-US, with the same sections, codes and facts", () => {
        const dir = join(ROOT, "locales", lang, "_shared");
        const englishDir = join(ROOT, "locales", "en-US", "_shared");
        assert.ok(existsSync(dir), `locales/${lang}/_shared is missing`);
        assert.deepEqual(readdirSync(dir).sort(), readdirSync(englishDir).sort());
        for (const f of readdirSync(englishDir)) {
          const html = readFileSync(join(dir, f), "utf8");
          const english = readFileSync(join(englishDir, f), "utf8");
          assert.equal(headings(html), headings(english), `${f}: the same sections as the English fragment`);
          assert.deepEqual(codes(html), codes(english), `${f}: error codes and parameter names stay untranslated`);
          assert.deepEqual(markers(html), markers(english), `${f}: the same facts`);
          assert.equal((html.match(/<dt[ >]/g) ?? []).length, (english.match(/<dt[ >]/g) ?? []).length, `${f}: the same rows`);
        }
      });
    });
  }

  it("no language folder beyond Node-RED's ten", () => {
    assert.deepEqual(readdirSync(join(ROOT, "locales")).sort(), [...LANGUAGES].sort());
  });
});
