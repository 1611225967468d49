/**
 * Hostile answers through a real node and the real test server: a 40 MB streamed event is decoded as
 * it arrives (no long stall, memory near the image), and JSON answers that are huge besides their
 * images, nested absurdly deep, or carry an image over the per-image cap end in a clear api_error.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { helper, loadFlow, run, type Msg, withImagesApi } from "../support/flow";
import { assertStallBudget, measureStall } from "../support/stall";
import { pngChunk } from "../server/png";

const PHOTO = readFileSync(join(__dirname, "..", "fixtures", "photo-256.png"));
const MB = 1024 * 1024;

/** photo-256.png grown to `size` bytes by a tEXt chunk before IEND: a real, valid PNG of that size */
function bigPng(size: number): Buffer {
  const filler = Buffer.alloc(size - PHOTO.length - 20, "abcdefghij");
  const text = pngChunk("tEXt", Buffer.concat([Buffer.from("Comment\0", "latin1"), filler]));
  return Buffer.concat([PHOTO.subarray(0, PHOTO.length - 12), text, PHOTO.subarray(PHOTO.length - 12)]);
}

/** the running client's caps, lowered or raised as a flow's config would */
function caps(o: { maxResponseBytes?: number; maxImageBytes?: number }): void {
  Object.assign(helper.getNode("cfg").client.options, o);
}

describe("hostile answers: bounded stalls, memory and clear errors", function () {
  this.timeout(60000);
  const api = withImagesApi();

  it("one 40 MB completed event is decoded as it arrives: the exact image, no stall over 80 ms (100 ms per 50 MB), memory near the image", async () => {
    const image = bigPng(30 * MB); // 40 MB of base64 in one event
    api.server.setDefault({ stream: { image } });
    await loadFlow({ baseUrl: api.server.baseUrl });
    caps({ maxImageBytes: 64 * MB });
    const stalls: number[] = [];
    const grown: number[] = [];
    for (let i = 0; i < 2; i++) {
      api.server.reset();
      api.server.setDefault({ stream: { image } });
      const { result, stallMs, rssMB, arrayBuffersMB } = await measureStall(() =>
        run({ payload: "huge", params: { stream: true } }, 30000),
      );
      console.log(`      40 MB event: rss +${rssMB.toFixed(0)} MB, array buffers +${arrayBuffersMB.toFixed(0)} MB`);
      const { out, caught } = result;
      assert.equal(caught.length, 0, caught[0]?.error?.message);
      assert.equal(out.length, 1);
      assert.ok((out[0].payload as Buffer).equals(image), "the image arrived exactly");
      assert.equal(api.server.requests[0].json.stream, true, "it was streamed");
      stalls.push(stallMs);
      grown.push(rssMB);
    }
    assertStallBudget(stalls, 80, "a 40 MB streamed event");
    // the image is 30 MB; its event is 40 MB of text: as a string it would be twice over (JSON.parse's copy)
    assert.ok(Math.min(...grown) < 200, `rss grew ${grown.join(", ")} MB`);
  });

  describe("JSON answers", () => {
    it("9 MB besides the images: api_error that says so, without a long stall", async () => {
      const extra = [];
      for (let i = 0, size = 0; size < 9 * MB; i++) {
        const item = { id: i, name: `item ${i}`, tags: ["a", "b"], v: 1.5 };
        extra.push(item);
        size += JSON.stringify(item).length + 1;
      }
      const body = Buffer.from(JSON.stringify({ created: 1, data: [{ b64_json: PHOTO.toString("base64") }], extra }));
      api.server.setDefault({ body, contentType: "application/json" });
      await loadFlow({ baseUrl: api.server.baseUrl });
      const stalls: number[] = [];
      for (let i = 0; i < 3; i++) {
        api.server.requests = [];
        const { result, stallMs } = await measureStall(() => run({ payload: "bloated" }));
        const { out, caught } = result;
        assert.equal(out.length, 0);
        assert.equal(caught[0]?.error?.code, "api_error");
        assert.match(
          caught[0].error.message,
          /the answer holds more than 2\.0 MB besides its images; more than an Images API answer ever has/,
        );
        assert.equal(api.server.requests.length, 1, "not retried");
        stalls.push(stallMs);
      }
      assertStallBudget(stalls, 50, "a 9 MB non-image JSON answer");
    });

    for (const depth of [100_000, 30_000]) {
      it(`nested ${depth.toLocaleString("en")} deep${depth * 2 < 64 * 1024 ? " (small: parsed whole)" : ""}: api_error that says so, not "not JSON"`, async () => {
        const body = `{"data":${"[".repeat(depth)}${"]".repeat(depth)}}`;
        api.server.setDefault({ body, contentType: "application/json" });
        await loadFlow({ baseUrl: api.server.baseUrl });
        const { out, caught } = await run({ payload: "deep" });
        assert.equal(out.length, 0);
        assert.equal(caught[0]?.error?.code, "api_error");
        assert.match(caught[0].error.message, /the answer is nested deeper than 64 levels/);
        assert.doesNotMatch(caught[0].error.message, /instead of JSON/);
      });
    }

    it("an image over the client's maxImageBytes: api_error naming the cap", async () => {
      const image = bigPng(2 * MB);
      api.server.setDefault({
        json: { created: 1, data: [{ b64_json: PHOTO.toString("base64") }, { b64_json: image.toString("base64") }] },
      });
      await loadFlow({ baseUrl: api.server.baseUrl });
      caps({ maxImageBytes: 1 * MB });
      const { out, caught } = await run({ payload: "big", params: { n: 2 } } as Msg);
      assert.equal(out.length, 0);
      assert.equal(caught[0]?.error?.code, "api_error");
      assert.match(caught[0].error.message, /image 2 of the answer is larger than 1\.0 MB, the largest image this client takes/);
    });
  });
});
