/**
 * Batch delivery through real nodes in a real Node-RED against the local server's Files and Batch APIs:
 * queueing by count, time and msg.batch = "submit"; each message done when its batch is created; results
 * mapped back to their messages in any order; failures inside a batch to Catch; a server without the
 * Batch API; expired batches; refusals before anything is queued.
 */
import assert from "node:assert/strict";
import { usageCost } from "../../src/lib/cost/price";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import editNode = require("../../src/nodes/images-api-edit");
import { ImagesApiServer } from "../server/images-api-server";
import { API_KEY, NODES, TAB, helper, imageFlow, loadFlow, pngSize, withImagesApi, type FlowOptions, type Msg } from "../support/flow";
import { pause, until } from "../support/wait";
import { runtimeUtil } from "../support/node-red";
// the hooks of the Node-RED runtime under test: onComplete sees every done() of every node, even while it closes
const { hooks } = runtimeUtil();

const PHOTO_PNG = readFileSync(join(__dirname, "..", "fixtures", "photo-256.png"));
/** A valid 256x256 PNG of about `megabytes` MB: the photo with a private ancillary chunk of padding before IEND. */
function bigPng(megabytes: number): Buffer {
  const data = Buffer.alloc(Math.round(megabytes * 1024 * 1024), 7);
  const type = Buffer.from("prVt", "latin1");
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([type, data])));
  const iend = PHOTO_PNG.length - 12;
  return Buffer.concat([PHOTO_PNG.subarray(0, iend), head, type, data, crc, PHOTO_PNG.subarray(iend)]);
}

const FAST_POLL = { batchPoll: 0.02, batchPollMax: 0.05 };

interface Seen {
  out: Msg[];
  caught: Msg[];
  completed: Msg[];
}

/** The flow of the image node in batch mode, with a complete node (done) and the usual out/caught helpers. */
function batchFlow(server: ImagesApiServer, node: Record<string, unknown>, type = "images-api-generate"): FlowOptions {
  const base =
    type === "images-api-edit"
      ? { image: "payload", imageType: "msg", mask: "mask", maskType: "msg", prompt: "prompt", promptType: "msg" }
      : {};
  return {
    baseUrl: server.baseUrl,
    type,
    config: { retries: 0, ...FAST_POLL },
    node: { model: "gpt-image-2.6-flare", delivery: "batch", batchSize: 100, batchWait: 60, ...base, ...node },
    extra: [
      { id: "cmp", type: "complete", z: TAB, scope: ["img"], uncaught: false, wires: [["completed"]] },
      { id: "completed", type: "helper", z: TAB },
    ],
  };
}

/** Loads batchFlow; what leaves the node, reaches Catch and is done, as it comes. */
async function loadBatch(server: ImagesApiServer, node: Record<string, unknown>, type = "images-api-generate"): Promise<Seen> {
  await loadFlow(batchFlow(server, node, type), [...NODES, editNode]);
  const seen: Seen = { out: [], caught: [], completed: [] };
  helper.getNode("out").on("input", (m: Msg) => seen.out.push(m));
  helper.getNode("caught").on("input", (m: Msg) => seen.caught.push(m));
  helper.getNode("completed").on("input", (m: Msg) => seen.completed.push(m));
  return seen;
}

const send = (msg: Msg) => helper.getNode("img").receive(msg);

/** The same flow deployed again ("full": every node restarts, as the editor's Deploy does); what leaves "out" after it. */
async function redeploy(server: ImagesApiServer, node: Record<string, unknown>): Promise<Msg[]> {
  await helper.setFlows(imageFlow(batchFlow(server, node)) as never, "full", { cfg: { apiKey: API_KEY } } as never);
  const out: Msg[] = [];
  helper.getNode("out").on("input", (m: Msg) => out.push(m));
  return out;
}

/**
 * The same flow deployed without the image node: Node-RED closes it with removed = true (a redeploy that keeps
 * it closes it with removed = false). Resolves when the close is over (or Node-RED's 15 s close timeout hit); its duration.
 */
