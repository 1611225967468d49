/**
 * The README is for people: it stays short (the measured details live in docs/), and every link in it and in
 * docs/*.md leads somewhere: a relative link to a file of the repo, an #anchor to a heading of the page it names.
 * Links to the repository on GitHub from the editor help, the examples and the sources (…/node-red-contrib-images-api#x,
 * …/blob/main/docs/models.md#x) must name a file and a heading that exist too.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const repoRoot = resolve(__dirname, "..", "..");
const MAX_README_LINES = 260;
const REPO_URL = "github.com/node-red-contrib-images-api/node-red-contrib-images-api";

/** Files under `dir` (recursively) whose names match `pattern`, as absolute paths. */
function filesUnder(dir: string, pattern: RegExp): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return filesUnder(p, pattern);
    return pattern.test(e.name) ? [p] : [];
  });
}

/** The text of a Markdown file without its fenced code blocks (their lines kept empty, so line numbers stay). */
function withoutCodeBlocks(markdown: string): string[] {
  let fenced = false;
  return markdown.split("\n").map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return "";
    }
    return fenced ? "" : line;
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, each space a hyphen. */
export function headingSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}

/** The anchors a Markdown file offers: its headings (a repeated one gets -1, -2, … as on GitHub) and <a id/name>. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutCodeBlocks(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const base = headingSlug(heading[1]);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s[^>]*\b(?:id|name)="([^"]+)"/g)) anchors.add(m[1]);
  }
  return anchors;
}

/** Every link target of a Markdown file (inline links, images, reference definitions) with its line number. */
export function linksOf(markdown: string): Array<{ target: string; line: number }> {
  const links: Array<{ target: string; line: number }> = [];
  withoutCodeBlocks(markdown).forEach((text, i) => {
    const line = text.replace(/`[^`]*`/g, "``");
    for (const m of line.matchAll(/\]\(\s*<?([^()\s<>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ target: m[1], line: i + 1 });
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(line);
    if (definition) links.push({ target: definition[1], line: i + 1 });
  });
  return links;
}

const readmePath = join(repoRoot, "README.md");
const markdownFiles = [readmePath, ...filesUnder(join(repoRoot, "docs"), /\.md$/)];
const rel = (p: string) => relative(repoRoot, p).split("\\").join("/");

/** What is wrong with a link to `file` (a repo path) and `anchor`, or null when it leads somewhere. */
function brokenLink(file: string, anchor: string | undefined): string | null {
  if (!existsSync(file)) return `${rel(file)} does not exist`;
  if (anchor === undefined || anchor === "") return null;
  if (!file.endsWith(".md") || !statSync(file).isFile()) return null;
  const anchors = anchorsOf(readFileSync(file, "utf8"));
  return anchors.has(anchor.toLowerCase()) ? null : `${rel(file)} has no heading for #${anchor}`;
}

describe("README and docs", () => {
  it(`README.md is at most ${MAX_README_LINES} lines (the measured details live in docs/)`, () => {
    const lines = readFileSync(readmePath, "utf8").replace(/\n$/, "").split("\n").length;
    assert.ok(lines <= MAX_README_LINES, `README.md has ${lines} lines; move details to docs/ and link them`);
  });

  it("the headings other pages link to are in README.md", () => {
    const anchors = anchorsOf(readFileSync(readmePath, "utf8"));
    for (const a of [
      "set-up",
      "messages",
      "errors",
      "streaming-partial-images",
      "batch-delivery-half-price-within-24-hours",
      "models-and-limits",
      "retired-models",
      "security",
    ]) {
      assert.ok(anchors.has(a), `README.md has no heading for #${a}`);
    }
  });

  it("every relative link in README.md and docs/*.md leads to a file that exists, and every #anchor to a heading", () => {
    const broken: string[] = [];
    for (const md of markdownFiles) {
      for (const { target, line } of linksOf(readFileSync(md, "utf8"))) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const [path, anchor] = decodeURI(target).split("#", 2);
        const file = path === "" ? md : resolve(dirname(md), path.split("?")[0]);
        const why = brokenLink(file, anchor);
        if (why) broken.push(`${rel(md)}:${line}: (${target}): ${why}`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it("links to the repository on GitHub (editor help, examples, sources) name files and headings that exist", () => {
    const sources = [
      ...filesUnder(join(repoRoot, "locales"), /\.(html|json)$/),
      ...filesUnder(join(repoRoot, "examples"), /\.json$/),
      ...filesUnder(join(repoRoot, "src"), /\.(ts|html)$/),
      ...filesUnder(join(repoRoot, "resources"), /\.(js|html)$/),
      join(repoRoot, "package.json"),
    ];
    const pattern = new RegExp(
      `${REPO_URL.replace(/[.]/g, "\\.")}(?:/(?:blob|tree)/[^/\\s"'<>)]+/([^#\\s"'<>)\\\\]+))?(?:#([\\w-]+))?`,
      "g",
    );
    const broken: string[] = [];
    let checked = 0;
    for (const source of sources) {
      for (const m of readFileSync(source, "utf8").matchAll(pattern)) {
        const [, path, anchor] = m;
        // the repository's front page; #readme is GitHub's own anchor for the README below the file list
        if (path === undefined && (anchor === undefined || anchor === "readme")) continue;
        checked++;
        const why = brokenLink(join(repoRoot, path ?? "README.md"), anchor);
        if (why) broken.push(`${rel(source)}: ${m[0]}: ${why}`);
      }
    }
    assert.deepEqual(broken, [], `${checked} link(s) checked`);
  });

  it("the anchors are GitHub's: a heading with punctuation, a repeated heading, an <a id>", () => {
    const md = '# Batch delivery (half price, within 24 hours)\n## Set-up\n## Set-up\n```\n# not a heading\n```\n<a id="here"></a>\n';
    assert.deepEqual([...anchorsOf(md)], ["batch-delivery-half-price-within-24-hours", "set-up", "set-up-1", "here"]);
    assert.deepEqual(
      linksOf('[a](docs/x.md#y) ![b](i.png "t") `[c](not-a-link)`\n```\n[d](in-code)\n```\n[e]: ../README.md#z').map((l) => l.target),
      ["docs/x.md#y", "i.png", "../README.md#z"],
    );
  });
});
