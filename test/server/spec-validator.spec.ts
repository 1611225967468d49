import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { assertValidRequest, specPathFor, validateImagesRequest, type MultipartPart } from "../support/spec-validator";

const JSON_TYPE = "application/json";
const FORM_TYPE = "multipart/form-data; boundary=----formdata-undici-0123456789";
const png = readFileSync(path.join(__dirname, "..", "fixtures", "photo-256.png"));

function filePart(name: string, filename = "image-0.png", contentType = "image/png"): MultipartPart {
  return { name, filename, contentType, data: png };
}

function textPart(name: string, value: string): MultipartPart {
  return { name, value, data: Buffer.from(value, "utf8") };
}

/** Exactly one problem, which names the field. */
function assertSingleProblem(problems: string[], field: string, pattern: RegExp): void {
  assert.equal(problems.length, 1, `expected one problem, got ${JSON.stringify(problems)}`);
  assert.ok(problems[0].startsWith(`${field}: `), `problem should name "${field}": ${problems[0]}`);
  assert.match(problems[0], pattern);
}

describe("spec-validator", function () {
  it("uses a real PNG fixture", function () {
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  describe("path mapping", function () {
    it("ignores /v1, the query string and Azure deployment prefixes", function () {
      assert.equal(specPathFor("/images/generations"), "/images/generations");
      assert.equal(specPathFor("/v1/images/edits?foo=1"), "/images/edits");
      assert.equal(specPathFor("/openai/deployments/my-dep/images/edits?api-version=2025-04-01-preview"), "/images/edits");
      assert.equal(specPathFor("/openai/v1/images/generations"), "/images/generations");
      assert.equal(specPathFor("http://127.0.0.1:4010/v1/images/generations"), "/images/generations");
    });

    it("validates the same operation whatever the prefix", function () {
      const body = { prompt: "x", quality: "ultra" };
      const plain = validateImagesRequest("/images/generations", JSON_TYPE, body);
      assert.equal(plain.length, 1);
      assert.deepEqual(validateImagesRequest("/v1/images/generations?x=1", JSON_TYPE, body), plain);
      assert.deepEqual(
        validateImagesRequest("/openai/deployments/dalle3/images/generations?api-version=2024-02-01", JSON_TYPE, body),
        plain,
      );
    });

    it("reports unknown paths and unaccepted content types", function () {
      const unknown = validateImagesRequest("/v1/images/nope", JSON_TYPE, { prompt: "x" });
      assert.equal(unknown.length, 1);
      assert.match(unknown[0], /no POST operation .*"\/images\/nope"/);
      const wrongType = validateImagesRequest("/images/generations", "multipart/form-data; boundary=x", [textPart("prompt", "x")]);
      assert.equal(wrongType.length, 1);
      assert.match(wrongType[0], /"multipart\/form-data" is not accepted .*expected application\/json/);
      const none = validateImagesRequest("/images/generations", "", { prompt: "x" });
      assert.equal(none.length, 1);
      assert.match(none[0], /content-type header is missing/);
    });
  });

  describe("generations (JSON)", function () {
    it("accepts gpt-image-1 with size, n, background and output_format", function () {
      const problems = validateImagesRequest("/v1/images/generations", JSON_TYPE, {
        model: "gpt-image-1",
        prompt: "a red fox in the snow",
        size: "1536x1024",
        n: 2,
        background: "transparent",
        output_format: "png",
      });
      assert.deepEqual(problems, []);
    });

    it("accepts dall-e-3 with quality hd, style vivid and size 1792x1024", function () {
      const problems = validateImagesRequest("/images/generations", "application/json; charset=utf-8", {
        model: "dall-e-3",
        prompt: "a lighthouse at dusk",
        quality: "hd",
        style: "vivid",
        size: "1792x1024",
        response_format: "b64_json",
      });
      assert.deepEqual(problems, []);
    });

    it("accepts a gateway model, a free-form size and an unknown extra field", function () {
      const problems = validateImagesRequest("/v1/images/generations", JSON_TYPE, {
        model: "flux-kontext-pro",
        prompt: "a cat",
        size: "1536x864",
        aspect_ratio: "16:9",
      });
      assert.deepEqual(problems, []);
    });

    it("accepts explicit nulls (null means default in JSON)", function () {
      assert.deepEqual(
        validateImagesRequest("/images/generations", JSON_TYPE, { prompt: "x", n: null, quality: null, partial_images: null }),
        [],
      );
    });

    it('rejects quality "ultra" naming the field and the allowed values', function () {
      const problems = validateImagesRequest("/images/generations", JSON_TYPE, { prompt: "x", quality: "ultra" });
      assertSingleProblem(problems, "quality", /must be one of .*"hd".*"auto" \(got "ultra"\)/);
    });

    it("rejects n 11", function () {
      const problems = validateImagesRequest("/images/generations", JSON_TYPE, { prompt: "x", n: 11 });
      assert.deepEqual(problems, ["n: must be <= 10 (got 11)"]);
    });

    it("rejects a missing prompt", function () {
      const problems = validateImagesRequest("/images/generations", JSON_TYPE, { model: "gpt-image-1", n: 1 });
      assert.deepEqual(problems, ["prompt: required field is missing"]);
    });

    it("rejects partial_images 5", function () {
      const problems = validateImagesRequest("/images/generations", JSON_TYPE, {
        prompt: "x",
        stream: true,
        partial_images: 5,
      });
      assert.deepEqual(problems, ["partial_images: must be <= 3 (got 5)"]);
    });

    it('rejects n "two" as a type error', function () {
      const problems = validateImagesRequest("/images/generations", JSON_TYPE, { prompt: "x", n: "two" });
      assert.deepEqual(problems, ['n: must be integer or null (got "two")']);
    });

    it("reports a wrong type on a free-form field as a type error, not an enum error", function () {
      const problems = validateImagesRequest("/images/generations", JSON_TYPE, { prompt: "x", model: 5 });
      assert.deepEqual(problems, ["model: must be string or null (got 5)"]);
    });

    it("reports every problem at once", function () {
      const problems = validateImagesRequest("/images/generations", JSON_TYPE, { n: 0, style: "anime" });
      assert.equal(problems.length, 3);
      assert.ok(problems.includes("prompt: required field is missing"));
      assert.ok(problems.includes("n: must be >= 1 (got 0)"));
      assert.ok(problems.some((p) => p.startsWith('style: must be one of "vivid", "natural"')));
    });
  });

  describe("edits (JSON)", function () {
    it("accepts images by URL and rejects an ImageRefParam with both image_url and file_id", function () {
      assert.deepEqual(
        validateImagesRequest("/v1/images/edits", JSON_TYPE, {
          prompt: "x",
          images: [{ image_url: "data:image/png;base64,iVBORw0KGgo=" }],
        }),
        [],
      );
      const problems = validateImagesRequest("/v1/images/edits", JSON_TYPE, {
        prompt: "x",
        images: [{ image_url: "https://example.com/a.png", file_id: "file-1" }],
      });
      assert.deepEqual(problems, ["images[0]: must not contain all of image_url, file_id together"]);
    });
  });

  describe("edits (multipart)", function () {
    it("accepts one image + prompt", function () {
      const problems = validateImagesRequest("/v1/images/edits", FORM_TYPE, [filePart("image"), textPart("prompt", "add a hat")]);
      assert.deepEqual(problems, []);
    });

    it('accepts three image[] parts + mask + prompt + n "2" (and other coerced scalars)', function () {
      const problems = validateImagesRequest("/v1/images/edits", FORM_TYPE, [
        textPart("model", "gpt-image-1"),
        filePart("image[]", "image-0.png"),
        filePart("image[]", "image-1.jpg", "image/jpeg"),
        filePart("image[]", "image-2.webp", "image/webp"),
        filePart("mask", "mask.png"),
        textPart("prompt", "put them in a basket"),
        textPart("n", "2"),
        textPart("stream", "false"),
        textPart("partial_images", "2"),
        textPart("output_compression", "80"),
      ]);
      assert.deepEqual(problems, []);
    });

    it("accepts repeated plain image parts as an array", function () {
      const problems = validateImagesRequest("/images/edits", FORM_TYPE, [
        filePart("image", "a.png"),
        filePart("image", "b.png"),
        textPart("prompt", "x"),
      ]);
      assert.deepEqual(problems, []);
    });

    it("rejects more than 16 images", function () {
      const parts = Array.from({ length: 17 }, (_, i) => filePart("image[]", `image-${i}.png`));
      const problems = validateImagesRequest("/images/edits", FORM_TYPE, [...parts, textPart("prompt", "x")]);
      assert.deepEqual(problems, ["image: must NOT have more than 16 items (got an array of 17)"]);
    });

    it("rejects a missing image", function () {
      const problems = validateImagesRequest("/v1/images/edits", FORM_TYPE, [textPart("prompt", "x")]);
      assert.deepEqual(problems, ["image: required field is missing"]);
    });

    it('rejects n "abc"', function () {
      const problems = validateImagesRequest("/v1/images/edits", FORM_TYPE, [
        filePart("image"),
        textPart("prompt", "x"),
        textPart("n", "abc"),
      ]);
      assert.deepEqual(problems, ['n: must be integer or null (got "abc")']);
    });

    it('rejects n "20" after coercion', function () {
      const problems = validateImagesRequest("/v1/images/edits", FORM_TYPE, [
        filePart("image"),
        textPart("prompt", "x"),
        textPart("n", "20"),
      ]);
      assert.deepEqual(problems, ["n: must be <= 10 (got 20)"]);
    });

    it('rejects the text "null" (multipart cannot send null)', function () {
      const problems = validateImagesRequest("/v1/images/edits", FORM_TYPE, [
        filePart("image"),
        textPart("prompt", "x"),
        textPart("n", "null"),
      ]);
      assert.equal(problems.length, 1);
      assert.match(problems[0], /"n" sent as the text "null"/);
    });

    it('rejects quality "hd" on edits', function () {
      const problems = validateImagesRequest("/v1/images/edits", FORM_TYPE, [
        filePart("image"),
        textPart("prompt", "x"),
        textPart("quality", "hd"),
      ]);
      assertSingleProblem(problems, "quality", /must be one of "standard", "low", "medium", "high", "auto" \(got "hd"\)/);
    });

    it("rejects a file part sent as application/octet-stream", function () {
      const problems = validateImagesRequest("/v1/images/edits", FORM_TYPE, [
        filePart("image", "photo.png", "application/octet-stream"),
        textPart("prompt", "x"),
      ]);
      assert.equal(problems.length, 1);
      assert.match(problems[0], /"image" \(file "photo\.png"\).*content type "application\/octet-stream"/);
    });

    it("rejects a file part without content type or without filename", function () {
      const problems = validateImagesRequest("/v1/images/edits", FORM_TYPE, [
        { name: "image", filename: "photo.png", data: png },
        { name: "mask", contentType: "image/png", data: png },
        textPart("prompt", "x"),
      ]);
      assert.equal(problems.length, 2);
      assert.match(problems[0], /part #1 "image" \(file "photo\.png"\): file part has no content type/);
      assert.match(problems[1], /part #2 "mask": file part has no filename/);
    });

    it("rejects an image sent as text and a prompt sent as a file", function () {
      const problems = validateImagesRequest("/v1/images/edits", FORM_TYPE, [
        textPart("image", "iVBORw0KGgo="),
        filePart("prompt", "prompt.txt", "text/plain"),
      ]);
      assert.equal(problems.length, 2);
      assert.match(problems[0], /"image" must be a file upload but was sent as a text field/);
      assert.match(problems[1], /"prompt" is a text field but was sent as a file/);
    });
  });

  describe("assertValidRequest", function () {
    it("passes a valid recorded JSON request", function () {
      assert.doesNotThrow(() =>
        assertValidRequest({
          path: "/v1/images/generations",
          headers: { "content-type": JSON_TYPE },
          json: { model: "gpt-image-1", prompt: "x" },
        }),
      );
    });

    it("passes a valid recorded multipart request", function () {
      assert.doesNotThrow(() =>
        assertValidRequest({
          path: "/openai/deployments/gpt-image-1/images/edits?api-version=2025-04-01-preview",
          headers: { "content-type": FORM_TYPE },
          form: [filePart("image[]"), filePart("image[]", "image-1.png"), textPart("prompt", "x")],
        }),
      );
    });

    it("throws an Error listing every problem", function () {
      assert.throws(
        () =>
          assertValidRequest({
            path: "/v1/images/edits",
            headers: { "content-type": FORM_TYPE },
            form: [filePart("image", "a.png", "application/octet-stream"), textPart("n", "abc")],
          }),
        (err: unknown) => {
          assert.ok(err instanceof Error);
          assert.match(err.message, /^Request to \/v1\/images\/edits .* does not match the Images API spec:/);
          assert.match(err.message, /\n {2}- part #1 "image" .*application\/octet-stream/);
          assert.match(err.message, /\n {2}- prompt: required field is missing/);
          assert.match(err.message, /\n {2}- n: must be integer or null \(got "abc"\)/);
          return true;
        },
      );
    });

    it("reads the content-type header case-insensitively", function () {
      assert.throws(
        () =>
          assertValidRequest({
            path: "/images/generations",
            headers: { "Content-Type": JSON_TYPE },
            json: { prompt: "x", n: 11 },
          }),
        /n: must be <= 10 \(got 11\)/,
      );
    });
  });
});
