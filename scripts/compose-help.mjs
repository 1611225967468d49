// The node help pages as Node-RED reads them (locales/<lang>/<type>.html next to the built nodes), made from
// locales/<lang>/<type>.html and the sections the create and edit image nodes share, written once per language
// in locales/<lang>/_shared/<name>.html. Used by the build (tsup.config.ts) and by test/help.spec.ts.
//
//   <!-- include: outputs -->   is replaced by locales/<lang>/_shared/outputs.html
//   {{defaultModel}}            is replaced by a fact of the model table (helpFacts below)
//
// An include or a fact that does not exist fails the build: a help page never shows a marker.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const SHARED_DIR = "_shared";
const INCLUDE = /<!--\s*include:\s*([\w-]+)\s*-->/g;
const FACT = /\{\{\s*(\w+)\s*\}\}/g;

const familiesWith = (models, has) =>
  [
    ...new Set(
      Object.values(models)
        .filter((m) => !m.shutdown && has(m))
        .map((m) => m.family),
    ),
  ]
    .map((f) => `<code>${f}</code>`)
    .join(", ");

/**
 * The facts a help page may name, for one node type, from src/lib/models/table.ts (`models`: its exports) and
 * package.json (`pkg`). The prose names none of them by hand, so a new default model or limit reaches every
 * language with the next build.
 */
export function helpFacts(models, pkg, type) {
  const { DEFAULT_MODEL, GENERIC_LIMITS, MODELS } = models;
  return {
    defaultModel: DEFAULT_MODEL[type === "images-api-edit" ? "edit" : "generate"],
    readme: String(pkg.homepage).replace(/#.*$/, ""),
    nMax: String(GENERIC_LIMITS.nMax),
    partialImagesMax: String(GENERIC_LIMITS.partialImagesMax),
    editMaxImages: String(GENERIC_LIMITS.editMaxImages),
    markupModels: familiesWith(MODELS, (m) => m.markup),
    gifSvgModels: familiesWith(MODELS, (m) => m.gif && m.svg),
  };
}

/** One help page: `page` with its includes taken from `fragment(name)` and its facts filled in. */
export function composeHelp(page, fragment, facts, where = "help page") {
  const included = page.replace(INCLUDE, (_, name) => {
    const text = fragment(name);
    if (text === undefined) throw new Error(`${where}: no fragment ${SHARED_DIR}/${name}.html for <!-- include: ${name} -->`);
    return text.trim();
  });
  return included.replace(FACT, (_, name) => {
    if (!Object.prototype.hasOwnProperty.call(facts, name)) throw new Error(`${where}: unknown fact {{${name}}}`);
    return facts[name];
  });
}

/** The languages under `localesDir` (its folders). */
export function languages(localesDir) {
  return readdirSync(localesDir)
    .filter((d) => statSync(join(localesDir, d)).isDirectory())
    .sort();
}

/**
 * Every composed help page under `localesDir`: { "<lang>/<type>.html": html }. `factsFor(type)` gives a node
 * type's facts.
 */
export function composeLocales(localesDir, factsFor) {
  const out = {};
  for (const lang of languages(localesDir)) {
    const dir = join(localesDir, lang);
    const fragment = (name) => {
      const f = join(dir, SHARED_DIR, `${name}.html`);
      return existsSync(f) ? readFileSync(f, "utf8") : undefined;
    };
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith(".html"))
      .sort()) {
      const type = file.replace(/\.html$/, "");
      out[`${lang}/${file}`] = composeHelp(readFileSync(join(dir, file), "utf8"), fragment, factsFor(type), `locales/${lang}/${file}`);
    }
  }
  return out;
}

/** Writes the composed pages into `outDir` (dist/nodes/locales), over the copied sources. */
export function writeComposedHelp(localesDir, outDir, factsFor) {
  const pages = composeLocales(localesDir, factsFor);
  for (const [rel, html] of Object.entries(pages)) {
    mkdirSync(join(outDir, rel, ".."), { recursive: true });
    writeFileSync(join(outDir, rel), html);
  }
  return Object.keys(pages);
}
