/**
 * Streaming partial images through both nodes, against the test server's real server-sent events.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import editNode = require("../../src/nodes/images-api-edit");
import { ImagesApiServer } from "../server/images-api-server";
import { assertValidRequest } from "../support/spec-validator";
import { NODES, collect, helper, loadFlow, pngSize, type Msg, withImagesApi } from "../support/flow";
import { pngChunk } from "../server/png";
import { gc } from "../support/gc";
import { assertStallBudget, measureStall } from "../support/stall";

const SHARED = "node-red-contrib-images-api/images-api-config:images-api-config.shared.";
const PHOTO = readFileSync(join(__dirname, "..", "fixtures", "photo-256.png"));
/** what the test server sends for output_format "jpeg" */
const JPEG = readFileSync(join(__dirname, "..", "fixtures", "photo-256.jpg"));

/** photo-256.png grown to `size` bytes by a tEXt chunk before IEND: a real, valid PNG of that size */
export function bigPng(size: number): Buffer {
  const head = PHOTO.subarray(0, PHOTO.length - 12);
  const filler = Buffer.alloc(size - PHOTO.length - 12 - 8, "abcdefghij");
  return Buffer.concat([
    head,
    pngChunk("tEXt", Buffer.concat([Buffer.from("Comment\0", "latin1"), filler])),
    PHOTO.subarray(PHOTO.length - 12),
  ]);
}

/** what was logged as a warning (level 30) */
function warnings(): string[] {
  return helper
    .log()
    .args.filter((a: Array<{ level?: number }>) => a[0].level === 30)
    .map((a: Array<{ msg?: unknown }>) => String(a[0].msg));
}

