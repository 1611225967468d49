/**
 * The plain parts of batch delivery: what of a message is kept, how requests become JSONL lines and files,
 * and how an output file is read line by line with its images decoded.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { saveMessage } from "../../../src/lib/batch/delivery";
import { inputFiles, requestLine } from "../../../src/lib/batch/lines";
import { readBatchLines, type BatchLine } from "../../../src/lib/batch/output-file";
import { releaseChunk } from "../../../src/lib/answer/release-chunk";
import { cleanUpRemoved, type Cleanup } from "../../../src/lib/batch/removal";
import type { PendingBatch } from "../../../src/lib/batch/delivery";
import { createBatch, uploadFile } from "../../../src/lib/batch/api";
import { ImagesClient } from "../../../src/lib/http/client";
import { ImagesApiServer } from "../../server/images-api-server";
import { gc } from "../../support/gc";

describe("batch delivery, the plain parts", () => {
  it("saveMessage keeps what JSON keeps: no Buffers, class instances, functions, cycles or the old _msgid", () => {
    class Req {
      socket = { parser: {} as Record<string, unknown> };
    }
    const req = new Req();
    req.socket.parser.socket = req.socket;
    const loop: Record<string, unknown> = { name: "loop" };
    loop.self = loop;
    const saved = saveMessage({
      _msgid: "m1",
      topic: "t",
      n: 2,
      ok: true,
      nested: { a: [1, "x", null] },
      when: new Date("2026-12-01T00:00:00Z"),
      raw: Buffer.from("x"),
      req,
      fn: () => 1,
      loop,
      inf: Infinity,
    });
    assert.deepEqual(saved, {
      topic: "t",
      n: 2,
      ok: true,
      nested: { a: [1, "x", null] },
      when: "2026-12-01T00:00:00.000Z",
      loop: { name: "loop" },
    });
  });

  it("requests become JSONL lines; files are cut by count and by size, in order", () => {
    const lines = Array.from({ length: 5 }, (_, i) => requestLine(`c${i}`, "generate", { model: "m", prompt: `p${i}` }));
    assert.deepEqual(JSON.parse(lines[0].line.toString()), {
      custom_id: "c0",
      method: "POST",
      url: "/v1/images/generations",
      body: { model: "m", prompt: "p0" },
    });
    assert.ok(lines[0].line.toString().endsWith("\n"));
    assert.deepEqual(
      inputFiles(lines, { maxLines: 2, maxBytes: 1e9 }).map((f) => f.map((l) => l.customId)),
      [["c0", "c1"], ["c2", "c3"], ["c4"]],
    );
    const size = lines[0].line.length;
    assert.deepEqual(
      inputFiles(lines, { maxLines: 100, maxBytes: size * 3 }).map((f) => f.length),
      [3, 2],
    );
  });

  it("an output file read in 7-byte chunks: every line, images decoded, errors kept", async () => {
    const png = Buffer.alloc(100_000, 7);
    const text =
      [
        JSON.stringify({
          id: "r1",
          custom_id: "a",
          response: { status_code: 200, request_id: "req_1", body: { data: [{ b64_json: png.toString("base64") }] } },
          error: null,
        }),
        "",
        JSON.stringify({ id: "r2", custom_id: "b", response: { status_code: 400, body: { error: { message: "bad" } } }, error: null }),
        JSON.stringify({ id: "r3", custom_id: "c", response: null, error: { code: "batch_expired", message: "late" } }),
      ].join("\r\n") + "\n";
    const bytes = Buffer.from(text);
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.subarray(i, i + 7));
    const got: BatchLine[] = [];
    await readBatchLines(Readable.from(chunks), (line) => got.push(line));
    assert.deepEqual(
      got.map((l) => l.customId),
      ["a", "b", "c"],
    );
    const image = (got[0].body as { data: Array<{ b64_json: Buffer }> }).data[0].b64_json;
    assert.ok(Buffer.isBuffer(image) && image.equals(png));
    assert.equal(got[0].requestId, "req_1");
    assert.equal(got[1].statusCode, 400);
    assert.deepEqual(got[2].error, { code: "batch_expired", message: "late" });
  });

  it("each chunk is handed back once nothing refers to it, never while a short line still holds it; freed chunks leave every image exact", async function () {
    const images = [randomBytes(200_000), randomBytes(3_000), randomBytes(150_000)];
    const text =
      images
        .map((b, i) =>
          JSON.stringify({ custom_id: `c${i}`, response: { status_code: 200, body: { data: [{ b64_json: b.toString("base64") }] } } }),
        )
        .join("\n") + "\n";
    const bytes = Buffer.from(text);
    // chunks of their own memory, as a socket gives them; cut so that the short line (c1) spans two chunks
    const cuts = [0, 70_000, bytes.indexOf('"c1"') + 10, bytes.indexOf('"c2"') + 10, bytes.length];
    const chunks = cuts.slice(1).map((end, i) => Buffer.from(bytes.subarray(cuts[i], end)));
    const done: number[] = [];
    const got: BatchLine[] = [];
    await readBatchLines(Readable.from(chunks), (line) => got.push(line), {
      chunkDone: (chunk) => {
        done.push(chunks.indexOf(chunk as (typeof chunks)[number]));
        releaseChunk(chunk);
      },
    });
    // chunk 1 ends inside the short line c1, chunk 2 ten bytes into c2: lines that short are held (parsed
    // whole at their end) and keep their chunks; c0 and the rest of c2 are decoded as they come
    assert.deepEqual(done, [0, 3]);
    await new Promise((resolve) => setImmediate(resolve));
    if (typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === "function") {
      assert.deepEqual(
        chunks.map((c) => c.length === 0),
        [true, false, false, true],
        "the chunks handed back are freed (detached)",
      );
    }
    assert.deepEqual(
      got.map((l) => l.customId),
      ["c0", "c1", "c2"],
    );
    got.forEach((l, i) => assert.ok((l.body as { data: Array<{ b64_json: Buffer }> }).data[0].b64_json.equals(images[i]), `image ${i}`));
  });

  it("a line that is not JSON is an error naming its number", async () => {
    const got: string[] = [];
    await assert.rejects(
      readBatchLines(Readable.from([Buffer.from('{"custom_id":"a"}\nnot json\n{"custom_id":"c"}\n')]), (line) => got.push(line.customId)),
      /line 2 of the batch file is not JSON/,
    );
    assert.deepEqual(got, ["a"], "the lines before it were handed over, none after");
  });

  it("an error thrown by the consumer stops the reading: the rest of the file is not read", async () => {
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 5; i++) {
        pulled++;
        yield Buffer.from(`{"custom_id":"c${i}"}\n`);
      }
    }
    await assert.rejects(
      readBatchLines(source(), (line) => {
        if (line.customId === "c1") throw new Error("stop here");
      }),
      /stop here/,
    );
    assert.equal(pulled, 2);
  });

  it("a line the consumer let go is freed while the next one is read (the reader keeps no reference to it)", async function () {
    if (!gc()) this.skip();
    // three lines of one 1 MB image each; the source waits between them, and there collects and looks
    const images = [randomBytes(1_000_000), randomBytes(1_000_000), randomBytes(1_000_000)];
    const text = images.map(
      (b, i) =>
        JSON.stringify({ custom_id: `c${i}`, response: { status_code: 200, body: { data: [{ b64_json: b.toString("base64") }] } } }) + "\n",
    );
    const refs: WeakRef<ArrayBuffer>[] = [];
    const aliveWhileNextRead: boolean[] = [];
    async function* source() {
      for (const t of text) {
        const bytes = Buffer.from(t);
        // the line's first half, then (the line not finished) a pause in which the earlier lines should be gone
        yield bytes.subarray(0, bytes.length >> 1);
        await new Promise((resolve) => setImmediate(resolve));
        gc();
        await new Promise((resolve) => setImmediate(resolve));
        aliveWhileNextRead.push(refs.some((r) => r.deref() !== undefined));
        yield bytes.subarray(bytes.length >> 1);
      }
    }
    const sizes: number[] = [];
    await readBatchLines(source(), (line) => {
      const image = (line.body as { data: Array<{ b64_json: Buffer }> }).data[0].b64_json;
      sizes.push(image.length);
      refs.push(new WeakRef(image.buffer as ArrayBuffer));
    });
    assert.deepEqual(sizes, [1_000_000, 1_000_000, 1_000_000]);
    // while line 2 is read, line 1 is gone; while line 3 is read, lines 1 and 2
    assert.deepEqual(aliveWhileNextRead, [false, false, false]);
  });

  describe("the cleanup of a removed node (against the test server's Files and Batch APIs)", () => {
    const KEY = "sk-cleanup-test";
    let server: ImagesApiServer;
    let client: ImagesClient;
    before(async () => {
      server = await ImagesApiServer.start({ apiKey: KEY });
      client = new ImagesClient({ baseUrl: server.baseUrl, apiKey: KEY, maxRetries: 0 });
    });
    after(async () => {
      await client.close();
      await server.close();
    });
    beforeEach(() => server.reset());

    /** A real batch of one generate line; its PendingBatch as the node keeps it (inputFile left out on request). */
    async function pendingBatch(keepInput = true, images: string[] = []): Promise<PendingBatch> {
      const line = requestLine("req-1", "generate", { model: "gpt-image-1", prompt: "a fox" }).line;
      const input = await uploadFile(client, { data: line, filename: "requests.jsonl", contentType: "application/jsonl" }, "batch");
      const batch = await createBatch(client, input, "generate", {});
      return {
        id: batch.id,
        op: "generate",
        status: batch.status,
        ...(keepInput ? { inputFile: input } : {}),
        entries: { "req-1": { msg: {}, model: "gpt-image-1", files: images } },
      };
    }
    const run = async (o: Partial<Cleanup>) => {
      const warnings: string[] = [];
      const lines: string[] = [];
      await cleanUpRemoved({
        client,
        batches: [],
        files: [],
        dropped: 0,
        deadline: AbortSignal.timeout(5000),
        budgetMs: 5000,
        warn: (t) => warnings.push(t),
        log: (t) => lines.push(t),
        ...o,
      });
      return { warnings, lines };
    };

    it("cancels what is not over, deletes every upload; a batch saved without its input file gets it from the cancel answer", async () => {
      const image = await uploadFile(client, { data: Buffer.from("png bytes"), filename: "image.png", contentType: "image/png" }, "vision");
      const a = await pendingBatch(true, [image]);
      const old = await pendingBatch(false);
      const over = { ...(await pendingBatch()), status: "completed" as const };
      server.batch.setStatus(over.id, "completed");
      const spare = await uploadFile(
        client,
        { data: Buffer.from("queued image"), filename: "image.png", contentType: "image/png" },
        "vision",
      );
      const { warnings, lines } = await run({ batches: [a, old, over], files: [spare], dropped: 2 });
      assert.deepEqual(warnings, []);
      assert.deepEqual(server.batch.cancels, [a.id, old.id], "a batch that is over is not cancelled");
      const inputs = server.batch.uploads.filter((u) => u.purpose === "batch").map((u) => u.id);
      assert.deepEqual([...server.batch.deletedFiles].sort(), [...inputs, image, spare].sort());
      assert.deepEqual(lines, [
        `node removed: 2 of 2 pending batches cancelled (${a.id}, ${old.id}), 2 queued requests not sent, 5 uploaded files deleted`,
      ]);
    });

    it("a batch that cannot be cancelled keeps its files, and the warning names them; no client: one warning naming everything", async () => {
      const a = await pendingBatch();
      server.batch.setStatus(a.id, "cancelled"); // the server refuses to cancel it again (409), the node still thinks it runs
      a.status = "in_progress";
      const { warnings, lines } = await run({ batches: [a] });
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], new RegExp(`batch ${a.id} could not be cancelled .*then delete its files ${a.inputFile}`));
      assert.deepEqual(server.batch.deletedFiles, []);
      assert.deepEqual(lines, ["node removed: 0 of 1 pending batches cancelled, 0 queued requests not sent, 0 uploaded files deleted"]);

      const none = await run({ client: undefined, batches: [a], files: ["file-x"] });
      assert.equal(none.warnings.length, 1);
      assert.match(
        none.warnings[0],
        new RegExp(`its config node is gone: batch ${a.id}, ${a.inputFile}, file-x could not be cancelled or deleted`),
      );
    });

    it("a spent budget: nothing more is asked, one warning lists what is left", async () => {
      const a = await pendingBatch();
      const { warnings } = await run({ batches: [a], files: ["file-y"], deadline: AbortSignal.abort(), budgetMs: 1 });
      assert.deepEqual(server.batch.cleanupRequests, []);
      assert.deepEqual(warnings, [
        `the node was removed, but there was no time left (0.001 s): batch ${a.id}, ${a.inputFile}, file-y could not be cancelled or deleted; cancel or delete them on your provider's dashboard`,
      ]);
    });
  });
});