async function removeNode(server: ImagesApiServer): Promise<number> {
  const without = imageFlow({ baseUrl: server.baseUrl, config: { retries: 0, ...FAST_POLL } }).filter((n) => n.id !== "img");
  const started = performance.now();
  await helper.setFlows(without as never, "full");
  return performance.now() - started;
}

/** Every done() of the image node from now on (until the returned stop): the message's topic and its error code. */
function watchDone(): { ends: Array<{ topic: unknown; code?: string }>; stop: () => void } {
  const ends: Array<{ topic: unknown; code?: string }> = [];
  hooks.add("onComplete.batchspec", (e) => {
    if (e.node?.id === "img") ends.push({ topic: e.msg?.topic, ...(e.error ? { code: e.error.code } : {}) });
  });
  return { ends, stop: () => hooks.remove("onComplete.batchspec") };
}

/** The image node's log lines at a level (20 error, 30 warn, 40 info), as text. */
function logged(level: number): string[] {
  const log = helper.log() as unknown as { args: Array<[{ level: number; id?: string; msg?: unknown }]> };
  return log.args
    .map((a) => a[0])
    .filter((e) => e.level === level && e.id === "img")
    .map((e) => (e.msg instanceof Error ? e.msg.message : typeof e.msg === "string" ? e.msg : JSON.stringify(e.msg)));
}

