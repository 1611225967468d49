/**
 * The README's "try it" command: `npm start` (scripts/start.mjs) in --check mode builds the package,
 * starts the local test server and a real Node-RED with every example flow, clicks every inject node
 * and passes only when each example produced image requests (the batch delivery example: its batch delivered,
 * its files written, its failure reported) and Node-RED logged no error.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { nodeRedVersion } from "../support/node-red";

const ROOT = join(__dirname, "..", "..");

describe(`npm start --check (the demo and every example, Node-RED ${nodeRedVersion.split(".")[0]})`, function () {
  this.timeout(120_000);

  it("every example imports, deploys and produces images against the local test server", () => {
    const nr4 = nodeRedVersion.startsWith("4.");
    const run = spawnSync(process.execPath, [join(ROOT, "scripts", "start.mjs"), "--check", ...(nr4 ? ["--nr4"] : [])], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 110_000,
    });
    const output = `${run.stdout}\n${run.stderr}`;
    assert.equal(run.status, 0, output.slice(-3000));
    assert.match(output, /check passed/);
    assert.match(output, new RegExp(`Node-RED ${nodeRedVersion.split(".")[0]}\\.`));
    const examples = readdirSync(join(ROOT, "examples")).filter((f) => f.endsWith(".json"));
    const injects = examples.flatMap((f) =>
      JSON.parse(readFileSync(join(ROOT, "examples", f), "utf8")).filter((n: { type: string }) => n.type === "inject"),
    );
    assert.equal((output.match(/\[start\] POST \/inject\/\S+ .* -> 200/g) ?? []).length, injects.length);
    assert.match(output, /POST \/v1\/images\/edits -> 200/);
    // the HTTP example: an SVG is served as image/svg+xml under Content-Security-Policy: sandbox, a GIF as image/gif
    assert.match(output, /GET \/images\/fresh\.png\?format=svg -> 200 image\/svg\+xml.* csp: sandbox\n/);
    assert.match(output, /GET \/images\/fresh\.png\?format=gif -> 200 image\/gif/);
    // the batch delivery example: its prompts in one batch, polled until done, results written, the refused prompt reported
    const batch =
      /\[start\] batch delivery: (\d+) prompt\(s\) in 1 batch\(es\) .*; (\d+) image file\(s\) in node-red-images\/batch \(want \2\), node-red-images\/batch\/failures\.csv: 1 line\(s\) \(want 1, moderation_blocked\): (.*)/.exec(
        output,
      );
    assert.ok(batch, "no batch delivery line (or not as expected)");
    assert.equal(Number(batch[2]), Number(batch[1]) - 1);
    assert.match(batch[3], /"moderation_blocked","A T-shirt printed with a famous cartoon mouse, flat lay"/);
    assert.doesNotMatch(batch[3], /NOT AS EXPECTED/);
    assert.match(output, /POST \/v1\/batches -> 200/);
    assert.match(output, /Node-RED logged 0 error line\(s\)/);
  });
});
