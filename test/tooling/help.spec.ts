/**
 * The help pages the sidebar shows, composed as the build composes them (scripts/compose-help.mjs, called by
 * tsup.config.ts): the shared sections put in once, the model table's facts filled in, short enough to read.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as models from "../../src/lib/models/table";

const ROOT = join(__dirname, "..", "..");
const LOCALES = join(ROOT, "locales");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const TYPES = Object.keys(pkg["node-red"].nodes) as string[];
const IMAGE_NODES = ["images-api-generate", "images-api-edit"];
const LANGUAGES = readdirSync(LOCALES).sort();

const loadCompose = () => import("../../scripts/compose-help.mjs");
const words = (html: string) =>
  html
    .replace(/<[^>]+>/g, " ")
    .split(/\s+/)
    .filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
const count = (text: string, part: string) => text.split(part).length - 1;

/** GitHub's anchor for a README heading */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\w\- ]/g, "")
    .replace(/ /g, "-");

describe("help: the composed help pages", () => {
  let pages: Record<string, string>;
  let compose: Awaited<ReturnType<typeof loadCompose>>;

  before(async () => {
    compose = await loadCompose();
    pages = compose.composeLocales(LOCALES, (type) => compose.helpFacts(models, pkg, type));
  });

  it("one page per node type in every language, and no other", () => {
    const want = LANGUAGES.flatMap((lang) => TYPES.map((type) => `${lang}/${type}.html`)).sort();
    assert.deepEqual(Object.keys(pages).sort(), want);
  });

  it("no include marker or {{fact}} is left, and every README link names a heading of README.md", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const anchors = new Set([...readme.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])));
    const home = String(pkg.homepage).replace(/#.*$/, "");
    for (const [page, html] of Object.entries(pages)) {
      assert.doesNotMatch(html, /<!--\s*include/, page);
      assert.ok(!html.includes("{{") && !html.includes("}}"), `${page} has an unfilled fact`);
      const links = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
      assert.ok(
        links.some((l) => l.startsWith(`${home}#`)),
        `${page} links to no README section`,
      );
      for (const link of links.filter((l) => l.startsWith(home))) {
        assert.ok(anchors.has(link.slice(home.length + 1)), `${page}: ${link} names no README heading`);
      }
    }
  });

  for (const type of IMAGE_NODES) {
    it(`${type}: the shared Outputs table and errors once, the default model from the model table`, () => {
      const op = type === "images-api-edit" ? "edit" : "generate";
      for (const lang of LANGUAGES) {
        const html = pages[`${lang}/${type}.html`];
        assert.equal(count(html, '<dt>images <span class="property-type">array</span></dt>'), 1, `${lang}: Outputs table`);
        assert.equal(count(html, "<dt><code>rate_limited</code></dt>"), 1, `${lang}: the common errors`);
        assert.ok(html.includes(`<code>${models.DEFAULT_MODEL[op]}</code>`), `${lang}: names ${models.DEFAULT_MODEL[op]}`);
      }
    });
  }

  it("the en-US pages are short: under 600 words each", () => {
    for (const type of TYPES) {
      const n = words(pages[`en-US/${type}.html`]);
      assert.ok(n < 600, `en-US ${type}: ${n} words`);
    }
  });

  it("the prose names no model or date by hand: they come from the model table", () => {
    for (const lang of LANGUAGES) {
      const dir = join(LOCALES, lang);
      const files = [
        ...TYPES.map((t) => `${t}.html`),
        ...readdirSync(join(dir, compose.SHARED_DIR)).map((f) => `${compose.SHARED_DIR}/${f}`),
      ];
      for (const f of files) {
        const src = readFileSync(join(dir, f), "utf8");
        assert.doesNotMatch(src, /gpt-image|dall-e|chatgpt-image|\b20\d\d-\d\d-\d\d\b/, `locales/${lang}/${f}`);
      }
    }
  });

  it("a missing fragment or fact fails instead of showing the marker", () => {
    assert.throws(() => compose.composeHelp("<!-- include: nothing -->", () => undefined, {}), /no fragment _shared\/nothing\.html/);
    assert.throws(() => compose.composeHelp("{{nothing}}", () => undefined, {}), /unknown fact \{\{nothing\}\}/);
    assert.equal(
      compose.composeHelp("a <!-- include: x --> {{y}}", () => "<p>{{y}}</p>\n", { y: "z" }),
      "a <p>z</p> z",
    );
  });
});