describe("batch delivery", function () {
  this.timeout(20_000);
  const api = withImagesApi();
  let server: ImagesApiServer;
  before(() => {
    server = api.server;
  });
  afterEach(() => hooks.remove("onComplete.batchspec"));

  it("queued until the count is reached: one batch, each message done when it is created, results as new messages", async () => {
    const seen = await loadBatch(server, { batchSize: 3 });
    send({ payload: "a red fox", topic: "fox", keep: { n: 1 }, raw: Buffer.from("dropped") });
    send({ payload: "a blue bird", topic: "bird" });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.batch.uploads.length, 0, "sent before the count was reached");
    assert.equal(seen.completed.length, 0);
    send({ payload: "a green frog", topic: "frog" });
    await until(() => seen.completed.length === 3, 5000);
    assert.equal(server.batch.uploads.length, 1);
    const [upload] = server.batch.uploads;
    assert.equal(upload.purpose, "batch");
    const lines = upload.lines ?? [];
    assert.equal(lines.length, 3);
    assert.deepEqual(
      lines.map((l: any) => l.body.prompt),
      ["a red fox", "a blue bird", "a green frog"],
    );
    assert.ok(lines.every((l: any) => l.method === "POST" && l.url === "/v1/images/generations" && l.body.model === "gpt-image-2.6-flare"));
    await until(() => seen.out.length === 3, 8000);
    const batchId = server.batch.last()?.id;
    for (const m of seen.out) {
      assert.ok(Buffer.isBuffer(m.payload));
      assert.equal(m.images[0].mimeType, "image/png");
      assert.equal(m.images[0].model, "gpt-image-2.6-flare");
      assert.equal(m.batch.id, batchId);
      assert.match(m.batch.customId, /^req-/);
    }
    const fox = seen.out.find((m) => m.topic === "fox")!;
    assert.deepEqual(fox.keep, { n: 1 }, "JSON-safe properties are kept");
    assert.equal(fox.raw, undefined, "Buffers are not kept");
    assert.equal((lines.find((l: any) => l.custom_id === fox.batch.customId) as any)?.body.prompt, "a red fox");
    assert.equal(seen.caught.length, 0);
    // batch delivery costs half: msg.cost from each line's usage at the discounted price
    for (const m of seen.out) {
      if (m.usage) assert.deepEqual(m.cost, { usd: usageCost("gpt-image-2.6-flare", m.usage, true), estimated: false, basis: "usage" });
      else assert.equal(m.cost.basis, "estimate");
      assert.ok(m.cost.usd > 0);
    }
    const full = seen.out.find((m) => m.usage);
    assert.ok(full, "the batch lines carry usage");
    assert.ok(Math.abs(full.cost.usd * 2 - usageCost("gpt-image-2.6-flare", full.usage)!) < 2e-6, "not half of the direct price");
  });

  it("queued until the time has passed since the first message", async () => {
    const seen = await loadBatch(server, { batchWait: 0.3 });
    send({ payload: "one" });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.batch.uploads.length, 0);
    await until(() => seen.completed.length === 1, 3000);
    assert.equal(server.batch.uploads.length, 1);
    await until(() => seen.out.length === 1, 8000);
  });

  it('msg.batch = "submit" sends the queue now (and is itself done)', async () => {
    const seen = await loadBatch(server, {});
    send({ payload: "one" });
    send({ payload: "two" });
    send({ batch: "submit" });
    await until(
      () => seen.completed.length === 3,
      3000,
      `3 done (got ${seen.completed.length}, caught ${JSON.stringify(seen.caught.map((m) => m.error))})`,
    );
    assert.equal(server.batch.uploads.length, 1);
    assert.equal(server.batch.uploads[0].lines?.length, 2);
    await until(() => seen.out.length === 2, 8000);
  });

  it("120 results in any order each go back to their own message", async () => {
    const seen = await loadBatch(server, { batchSize: 120 });
    for (let i = 0; i < 120; i++) send({ payload: `prompt ${i}`, topic: `t${i}`, params: { quality: "low" } });
    await until(() => seen.out.length === 120, 15_000);
    const lines = server.batch.uploads[0].lines ?? [];
    const promptOf = new Map(lines.map((l: any) => [l.custom_id, l.body.prompt]));
    assert.equal(new Set(seen.out.map((m) => m.topic)).size, 120);
    for (const m of seen.out) assert.equal(promptOf.get(m.batch.customId), `prompt ${m.topic.slice(1)}`);
    assert.notDeepEqual(
      seen.out.map((m) => m.topic),
      lines.map((_l: any, i: number) => `t${i}`),
      "the server answered in input order",
    );
  });

  it("a request that failed inside the batch reaches Catch with its code and its saved message", async () => {
    const seen = await loadBatch(server, { model: "flux-gateway-x", batchSize: 2 });
    send({ payload: "fine", topic: "ok" });
    send({ payload: "bad format", topic: "bad", params: { output_format: "bmp" } });
    await until(() => seen.out.length + seen.caught.length === 2, 8000);
    assert.equal(seen.out.length, 1);
    assert.equal(seen.out[0].topic, "ok");
    const bad = seen.caught[0];
    assert.equal(bad.topic, "bad");
    assert.equal(bad.error.code, "invalid_params");
    assert.equal(bad.statusCode, 400);
    assert.ok(bad.batch.customId);
  });

  it("bad input is refused before anything is queued", async () => {
    const seen = await loadBatch(server, { batchSize: 1 });
    send({ payload: "x", params: { quality: "ultra" } });
    await until(() => seen.caught.length === 1, 3000);
    assert.equal(seen.caught[0].error.code, "invalid_params");
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.batch.uploads.length, 0);
  });

  it("a server without the Batch API: batch_unsupported for every message, nothing lost silently", async () => {
    server.batch.unsupported = true;
    const seen = await loadBatch(server, { batchSize: 2 });
    send({ payload: "one", topic: "1" });
    send({ payload: "two", topic: "2" });
    await until(() => seen.caught.length === 2, 3000);
    assert.deepEqual(
      seen.caught.map((m) => m.error.code),
      ["batch_unsupported", "batch_unsupported"],
    );
    assert.deepEqual(seen.caught.map((m) => m.topic).sort(), ["1", "2"]);
    assert.match(seen.caught[0].error.message, /Files API/);
  });

  it("an expired batch delivers what completed and reports the rest as batch_expired", async () => {
    server.batch.pace = { ...server.batch.pace, inProgressPolls: 6, expireAfterPolls: 3 };
    const seen = await loadBatch(server, { batchSize: 6 });
    for (let i = 0; i < 6; i++) send({ payload: `p${i}` });
    await until(() => seen.out.length + seen.caught.length === 6, 10_000);
    assert.ok(seen.caught.length > 0, "nothing expired");
    assert.ok(
      seen.caught.every((m) => m.error.code === "batch_expired"),
      seen.caught.map((m) => m.error.code).join(),
    );
    assert.equal(server.batch.last()?.status, "expired");
  });

  it("a batch cancelled on the server delivers what completed and reports the rest as batch_cancelled", async () => {
    server.batch.pace = { ...server.batch.pace, inProgressPolls: 1000 };
    const seen = await loadBatch(server, { batchSize: 4 });
    for (let i = 0; i < 4; i++) send({ payload: `p${i}`, topic: `t${i}` });
    await until(() => seen.completed.length === 4, 3000);
    const id = server.batch.last()!.id;
    await until(() => (server.batch.polls(id) ?? 0) >= 2, 5000);
    server.batch.setStatus(id, "cancelled");
    await until(() => seen.out.length + seen.caught.length === 4, 8000);
    assert.ok(seen.caught.length > 0);
    assert.ok(
      seen.caught.every((m) => m.error.code === "batch_cancelled"),
      seen.caught.map((m) => m.error.code).join(),
    );
    assert.equal(new Set([...seen.out, ...seen.caught].map((m) => m.topic)).size, 4);
  });

  it("429 while polling is waited out; the results still arrive", async () => {
    server.batch.throttlePolls = 2;
    const seen = await loadBatch(server, { batchSize: 1 });
    send({ payload: "x" });
    await until(() => seen.out.length === 1, 10_000);
    assert.ok(server.batch.throttled >= 1);
  });

  it("with memory-only context the node warns at deploy that a restart loses pending batches", async () => {
    await loadBatch(server, {});
    const log = helper.log() as unknown as { args: Array<[{ level: number; id?: string; msg?: unknown }]> };
    const warnings = log.args
      .map((a) => a[0])
      .filter((e) => e.level === 30 && e.id === "img")
      .map((e) => String(e.msg));
    assert.deepEqual(warnings, ["node-red-contrib-images-api/images-api-config:images-api-config.shared.warn.batchMemoryStore"]);
  });

  it("removing the node (default settings): the queue is not sent and its messages end once; every pending batch is cancelled, its input file deleted; one log line", async () => {
    server.batch.pace = { ...server.batch.pace, inProgressPolls: 1_000_000 };
    const seen = await loadBatch(server, { batchSize: 2 });
    const done = watchDone();
    for (const p of ["a", "b", "c", "d"]) send({ payload: p, topic: p });
    await until(() => seen.completed.length === 4, 5000);
    assert.equal(server.batch.batches.size, 2);
    send({ payload: "queued", topic: "queued" });
    await pause(100);
    const batchIds = [...server.batch.batches.keys()];
    const inputFiles = server.batch.uploads.map((u) => u.id);
    assert.equal(inputFiles.length, 2);
    const ms = await removeNode(server);
    assert.deepEqual([...server.batch.cancels].sort(), [...batchIds].sort(), "every pending batch cancelled");
    assert.deepEqual([...server.batch.deletedFiles].sort(), [...inputFiles].sort(), "their input files deleted");
    assert.equal(server.batch.uploads.length, 2, "the queue was not sent");
    done.stop();
    assert.deepEqual(
      done.ends.sort((x, y) => String(x.topic).localeCompare(String(y.topic))),
      [{ topic: "a" }, { topic: "b" }, { topic: "c" }, { topic: "d" }, { topic: "queued", code: "aborted" }],
      "each message ended once; the queued one with aborted",
    );
    const info = logged(40).filter((t) => /node removed/.test(t));
    assert.equal(info.length, 1, info.join(" | "));
    assert.match(info[0], /2 of 2 pending batches cancelled/);
    for (const id of batchIds) assert.ok(info[0].includes(id), `the line names ${id}: ${info[0]}`);
    assert.match(info[0], /1 queued requests not sent/);
    assert.deepEqual(
      logged(30).filter((t) => !/batchMemoryStore/.test(t)),
      [],
      "no warnings",
    );
    assert.ok(ms < 5000, `removed in ${ms} ms`);
    await pause(200); // nothing is sent after close
    assert.equal(server.batch.uploads.length, 2);
    assert.equal(seen.out.length, 0);
  });

  it("an old flow's batchCancelOnRemove: false also cancels when the node is removed", async () => {
    server.batch.pace = { ...server.batch.pace, inProgressPolls: 1_000_000 };
    const seen = await loadBatch(server, { batchSize: 1, batchCancelOnRemove: false });
    send({ payload: "x" });
    await until(() => seen.completed.length === 1, 3000);
    const id = server.batch.last()!.id;
    await removeNode(server);
    assert.deepEqual(server.batch.cancels, [id]);
    assert.deepEqual(server.batch.deletedFiles, [server.batch.uploads[0].id]);
  });

  it('removing a node set to "keep them running": the queue is sent as before, nothing is cancelled or deleted, each batch id is logged', async () => {
    server.batch.pace = { ...server.batch.pace, inProgressPolls: 1_000_000 };
    const seen = await loadBatch(server, { batchSize: 2, batchOnRemove: "keep" });
    const done = watchDone();
    send({ payload: "one", topic: "one" });
    send({ payload: "two", topic: "two" });
    await until(() => seen.completed.length === 2, 3000);
    send({ payload: "queued", topic: "queued" });
    await pause(100);
    await removeNode(server);
    assert.equal(server.batch.batches.size, 2, "the queue went out as a batch");
    assert.deepEqual(server.batch.cleanupRequests, [], "nothing cancelled or deleted");
    const warnings = logged(30).filter((t) => /keeps running/.test(t));
    assert.equal(warnings.length, 2, warnings.join(" | "));
    for (const id of server.batch.batches.keys()) {
      const line = warnings.find((w) => w.includes(id));
      assert.ok(line, `batch ${id} logged`);
      assert.match(line, /can no longer be received by this node/);
      assert.match(line, /Batches page/);
    }
    done.stop();
    assert.deepEqual(
      done.ends.map((e) => e.topic).sort(),
      ["one", "queued", "two"],
      "each message done once, the queued one when its batch was created",
    );
    assert.ok(
      done.ends.every((e) => !e.code),
      JSON.stringify(done.ends),
    );
  });

  it("removing the node while the server is down: warnings, nothing thrown, the close ends in time", async () => {
    const down = await ImagesApiServer.start({ apiKey: API_KEY });
    try {
      down.batch.pace = { ...down.batch.pace, inProgressPolls: 1_000_000 };
      const seen = await loadBatch(down, { batchSize: 1 });
      send({ payload: "x" });
      await until(() => seen.completed.length === 1, 3000);
      const id = down.batch.last()!.id;
      await down.close();
      const ms = await removeNode(down);
      assert.ok(ms < 15_000, `removed in ${ms} ms`);
      const warnings = logged(30);
      const line = warnings.find((w) => w.includes(`batch ${id} could not be cancelled`));
      assert.ok(line, warnings.join(" | "));
      assert.ok(line.includes(down.batch.uploads[0].id), `the line names the input file: ${line}`);
      assert.deepEqual(
        logged(20).filter((t) => /Close timed out/i.test(t)),
        [],
      );
    } finally {
      await down.close();
    }
  });

  it("removing the node while the server hangs: the cleanup gives up after its 10 s budget, within Node-RED's 15 s close timeout", async function () {
    this.timeout(30_000);
    server.batch.pace = { ...server.batch.pace, inProgressPolls: 1_000_000 };
    const seen = await loadBatch(server, { batchSize: 1 });
    send({ payload: "x" });
    await until(() => seen.completed.length === 1, 3000);
    const id = server.batch.last()!.id;
    server.batch.stallCleanupMs = 60_000;
    const ms = await removeNode(server);
    assert.ok(ms >= 9_000 && ms < 13_000, `removed in ${ms} ms`);
    assert.deepEqual(server.batch.cleanupRequests.slice(0, 1), [`CANCEL ${id}`]);
    const late = logged(30).filter((w) => /no time left/.test(w));
    assert.equal(late.length, 1, logged(30).join(" | "));
    assert.ok(late[0].includes(`batch ${id}`) && late[0].includes(server.batch.uploads[0].id), late[0]);
    assert.deepEqual(
      logged(20).filter((t) => /Close timed out/i.test(t)),
      [],
    );
  });

  it("a redeploy while a batch is pending (no context store configured): the new node polls it and delivers the results", async () => {
    server.batch.pace = { ...server.batch.pace, inProgressPolls: 1_000_000 };
    const seen = await loadBatch(server, { batchSize: 2 });
    send({ payload: "one", n: 1 });
    send({ payload: "two", n: 2 });
    await until(() => seen.completed.length === 2, 5000);
    const id = server.batch.last()!.id;
    await until(() => (server.batch.polls(id) ?? 0) >= 1, 5000);
    const out = await redeploy(server, { batchSize: 2 });
    const polls = server.batch.polls(id) ?? 0;
    await until(() => (server.batch.polls(id) ?? 0) > polls, 5000);
    server.batch.completeAll();
    await until(() => out.length === 2, 5000);
    await pause(300); // nothing more may come
    assert.deepEqual(out.map((m) => m.n).sort(), [1, 2]);
    assert.equal(server.batch.batches.size, 1);
    assert.equal(server.batch.cancels.length, 0, "a redeploy never cancels");
  });

  it("a redeploy sends what is queued first, though the config node restarts too; the new node delivers its result", async () => {
    await loadBatch(server, { batchSize: 5 });
    send({ payload: "queued", n: 7 });
    await pause(100);
    assert.equal(server.batch.uploads.length, 0);
    const out = await redeploy(server, { batchSize: 5 });
    assert.equal(server.batch.batches.size, 1, "sent at the redeploy");
    await until(() => out.length === 1, 8000);
    assert.equal(out[0].n, 7);
    assert.deepEqual(server.batch.cleanupRequests, [], "nothing cancelled or deleted");
  });

  it("a redeploy while the results are being delivered: the new node delivers the rest, each result once", async () => {
    // one line per chunk, 150 ms apart: six results take about a second to download
    server.batch.contentChunkLines = true;
    server.batch.contentGapMs = 150;
    const seen = await loadBatch(server, { batchSize: 6 });
    for (let i = 0; i < 6; i++) send({ payload: `picture ${i}`, n: i });
    const ids = (msgs: Msg[]) => msgs.map((m) => (m.batch as { customId: string }).customId);
    await until(() => seen.out.length >= 2, 10_000);
    // the same flow deployed again while the download goes on
    const before = ids(seen.out);
    const after = await redeploy(server, { batchSize: 6 });
    await until(() => before.length + after.length >= 6, 10_000);
    await pause(500); // nothing more may come
    const all = [...before, ...ids(after)];
    assert.equal(new Set(all).size, 6, `six different results: ${all.join(", ")}`);
    assert.equal(all.length, 6, `each once: ${all.join(", ")}`);
    assert.ok(before.length >= 2 && after.length >= 1, `delivered before (${before.length}) and after (${after.length}) the redeploy`);
    // each result carries its own message's properties, and an image
    const results = [...seen.out.slice(0, before.length), ...after];
    assert.deepEqual(results.map((m) => m.n).sort(), [0, 1, 2, 3, 4, 5]);
    for (const m of results) assert.ok(Buffer.isBuffer(m.payload), "a PNG Buffer");
    assert.equal(server.batch.batches.size, 1, "no batch sent again");
    assert.ok(server.batch.contentReads.length >= 2, "the new node read the output file again (from its start)");
  });

  it("edits go as JSON bodies with their images as data URLs", async () => {
    const seen = await loadBatch(server, { batchSize: 1 }, "images-api-edit");
    send({ payload: PHOTO_PNG, prompt: "as a watercolour" });
    await until(() => seen.out.length === 1, 8000);
    const line: any = server.batch.uploads[0].lines?.[0];
    assert.equal(line.url, "/v1/images/edits");
    assert.match(line.body.images[0].image_url, /^data:image\/png;base64,/);
    assert.ok(Buffer.from(line.body.images[0].image_url.split(",")[1], "base64").equals(PHOTO_PNG));
    assert.deepEqual(pngSize(seen.out[0].payload), { width: 256, height: 256 });
  });

  it("an edit image over 4 MB is uploaded (purpose vision) and named by its file id; deleted once the batch is delivered", async () => {
    const big = bigPng(5);
    const seen = await loadBatch(server, { batchSize: 2 }, "images-api-edit");
    send({ payload: big, prompt: "as a watercolour", topic: "big" });
    send({ payload: PHOTO_PNG, prompt: "as a mosaic", topic: "small" });
    await until(() => seen.out.length === 2, 8000);
    const vision = server.batch.uploads.filter((u) => u.purpose === "vision");
    assert.equal(vision.length, 1, "one image uploaded: the large one");
    assert.ok(vision[0].data.equals(big), "the uploaded file is the message's image, byte for byte");
    assert.equal(vision[0].filename, "image.png");
    const lines: any[] = server.batch.uploads.find((u) => u.purpose === "batch")?.lines ?? [];
    assert.deepEqual(lines[0].body.images, [{ file_id: vision[0].id }]);
    assert.match(lines[1].body.images[0].image_url, /^data:image\/png;base64,/, "the small image stays a data URL");
    assert.deepEqual(seen.out.map((m) => m.topic).sort(), ["big", "small"]);
    assert.deepEqual(pngSize(seen.out.find((m) => m.topic === "big")?.payload), { width: 256, height: 256 });
    await until(() => server.batch.deletedFiles.length === 1, 3000);
    assert.deepEqual(server.batch.deletedFiles, [vision[0].id]);
  });

  it("an upload of a large edit image that fails is that message's error, before anything is queued", async () => {
    server.batch.unsupported = true;
    const seen = await loadBatch(server, { batchSize: 1 }, "images-api-edit");
    send({ payload: bigPng(5), prompt: "as a watercolour", topic: "big" });
    await until(() => seen.caught.length === 1, 3000);
    assert.equal(seen.caught[0].error.code, "batch_unsupported");
    assert.match(seen.caught[0].error.message, /image could not be uploaded for the batch: this server has no Files API/);
    assert.equal(seen.caught[0].topic, "big");
    assert.equal(seen.out.length, 0);
  });

  it("uploaded images are deleted when their batch cannot be created", async () => {
    server.batch.refuseCreate = "Billing hard limit has been reached.";
    const seen = await loadBatch(server, { batchSize: 1 }, "images-api-edit");
    send({ payload: bigPng(5), prompt: "as a watercolour" });
    await until(() => seen.caught.length === 1, 3000);
    assert.match(seen.caught[0].error.message, /Billing hard limit/);
    const vision = server.batch.uploads.filter((u) => u.purpose === "vision");
    assert.equal(vision.length, 1);
    await until(() => server.batch.deletedFiles.length === 1, 3000);
    assert.deepEqual(server.batch.deletedFiles, [vision[0].id]);
  });

  it("removing an edit node (default settings) also deletes the images it uploaded, for its pending batch and its queue", async () => {
    server.batch.pace = { ...server.batch.pace, inProgressPolls: 1_000_000 };
    const seen = await loadBatch(server, { batchSize: 1 }, "images-api-edit");
    send({ payload: bigPng(5), prompt: "as a watercolour" });
    await until(() => seen.completed.length === 1, 3000);
    // the node now waits for two requests: the next one is uploaded and queued
    await helper.setFlows(imageFlow(batchFlow(server, { batchSize: 2 }, "images-api-edit")) as never, "full", {
      cfg: { apiKey: API_KEY },
    } as never);
    send({ payload: bigPng(5), prompt: "as a mosaic" });
    await until(() => server.batch.uploads.filter((u) => u.purpose === "vision").length === 2, 3000);
    await pause(100);
    const vision = server.batch.uploads.filter((u) => u.purpose === "vision").map((u) => u.id);
    const input = server.batch.uploads.filter((u) => u.purpose === "batch").map((u) => u.id);
    assert.equal(input.length, 1);
    assert.deepEqual(server.batch.deletedFiles, [], "nothing deleted while the batch is pending");
    await removeNode(server);
    assert.deepEqual([...server.batch.deletedFiles].sort(), [...vision, ...input].sort());
    assert.deepEqual(server.batch.cancels, [server.batch.last()!.id]);
    assert.equal(server.batch.uploads.filter((u) => u.purpose === "batch").length, 1, "the queue was not sent");
  });
});