describe("streaming partial images", function () {
  const api = withImagesApi();
  let server: ImagesApiServer;
  before(() => {
    server = api.server;
  });

  /** Sends one message and collects every message until the final one (or an error). */
  async function stream(msg: Msg, node: Record<string, unknown> = {}, type = "images-api-generate", setup?: () => void) {
    const edit = type === "images-api-edit";
    await loadFlow(
      {
        baseUrl: server.baseUrl,
        type,
        node: edit
          ? { image: "payload", imageType: "msg", prompt: "prompt", promptType: "msg", mask: "mask", maskType: "msg", ...node }
          : node,
      },
      edit ? [...NODES, editNode] : NODES,
    );
    setup?.();
    const out: Array<Msg & { receivedAt: number }> = [];
    const caught: Msg[] = [];
    const finished = new Promise<void>((resolve) => {
      helper.getNode("out").on("input", (m: Msg) => {
        out.push({ ...m, receivedAt: Date.now() });
        if (!m.partial) resolve();
      });
      helper.getNode("caught").on("input", (m: Msg) => {
        caught.push(m);
        resolve();
      });
    });
    helper.getNode("img").receive(msg);
    await finished;
    await new Promise((r) => setTimeout(r, 100));
    return { out, caught };
  }

  it("gpt-image-1 with 2 partial images: two partial messages, then the final image with usage", async () => {
    const { out, caught } = await stream({ payload: "A lighthouse at night", topic: "t" }, { partialImages: 2 });
    assert.equal(caught.length, 0, caught[0]?.error?.message);
    assert.deepEqual(
      out.map((m) => [m.partial, m.partialIndex, m.imageIndex]),
      [
        [true, 0, 0],
        [true, 1, 0],
        [undefined, undefined, undefined],
      ],
    );
    for (const m of out) {
      assert.ok(Buffer.isBuffer(m.payload));
      assert.deepEqual(pngSize(m.payload), { width: 1024, height: 1024 });
      assert.equal(m.topic, "t");
    }
    assert.equal(out[0].usage, undefined);
    assert.equal(typeof out[2].usage.total_tokens, "number");
    const req = server.requests[0];
    assert.deepEqual(req.json, { model: "gpt-image-1", partial_images: 2, prompt: "A lighthouse at night", stream: true });
    assert.equal(req.headers.accept, "text/event-stream");
    assertValidRequest(req);
  });

  it("the first partial leaves the node before the server even sends the completed event", async () => {
    server.setDefault({ stream: { gapMs: 400 } });
    const { out } = await stream({ payload: "slow", params: { partial_images: 1 } });
    const completedAt = server.sentEvents.find((e) => e.event.endsWith(".completed"))!.at;
    assert.ok(out[0].partial);
    assert.ok(out[0].receivedAt < completedAt, `partial at ${out[0].receivedAt}, completed sent at ${completedAt}`);
  });

  for (const [title, shape] of [
    ["CRLF line ends in 7-byte chunks", { chunkSize: 7, eol: "\r\n" }],
    ["CR line ends", { eol: "\r" }],
  ] as const) {
    it(`${title}: same messages, same bytes`, async () => {
      server.setDefault({ stream: shape });
      const { out, caught } = await stream({ payload: "chunks", params: { partial_images: 2, size: "1024x1536" } });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.equal(out.length, 3);
      assert.deepEqual(pngSize(out[2].payload), { width: 1024, height: 1536 });
    });
  }

  // a small JPEG, so that one event-loop turn per byte stays well inside the test's time on a slow host
  it("1-byte chunks: same messages, same bytes", async () => {
    server.setDefault({ stream: { chunkSize: 1 } });
    const { out, caught } = await stream({ payload: "chunks", params: { partial_images: 2, output_format: "jpeg" } });
    assert.equal(caught.length, 0, caught[0]?.error?.message);
    assert.deepEqual(
      out.map((m) => Boolean(m.partial)),
      [true, true, false],
    );
    for (const m of out) assert.ok(Buffer.compare(m.payload as Buffer, JPEG) === 0, "the image differs from the JPEG the server sent");
  });

  it("n = 2: partials are attributed to their image, the final message has both", async () => {
    const { out } = await stream({ payload: "two", params: { n: 2, partial_images: 2 } });
    assert.deepEqual(
      out.filter((m) => m.partial).map((m) => [m.imageIndex, m.partialIndex]),
      [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ],
    );
    const final = out[out.length - 1];
    assert.equal(final.payload.length, 2);
    assert.equal(final.images.length, 2);
  });

  it("status shows partial k/N", async () => {
    await loadFlow({ baseUrl: server.baseUrl, node: { partialImages: 3 } });
    const statuses: string[] = [];
    helper.getNode("img").on("call:status", (c: { args: [{ text?: string }] }) => statuses.push(String(c.args[0].text)));
    const done = collect(4);
    helper.getNode("img").receive({ payload: "progress" });
    await done;
    assert.ok(statuses.includes(`${SHARED}status.partial`), statuses.join());
    assert.ok(statuses[statuses.length - 1].startsWith(`${SHARED}status.done · $`), statuses[statuses.length - 1]);
  });

  it("edit image streams image_edit events the same way", async () => {
    const { out, caught } = await stream({ payload: PHOTO, prompt: "hats" }, { partialImages: 1 }, "images-api-edit");
    assert.equal(caught.length, 0, caught[0]?.error?.message);
    assert.deepEqual(
      out.map((m) => Boolean(m.partial)),
      [true, false],
    );
    const form = server.requests[0].form!;
    assert.equal(form.find((p) => p.name === "stream")?.value, "true");
    assert.equal(form.find((p) => p.name === "partial_images")?.value, "1");
    assertValidRequest(server.requests[0]);
  });

  describe("failures end in done(err), never in a half result", () => {
    it("a stream that ends without a completed event → stream_incomplete", async () => {
      server.setDefault({ stream: { endAfterEvents: 2 } });
      const { out, caught } = await stream({ payload: "cut", params: { partial_images: 2 } });
      assert.equal(out.length, 2, "the partials that arrived were sent");
      assert.ok(out.every((m) => m.partial));
      assert.equal(caught.length, 1);
      assert.equal(caught[0].error.code, "stream_incomplete");
      assert.match(caught[0].error.message, /ended before the finished image arrived/);
      assert.equal(server.requests.length, 1, "not retried after messages left");
    });

    it("n = 2 but only one completed event → stream_incomplete", async () => {
      server.setDefault({ stream: { endAfterEvents: 3 } });
      const { caught } = await stream({ payload: "cut", params: { n: 2, partial_images: 2 } });
      assert.equal(caught[0].error.code, "stream_incomplete");
      assert.match(caught[0].error.message, /after 1 of 2 finished images/);
    });

    it("an `event: error` → its code (moderation_blocked)", async () => {
      server.setDefault({
        sse: {
          events: [
            {
              event: "error",
              data: JSON.stringify({ error: { message: "Your request was rejected by the safety system", code: "moderation_blocked" } }),
            },
          ],
        },
      });
      const { caught } = await stream({ payload: "bad", params: { partial_images: 1 } });
      assert.equal(caught[0].error.code, "moderation_blocked");
      assert.match(caught[0].error.message, /the image stream reported an error: .*safety system/);
    });

    it("a data line with an error key → api_error", async () => {
      server.setDefault({ sse: { events: [{ data: JSON.stringify({ error: { message: "upstream exploded", type: "server_error" } }) }] } });
      const { caught } = await stream({ payload: "bad", params: { partial_images: 1 } });
      assert.equal(caught[0].error.code, "api_error");
      assert.match(caught[0].error.message, /upstream exploded/);
    });

    it("an event that is not JSON → api_error", async () => {
      server.setDefault({ sse: { events: [{ event: "image_generation.completed", data: "{not json" }] } });
      const { caught } = await stream({ payload: "bad", params: { partial_images: 1 } });
      assert.equal(caught[0].error.code, "api_error");
      assert.match(caught[0].error.message, /not JSON/);
    });
  });

  describe("gateways", () => {
    it("a gateway that ignores stream and answers plain JSON still works", async () => {
      server.setDefault({ json: { created: 1, data: [{ b64_json: PHOTO.toString("base64") }] } });
      const { out, caught } = await stream({ payload: "json please", params: { partial_images: 2 } });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.equal(out.length, 1);
      assert.ok(out[0].payload.equals(PHOTO));
    });

    it("a gateway that refuses stream: asked once more without it, with a warning", async () => {
      server.script({ status: 400, error: { message: "Unknown parameter: 'stream'.", param: "stream", code: "unknown_parameter" } });
      const { out, caught } = await stream({ payload: "retry plain", params: { partial_images: 2 } });
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.equal(out.length, 1);
      assert.equal(server.requests.length, 2);
      assert.equal(server.requests[0].json.stream, true);
      assert.deepEqual(server.requests[1].json, { model: "gpt-image-1", prompt: "retry plain" });
      const warned = helper
        .log()
        .args.some((a: Array<{ level?: number; msg?: unknown }>) => a[0].level === 30 && /refused streaming/.test(String(a[0].msg)));
      assert.ok(warned, "a warning was logged");
    });

    it("…unless the node says not to", async () => {
      server.script({ status: 400, error: { message: "stream is not supported", param: "stream" } });
      const { out, caught } = await stream({ payload: "no retry", params: { partial_images: 2 } }, { streamFallback: false });
      assert.equal(out.length, 0);
      assert.equal(caught[0].error.code, "invalid_params");
      assert.equal(server.requests.length, 1);
    });
  });

  describe("a hostile stream is bounded by what was asked", () => {
    it("20,000 partial_image events for n = 1, partial_images = 2: two partial messages, one warning, the loop never stalls", async function () {
      this.timeout(30000);
      // the small JPEG in every event: 20,000 events are 115 MB of stream
      server.setDefault({ stream: { extraPartials: 19_998 } });
      const { result, stallMs } = await measureStall(() =>
        stream({ payload: "flood", params: { partial_images: 2, output_format: "jpeg" } }),
      );
      const { out, caught } = result;
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.deepEqual(
        out.map((m) => [m.partial, m.partialIndex]),
        [
          [true, 0],
          [true, 1],
          [undefined, undefined],
        ],
      );
      assert.ok(out[2].payload.equals(JPEG), "the finished image is the server's");
      const warned = warnings().filter((w) => /more partial images than partial_images = 2 asked for; the extra ones are dropped/.test(w));
      assert.equal(warned.length, 1, warnings().join("\n"));
      assertStallBudget([stallMs], 150, "20,000 partial events");
    });

    it("60 completed events of 1 MB for n = 1: api_error at the second, not retried, no final message, nothing held, the rest not read", async function () {
      this.timeout(30000);
      const image = bigPng(1024 * 1024);
      server.setDefault({ stream: { image, extraCompleted: 59 } });
      gc();
      const before = process.memoryUsage().arrayBuffers;
      const { out, caught } = await stream({ payload: "too many", params: { partial_images: 1 } });
      gc();
      // what the outcome holds (out and caught are still referenced here)
      const heldMB = (process.memoryUsage().arrayBuffers - before) / 1024 / 1024;
      const sentMB = server.streamedBytes / 1024 / 1024;
      console.log(`      60 completed events: ${heldMB.toFixed(1)} MB held after, ${sentMB.toFixed(1)} MB of 84 MB sent`);
      assert.deepEqual(
        out.map((m) => m.partial),
        [true],
        "the partial was sent, no final message",
      );
      assert.equal(caught.length, 1);
      assert.equal(caught[0].error.code, "api_error");
      assert.match(caught[0].error.message, /the image stream sent more finished images than n = 1 asked for/);
      assert.equal(server.requests.length, 1, "not retried");
      assert.ok(heldMB < 4, `${heldMB} MB held after the outcome`);
      assert.ok(sentMB < 40, `${sentMB} MB of the stream were sent before the client hung up`);
    });

    /** the running client's caps, lowered as a flow's config would */
    const caps = (o: { maxResponseBytes?: number; maxImageBytes?: number }) => () => Object.assign(helper.getNode("cfg").client.options, o);

    it("a stream larger than the client's maxResponseBytes (each event under the per-image cap): api_error naming the cap", async function () {
      this.timeout(30000);
      server.setDefault({ stream: { image: bigPng(1024 * 1024), extraPartials: 30 } });
      const { caught } = await stream(
        { payload: "long", params: { partial_images: 2 } },
        {},
        undefined,
        caps({ maxResponseBytes: 8 * 1024 * 1024 }),
      );
      assert.equal(caught.length, 1);
      assert.equal(caught[0].error.code, "api_error");
      assert.match(caught[0].error.message, /the image stream is larger than 8\.0 MB, the most this client reads for one answer/);
      assert.equal(server.requests.length, 1, "not retried");
    });

    it("one event larger than the client's maxImageBytes: api_error naming the cap, the rest not read", async function () {
      this.timeout(30000);
      // a 24 MB image: 32 MB of base64 in one event
      server.setDefault({ stream: { image: bigPng(24 * 1024 * 1024) } });
      const { out, caught } = await stream(
        { payload: "huge", params: { partial_images: 1 } },
        {},
        undefined,
        caps({ maxImageBytes: 4 * 1024 * 1024 }),
      );
      const sentMB = server.streamedBytes / 1024 / 1024;
      console.log(`      an event over the cap: ${sentMB.toFixed(1)} MB of 64 MB sent`);
      assert.equal(out.length, 0);
      assert.equal(caught.length, 1);
      assert.equal(caught[0].error.code, "api_error");
      assert.match(
        caught[0].error.message,
        /a streamed event is larger than 5\.4 MB \(an image over 4\.0 MB, the largest image this client takes, as base64\)/,
      );
      assert.equal(server.requests.length, 1, "not retried");
      assert.ok(sentMB < 16, `${sentMB} MB were sent before the client hung up`);
    });
  });

  it("redeploy mid-stream aborts it; nothing is sent afterwards", async () => {
    server.setDefault({ stream: { gapMs: 600 } });
    await loadFlow({ baseUrl: server.baseUrl, node: { partialImages: 3 } });
    const sent: Msg[] = [];
    const first = new Promise<void>((resolve) =>
      helper.getNode("out").on("input", (m: Msg) => {
        sent.push(m);
        resolve();
      }),
    );
    helper.getNode("img").receive({ payload: "long render" });
    await first;
    const started = Date.now();
    await helper.unload();
    assert.ok(Date.now() - started < 1000);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(sent.length, 1, "only the partial that arrived before the redeploy");
    assert.equal(server.inFlight, 0);
    assert.ok(server.sentEvents.length < 4, "the server stopped sending once the client went away");
  });
});
