import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { JsonImagesReader, MAX_SKELETON_BYTES, WHOLE_ANSWER_MAX } from "../../../src/lib/answer/json-images";

const PNG = readFileSync(join(__dirname, "..", "..", "fixtures", "photo-256.png"));
const JPG = readFileSync(join(__dirname, "..", "..", "fixtures", "photo-256.jpg"));

/** how the reader takes small answers: scanned like big ones (wholeMax 0), or held and parsed whole (the default) */
let wholeMax = 0;

function read(text: string | Buffer, chunkSize: number, expected?: number) {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, "utf8");
  const r = new JsonImagesReader(undefined, expected, wholeMax);
  for (let i = 0; i < bytes.length; i += chunkSize) r.push(bytes.subarray(i, i + chunkSize));
  return r.end();
}

for (const mode of ["scanned", "small answers parsed whole"] as const)
  describe(`JsonImagesReader (${mode}): b64_json decoded while the answer streams in`, () => {
    before(() => {
      wholeMax = mode === "scanned" ? 0 : WHOLE_ANSWER_MAX;
    });

    const answer = JSON.stringify({
      created: 1,
      data: [
        { b64_json: PNG.toString("base64"), revised_prompt: 'says "b64_json": "x" inside a string' },
        { b64_json: JPG.toString("base64") },
      ],
      usage: { total_tokens: 7, note: "b64_json" },
    });

    it("gives the same result as JSON.parse + Buffer.from for every chunk size", () => {
      for (const size of [1, 2, 3, 5, 7, 64, 1000, 1 << 20]) {
        const { json, images } = read(answer, size) as { json: any; images: Buffer[] };
        assert.equal(images.length, 2, `chunks of ${size}`);
        assert.ok(json.data[0].b64_json.equals(PNG), `chunks of ${size}`);
        assert.ok(json.data[1].b64_json.equals(JPG));
        assert.equal(json.data[0].revised_prompt, 'says "b64_json": "x" inside a string');
        assert.deepEqual(json.usage, { total_tokens: 7, note: "b64_json" });
      }
    });

    it("takes whitespace around the colon, escaped slashes and line-wrapped base64", () => {
      const b64 = PNG.toString("base64");
      // wrapped at 76 characters (as MIME does), then "/" escaped as "\/" (as some JSON writers do)
      const wrapped = b64
        .replace(/(.{76})/g, "$1\n")
        .replace(/\//g, "\\/")
        .replace(/\n/g, "\\n");
      const { json } = read(`{ "data" : [ { "b64_json"  :  "${wrapped}" } ] }`, 13) as { json: any };
      assert.ok(json.data[0].b64_json.equals(PNG));
    });

    it('takes \\uXXXX escapes in the base64 (.NET\'s JSON writer sends "+" as \\u002B), at any chunk boundary', () => {
      const big = randomBytes(90_000); // past the small-answer size too
      for (const bytes of [PNG, big]) {
        const escaped = bytes
          .toString("base64")
          .replace(/(.{76})/g, "$1\n")
          .replace(/\+/g, "\\u002B")
          .replace(/\//g, "\\u002f")
          .replace(/\n/g, "\\u000A");
        for (const size of [1, 3, 5, 7, 4096]) {
          const { json } = read(`{"data":[{"b64_json":"${escaped}"}]}`, size) as { json: any };
          assert.ok(json.data[0].b64_json.equals(bytes), `${bytes.length} bytes in chunks of ${size}`);
        }
      }
    });

    it("ten 3 MB images of random bytes in 64 kB chunks: every one found and decoded exactly", () => {
      const images = Array.from({ length: 10 }, () => randomBytes(3 * 1024 * 1024));
      const body = Buffer.from(
        JSON.stringify({ created: 1, data: images.map((b) => ({ b64_json: b.toString("base64") })), usage: { total_tokens: 1 } }),
      );
      const { json, images: decoded } = read(body, 65536) as { json: any; images: Buffer[] };
      assert.equal(decoded.length, 10);
      decoded.forEach((b, i) => assert.ok(b.equals(images[i]), `image ${i}`));
      assert.deepEqual(json.usage, { total_tokens: 1 });
    });

    it("with the body length known, every image is a view of one block (no copies), and the bytes are exact", () => {
      const images = Array.from({ length: 4 }, () => randomBytes(300_000));
      const body = Buffer.from(JSON.stringify({ data: images.map((b) => ({ b64_json: b.toString("base64") })) }));
      for (const size of [1000, 65536]) {
        const { images: decoded } = read(body, size, body.length) as { images: Buffer[] };
        decoded.forEach((b, i) => assert.ok(b.equals(images[i]), `image ${i}, chunks of ${size}`));
        assert.equal(new Set(decoded.map((b) => b.buffer)).size, 1, "one block");
      }
    });

    it("a content-length that is too small: the images are still exact (the rest goes piecewise)", () => {
      const images = Array.from({ length: 3 }, () => randomBytes(200_000));
      const body = Buffer.from(JSON.stringify({ data: images.map((b) => ({ b64_json: b.toString("base64") })) }));
      const { images: decoded } = read(body, 4096, 300_000) as { images: Buffer[] };
      decoded.forEach((b, i) => assert.ok(b.equals(images[i]), `image ${i}`));
    });

    it("without a body length (chunked answers, batch lines): pieces joined per image, exact also after the pieces' memory is freed", async () => {
      const images = Array.from({ length: 3 }, () => randomBytes(250_000));
      const body = Buffer.from(JSON.stringify({ data: images.map((b) => ({ b64_json: b.toString("base64") })) }));
      const { images: decoded } = read(body, 20_000) as { images: Buffer[] };
      await new Promise((resolve) => setImmediate(resolve)); // the pieces are freed in a microtask
      decoded.forEach((b, i) => assert.ok(b.equals(images[i]), `image ${i}`));
      assert.equal(new Set(decoded.map((b) => b.buffer)).size, 3, "each image its own block");
    });

    it("leaves null, urls and other shapes alone", () => {
      const { json, images } = read('{"data":[{"b64_json":null,"url":"https://x/a.png"}],"b64_json_count":1}', 4) as {
        json: any;
        images: Buffer[];
      };
      assert.deepEqual(json, { data: [{ b64_json: null, url: "https://x/a.png" }], b64_json_count: 1 });
      assert.equal(images.length, 0);
    });

    it("an answer cut inside the base64, or that is not JSON, throws a SyntaxError", () => {
      assert.throws(() => read('{"data":[{"b64_json":"iVBOR', 3), SyntaxError);
      assert.throws(() => read("<html>502 Bad Gateway</html>", 3), SyntaxError);
    });

    it("refuses a body that is huge besides its images", () => {
      const r = new JsonImagesReader(100);
      assert.throws(() => r.push(Buffer.from(`{"x":"${"y".repeat(200)}"}`)), RangeError);
    });

    it("by default, more than 2 MiB besides the images is refused (parsing that much stalls the loop); 1.9 MiB is taken", () => {
      assert.equal(MAX_SKELETON_BYTES, 2 * 1024 * 1024);
      const filler = (n: number) => JSON.stringify({ data: [{ b64_json: JPG.toString("base64") }], note: "z".repeat(n) });
      assert.throws(
        () => read(filler(MAX_SKELETON_BYTES + 10), 65536),
        /the answer holds more than 2\.0 MB besides its images; more than an Images API answer ever has/,
      );
      const { json } = read(filler(MAX_SKELETON_BYTES - 100_000), 65536) as { json: any };
      assert.ok(json.data[0].b64_json.equals(JPG));
    });

    it("refuses an answer nested deeper than 64 levels while scanning, and takes 64 (brackets in strings do not count)", () => {
      assert.throws(() => read(`{"data":${"[".repeat(100_000)}${"]".repeat(100_000)}}`, 4096), /nested deeper than 64 levels/);
      const ok = `${"[".repeat(63)}{"b64_json":"${PNG.toString("base64")}","note":"[[[[{{{{\\"[["}${"]".repeat(63)}`;
      let json = read(ok, 7).json as any;
      for (let i = 0; i < 63; i++) json = json[0];
      assert.ok(json.b64_json.equals(PNG));
      assert.equal(json.note, '[[[[{{{{"[[');
    });

    it("an image that decodes to more than maxImageBytes is refused, naming the cap", () => {
      const r = new JsonImagesReader(undefined, undefined, wholeMax, 4200);
      const body = Buffer.from(JSON.stringify({ data: [{ b64_json: JPG.toString("base64") }, { b64_json: PNG.toString("base64") }] }));
      assert.throws(() => {
        for (let i = 0; i < body.length; i += 1000) r.push(body.subarray(i, i + 1000));
        r.end();
      }, /image 2 of the answer is larger than 4\.1 kB, the largest image this client takes/);
    });

    it("keeps far less than the base64 text: 10 MB of base64 in 64 kB chunks leaves a tiny skeleton", () => {
      const big = Buffer.alloc(7_500_000, 1);
      const body = Buffer.from(JSON.stringify({ data: [{ b64_json: big.toString("base64") }] }));
      const r = new JsonImagesReader();
      for (let i = 0; i < body.length; i += 65536) r.push(body.subarray(i, i + 65536));
      const skeleton = (r as unknown as { skeletonBytes: number }).skeletonBytes;
      assert.ok(skeleton < 100, `skeleton holds ${skeleton} bytes`);
      const { images } = r.end();
      assert.ok(images[0].equals(big));
    });
  });

describe("JsonImagesReader: small answers held, big ones scanned", () => {
  const internals = (r: JsonImagesReader) => r as unknown as { held?: Buffer[]; heldBytes: number; skeletonBytes: number };

  it("an answer that grows past the small-answer size is scanned from its first byte on: exact images, a tiny skeleton", () => {
    const image = randomBytes(150_000);
    const body = Buffer.from(JSON.stringify({ created: 1, data: [{ b64_json: image.toString("base64") }] }));
    const r = new JsonImagesReader(); // no content-length: starts out holding
    let heldAtMost = 0;
    for (let i = 0; i < body.length; i += 1000) {
      r.push(body.subarray(i, i + 1000));
      heldAtMost = Math.max(heldAtMost, internals(r).heldBytes);
    }
    assert.equal(internals(r).held, undefined, "switched to scanning");
    assert.ok(heldAtMost <= WHOLE_ANSWER_MAX, `held ${heldAtMost} bytes`);
    assert.ok(internals(r).skeletonBytes < 100, `skeleton ${internals(r).skeletonBytes} bytes`);
    const { json, images } = r.end() as { json: any; images: Buffer[] };
    assert.ok(images[0].equals(image));
    assert.equal(json.created, 1);
  });

  it("a content-length above the small-answer size scans from the start; one at or below it holds", () => {
    assert.equal(internals(new JsonImagesReader(undefined, WHOLE_ANSWER_MAX + 1)).held, undefined);
    assert.deepEqual(internals(new JsonImagesReader(undefined, WHOLE_ANSWER_MAX)).held, []);
  });

  it("a small answer gives the images in document order, each its own exact bytes", () => {
    const a = readFileSync(join(__dirname, "..", "..", "fixtures", "logo-rgba-256.png"));
    const body = Buffer.from(
      JSON.stringify({ data: [{ b64_json: PNG.toString("base64") }, { url: "https://x/y.png" }, { b64_json: a.toString("base64") }] }),
    );
    assert.ok(body.length < WHOLE_ANSWER_MAX);
    const r = new JsonImagesReader(undefined, body.length);
    r.push(body);
    assert.deepEqual(internals(r).held?.length, 1, "held, not scanned");
    const { json, images } = r.end() as { json: any; images: Buffer[] };
    assert.equal(images.length, 2);
    assert.ok(images[0].equals(PNG) && images[1].equals(a));
    assert.equal(json.data[0].b64_json, images[0]);
    assert.equal(json.data[2].b64_json, images[1]);
    assert.equal(json.data[1].url, "https://x/y.png");
  });
});
