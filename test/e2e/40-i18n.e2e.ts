/**
 * Editor languages: with the editor language set to de / ja (the View ▸ Language setting, stored in localStorage
 * "editor-language", then a reload) the palette labels, the dialog labels and the help sidebar show the texts of
 * locales/<lang>/ (read at test time). A missing language folder fails its test.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { e2e, localeJson, localeText, repoRoot } from "./harness";

const GEN = "e2ei18ngen000001";
const GENERATE = "images-api-generate";
const EDIT = "images-api-edit";
const CONFIG = "images-api-config";

const norm = (s: string | null | undefined) =>
  String(s ?? "")
    .replace(/\s+/g, " ")
    .trim();

function decode(html: string): string {
  return html
    .replace(/<[^>]+>/g, "")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}

/** The plain text of the first paragraph of a node's help in locales/<lang>/<type>.html. */
function helpIntro(lang: string, type: string): string {
  const html = localeText(lang, type);
  const m = /<p>([\s\S]*?)<\/p>/.exec(html);
  if (!m) throw new Error(`locales/${lang}/${type}.html has no <p>`);
  return norm(decode(m[1]));
}

/** The texts the test compares, from a language's catalogs. */
function expected(lang: string): Record<string, string> {
  const gen = localeJson(lang, GENERATE)[GENERATE];
  const edit = localeJson(lang, EDIT)[EDIT];
  const cfg = localeJson(lang, CONFIG)[CONFIG];
  return {
    "palette: generate": gen.paletteLabel,
    "palette: edit": edit.paletteLabel,
    "dialog: prompt": gen.label.prompt,
    "dialog: server": gen.label.server,
    "dialog: model": cfg.shared.label.model,
    "dialog: size": cfg.shared.label.size,
    "dialog: quality": cfg.shared.label.quality,
    "dialog: preview": cfg.shared.label.preview,
    "dialog: output buffer": cfg.shared.output.buffer,
    "help: generate": helpIntro(lang, GENERATE),
  };
}

async function setLanguage(lang: string | null): Promise<void> {
  const { page, ed } = e2e();
  await page.evaluate((l) => (l ? localStorage.setItem("editor-language", l) : localStorage.removeItem("editor-language")), lang);
  await ed.load();
}

/** The same texts as the editor shows them. */
async function shown(lang: string): Promise<Record<string, string>> {
  const { page, ed } = e2e();
  const out: Record<string, string> = {};
  out["palette: generate"] = norm(await ed.paletteNode(GENERATE).locator(".red-ui-palette-label").innerText());
  out["palette: edit"] = norm(await ed.paletteNode(EDIT).locator(".red-ui-palette-label").innerText());

  await ed.openNode(GEN);
  await page.locator("#node-input-model").waitFor({ state: "visible" });
  const label = async (f: string) => norm(await page.locator(`label[for="node-input-${f}"] span`).first().innerText());
  out["dialog: prompt"] = await label("prompt");
  out["dialog: server"] = await label("server");
  out["dialog: model"] = await label("model");
  out["dialog: size"] = await label("size");
  out["dialog: quality"] = await label("quality");
  out["dialog: preview"] = await label("preview");
  out["dialog: output buffer"] = norm(await page.locator('#node-input-output option[value="buffer"]').innerText());
  await ed.shot(`generate-dialog-${lang}`);
  await ed.closeTray(false);

  await page.evaluate((t) => RED.sidebar.help.show(t), GENERATE);
  const help = page.locator(".red-ui-help:visible").first();
  await help.waitFor({ state: "visible" });
  await page.waitForFunction(() => ($(".red-ui-help:visible").first().text() || "").length > 100);
  const text = norm(await help.innerText());
  const intro = helpIntro(lang, GENERATE);
  out["help: generate"] = text.includes(intro) ? intro : text.slice(0, 160);
  await ed.shot(`help-sidebar-${lang}`);
  await page.evaluate(() => RED.sidebar.show("info"));
  return out;
}

describe("editor languages: labels and help follow the editor language", function () {
  before(async () => {
    const { ed } = e2e();
    await ed.resetFlows();
    // deployed, so the node survives the reloads that switch the language
    await ed.importNodes(
      [
        { id: "e2ei18ncfg000001", type: CONFIG, name: "local test server", baseUrl: e2e().server.baseUrl, apiType: "openai" },
        {
          id: GEN,
          type: GENERATE,
          name: "",
          server: "e2ei18ncfg000001",
          prompt: "payload",
          promptType: "msg",
          model: "gpt-image-2.6-flare",
          size: "1024x1024",
          quality: "",
          imageCount: 1,
          x: 400,
          y: 160,
          wires: [[]],
        },
      ],
      { applyNodeDefaults: true },
    );
    await ed.deploy();
  });
  afterEach(async () => {
    await e2e().ed.closeAllTrays();
  });
  after(async () => {
    await setLanguage(null);
  });

  it("en-US (baseline): labels and help from locales/en-US", async () => {
    await setLanguage("en-US");
    assert.deepEqual(await shown("en-US"), expected("en-US"));
  });

  it("every language's palette labels fit on one line of the palette (as Node-RED lays them out)", async () => {
    const { page } = e2e();
    const langs = fs
      .readdirSync(path.join(repoRoot, "locales"))
      .filter((d) => fs.statSync(path.join(repoRoot, "locales", d)).isDirectory());
    assert.ok(langs.length >= 10, `languages: ${langs.join(", ")}`);
    const labels = langs.flatMap((lang) =>
      [GENERATE, EDIT].map((type) => [lang, type, localeJson(lang, type)[type].paletteLabel as string] as const),
    );
    // Node-RED's palette breaks a label into lines where its width reaches 82 px (palette.js setLabel)
    const widths = await page.evaluate(
      (labels) => labels.map(([, , text]) => RED.view.calculateTextWidth(text, "red-ui-palette-label") as number),
      labels,
    );
    const wrapping = labels
      .map(([lang, type, text], i) => [`${lang} ${type} "${text}" (${Math.round(widths[i])} px)`, widths[i]] as const)
      .filter(([, width]) => width >= 82)
      .map(([what]) => what);
    assert.deepEqual(wrapping, []);
    // and in the palette shown (en-US): one line each
    for (const type of [GENERATE, EDIT]) {
      const html = await page.locator(`.red-ui-palette-node[data-palette-type="${type}"] .red-ui-palette-label`).innerHTML();
      assert.doesNotMatch(html, /<br/i, `${type} palette label wraps: ${html}`);
    }
  });

  for (const lang of ["de", "ja"]) {
    it(`${lang}: palette, dialog labels and help from locales/${lang}`, async () => {
      // read first: a missing language folder fails here (never a skip)
      const want = expected(lang);
      const en = expected("en-US");
      const translated = Object.keys(want).filter((k) => want[k] !== en[k]);
      assert.ok(translated.length >= 3, `locales/${lang} repeats the English texts: only ${translated.join(", ") || "none"} differ`);
      await setLanguage(lang);
      const got = await shown(lang);
      assert.deepEqual(got, want);
      assert.notEqual(got["help: generate"], en["help: generate"]);
    });
  }
});
