/**
 * Batch delivery across a restart, in a real Node-RED process (the built package, a file context store):
 * three messages make a batch, Node-RED is stopped while it is pending, started again, and the results are
 * delivered after the restart: every one exactly once, and nothing is sent twice.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ImagesApiServer } from "../server/images-api-server";
import { RestartableNodeRed } from "../support/real-node-red";
import { until } from "../support/wait";

describe("batch delivery survives a restart of Node-RED (file context store)", function () {
  this.timeout(120_000);
  let server: ImagesApiServer;
  const nodeRed = new RestartableNodeRed("batch-restart");
  let userDir = "";
  const results = () =>
    existsSync(join(userDir, "results.jsonl"))
      ? readFileSync(join(userDir, "results.jsonl"), "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l))
      : [];
  const start = () => nodeRed.start();
  const stop = () => nodeRed.stop();

  before(async function () {
    if (!RestartableNodeRed.built()) this.skip(); // npm test builds first
    server = await ImagesApiServer.start({ apiKey: null });
    // the file node writes the results into a directory of the test's own
    userDir = mkdtempSync(join(tmpdir(), "images-api-batch-restart-results-"));
    const flows = [
      { id: "tab0batch", type: "tab", label: "batch" },
      {
        id: "cfg0batch",
        type: "images-api-config",
        name: "local",
        baseUrl: server.baseUrl,
        retries: 0,
        batchPoll: 0.05,
        batchPollMax: 0.2,
      },
      { id: "in0batch", type: "http in", z: "tab0batch", url: "/go", method: "post", upload: false, wires: [["gen0batch"]] },
      {
        id: "gen0batch",
        type: "images-api-generate",
        z: "tab0batch",
        server: "cfg0batch",
        prompt: "payload.prompt",
        promptType: "msg",
        model: "gpt-image-2.6-flare",
        delivery: "batch",
        batchSize: 3,
        batchWait: 60,
        output: "buffer",
        property: "payload",
        wires: [["line0batch"]],
      },
      { id: "cmp0batch", type: "complete", z: "tab0batch", scope: ["gen0batch"], uncaught: false, wires: [["ok0batch"]] },
      { id: "ok0batch", type: "http response", z: "tab0batch", statusCode: "202", headers: {}, wires: [] },
      {
        id: "line0batch",
        type: "function",
        z: "tab0batch",
        func: "msg.payload = JSON.stringify({ topic: msg.topic, customId: msg.batch.customId, bytes: msg.images[0].bytes, model: msg.images[0].model }); return msg;",
        outputs: 1,
        wires: [["file0batch"]],
      },
      {
        id: "file0batch",
        type: "file",
        z: "tab0batch",
        filename: join(userDir, "results.jsonl"),
        filenameType: "str",
        appendNewline: true,
        createDir: false,
        overwriteFile: "false",
        encoding: "utf8",
        wires: [],
      },
    ];
    await nodeRed.prepare(flows, "test/nodes/batch-restart.spec.ts");
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") console.log(nodeRed.log());
  });

  after(async () => {
    await nodeRed.dispose();
    await server?.close();
    rmSync(userDir, { recursive: true, force: true });
  });

  it("three results, each delivered once after the restart; one upload, one batch", async () => {
    // the batch stays in progress until the test lets it finish
    server.batch.pace = { ...server.batch.pace, inProgressPolls: 1_000_000 };
    const url = await start();
    const answers = await Promise.all(
      ["tab0batch", "t2", "t3"].map((topic) =>
        fetch(`${url}go`, {
          signal: AbortSignal.timeout(15_000),
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ prompt: `a picture for ${topic}` }),
        }).then(async (res) => [res.status, await res.text()] as const),
      ),
    );
    assert.deepEqual(
      answers.map((a) => a[0]),
      [202, 202, 202],
      JSON.stringify(answers),
    );
    const batch = server.batch.last();
    assert.ok(batch, "no batch was created");
    await until(() => (server.batch.polls(batch.id) ?? 0) >= 1, 10_000, "a first poll");
    await stop();
    assert.deepEqual(results(), [], "results before the batch completed");

    await start();
    const pollsBefore = server.batch.polls(batch.id) ?? 0;
    await until(() => (server.batch.polls(batch.id) ?? 0) > pollsBefore, 10_000, "polling to resume after the restart");
    server.batch.completeAll();
    await until(() => results().length === 3, 20_000, "three results");
    // give a second delivery every chance to happen
    const polls = server.batch.polls(batch.id) ?? 0;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(server.batch.polls(batch.id), polls, "a finished batch is still being polled");
    const got = results();
    assert.equal(got.length, 3, JSON.stringify(got));
    const lines = server.batch.uploads[0].lines as Array<{ custom_id: string; body: { prompt: string } }>;
    assert.deepEqual(new Set(got.map((r) => r.customId)), new Set(lines.map((l) => l.custom_id)));
    assert.ok(got.every((r) => r.bytes > 0 && r.model === "gpt-image-2.6-flare"));
    assert.equal(server.batch.uploads.length, 1, "sent twice");
    assert.equal(server.batch.batches.size, 1);

    // and once more after another restart: nothing is delivered again
    await stop();
    await start();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(results().length, 3);
  });
});
