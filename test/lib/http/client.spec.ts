/**
 * ImagesClient against the real local Images API test server: retries (SDK policy), transport
 * failures, timeouts, answer size cap, abort, downloads, and HTTP(S)_PROXY / NO_PROXY.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { ImagesApiServer } from "../../server/images-api-server";
import { ImagesClient, type ApiCall, type ClientOptions } from "../../../src/lib/http/client";
import { readAnswer } from "../../../src/lib/answer/images-response";
import { ImagesApiError, isImagesApiError, type ErrorCode } from "../../../src/lib/errors";
import { sniffImage } from "../../../src/lib/images/sniff";
import { encodeEditForm } from "../../../src/lib/check/multipart";
import { ImageStream } from "../../../src/lib/answer/streamed-images";
import { ForwardProxy, withProxyEnv } from "./forward-proxy";

const KEY = "sk-test-client-0123456789";

/** Asserts that a promise rejects with an ImagesApiError of this code, and returns it. */
async function rejectsWith(p: Promise<unknown>, code: ErrorCode): Promise<ImagesApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isImagesApiError(err), `expected an ImagesApiError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected a rejection with ${code}`);
}

function throwsWith(fn: () => unknown, code: ErrorCode): ImagesApiError {
  try {
    fn();
  } catch (err) {
    assert.ok(isImagesApiError(err), `expected an ImagesApiError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected a throw with ${code}`);
}

/** A throwaway HTTP server on 127.0.0.1. */
async function tinyServer(handler: http.RequestListener): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("ImagesClient", function () {
  this.timeout(15000);
  let server: ImagesApiServer;
  let client: ImagesClient | undefined;

  before(async () => {
    server = await ImagesApiServer.start({ apiKey: KEY });
  });
  after(async () => {
    await server.close();
  });
  beforeEach(() => server.reset());
  afterEach(async () => {
    await client?.close();
    client = undefined;
  });

  function makeClient(o: Partial<ClientOptions> = {}): ImagesClient {
    client = new ImagesClient({ baseUrl: server.baseUrl, apiKey: KEY, ...o });
    return client;
  }

  const PARAMS = { model: "gpt-image-1", prompt: "a red fox in snow", size: "1024x1024", quality: "low" };
  function generate(c: ImagesClient, extra: Partial<ApiCall> = {}, params: Record<string, unknown> = PARAMS) {
    return c.call({ op: "generate", model: String(params.model), body: { kind: "json", data: params }, ...extra });
  }
  const gaps = () => server.requests.slice(1).map((r, i) => r.at - server.requests[i].at);

  describe("a normal request", () => {
    it("sends JSON with the key and gets a real PNG back", async () => {
      const c = makeClient();
      const attempts: number[] = [];
      const answer = await generate(c, { onAttempt: (a) => attempts.push(a) });
      assert.equal(answer.status, 200);
      assert.equal(answer.attempts, 1);
      assert.deepEqual(attempts, [1]);
      assert.match(answer.requestId ?? "", /^req_[0-9a-f]{32}$/);
      assert.match(answer.contentType, /^application\/json/);

      const req = server.requests[0];
      assert.equal(server.requests.length, 1);
      assert.equal(req.path, "/v1/images/generations");
      assert.equal(req.headers.authorization, `Bearer ${KEY}`);
      assert.equal(req.headers["content-type"], "application/json");
      assert.equal(req.headers.accept, "application/json");
      assert.match(String(req.headers["user-agent"]), /^node-red-contrib-images-api\//);
      assert.deepEqual(req.json, PARAMS);

      const result = readAnswer(answer, c.redact);
      assert.equal(result.images.length, 1);
      const info = sniffImage(result.images[0].data!);
      assert.deepEqual(info && { mime: info.mime, width: info.width, height: info.height, problem: info.problem }, {
        mime: "image/png",
        width: 1024,
        height: 1024,
        problem: undefined,
      });
      assert.equal((result.usage as { total_tokens: number }).total_tokens > 0, true);
    });

    it("sends a multipart body as given, with its content type", async () => {
      const c = makeClient();
      const boundary = "----test-boundary-42";
      const png = Buffer.from(readFixturePng());
      const parts = [
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\ngpt-image-1\r\n`),
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nadd a hat\r\n`),
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="image-0.png"\r\nContent-Type: image/png\r\n\r\n`,
        ),
        png,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ];
      const body = Buffer.concat(parts);
      const form = { parts, length: body.length, contentType: `multipart/form-data; boundary=${boundary}` };
      const answer = await c.call({ op: "edit", model: "gpt-image-1", body: { kind: "multipart", ...form } });
      assert.equal(answer.status, 200);
      const req = server.requests[0];
      assert.equal(req.path, "/v1/images/edits");
      assert.ok(req.raw.equals(body));
      const image = req.form?.find((p) => p.name === "image");
      assert.ok(image?.data?.equals(png));
      const out = readAnswer(answer, c.redact).images[0].data!;
      assert.equal(sniffImage(out)?.width, 256); // size auto follows the input image
    });

    it("a wrong key → auth_failed, not retried, the key redacted from the message", async () => {
      const c = makeClient({ apiKey: "sk-wrong-key-987654321" });
      server.script({
        status: 401,
        error: { message: "Incorrect API key provided: sk-wrong-key-987654321", type: "invalid_request_error", code: "invalid_api_key" },
      });
      const err = await rejectsWith(generate(c), "auth_failed");
      assert.equal(server.requests.length, 1);
      assert.equal(err.cause.attempts, 1);
      assert.equal(err.cause.statusCode, 401);
      assert.equal(err.cause.apiCode, "invalid_api_key");
      assert.ok(!err.message.includes("sk-wrong-key-987654321"), err.message);
      assert.match(err.message, /\*\*\*/);
    });
  });

  describe("large answers", () => {
    /** An answer of two images of random bytes (≈ 12 MB of JSON), and a server that sends it as `send` does. */
    async function largeAnswer(send: (res: http.ServerResponse, body: Buffer) => void) {
      const images = [randomBytes(4_500_000), randomBytes(4_500_001)];
      const body = Buffer.from(JSON.stringify({ created: 1, data: images.map((b) => ({ b64_json: b.toString("base64") })) }));
      const gone = await tinyServer((req, res) => {
        req.resume();
        req.on("end", () => send(res, body));
      });
      return { images, body, gone };
    }

    it("with a content-length: exact images, each socket chunk freed once decoded (array-buffer memory grows by the images, not by the answer)", async function () {
      if (typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer !== "function") this.skip(); // Node 20: the collector frees them
      const { images, body, gone } = await largeAnswer((res, b) => {
        res.writeHead(200, { "content-type": "application/json", "content-length": String(b.length) });
        res.end(b);
      });
      try {
        const c = new ImagesClient({ baseUrl: gone.origin + "/v1", apiKey: KEY, maxRetries: 0 });
        client = c;
        const before = process.memoryUsage().arrayBuffers;
        const answer = await generate(c);
        const grown = process.memoryUsage().arrayBuffers - before;
        const got = answer.reader.end().images;
        assert.deepEqual(got, images);
        const imageBytes = images[0].length + images[1].length;
        // the images are one block of 3/4 of the answer; unfreed chunks would add up to the answer's 12 MB
        assert.ok(
          grown < imageBytes + 1024 * 1024,
          `array buffers grew by ${grown} bytes for ${imageBytes} bytes of images in ${body.length} bytes of answer`,
        );
      } finally {
        await gone.close();
      }
    });

    it("in chunked transfer encoding, in pieces of odd sizes (views that share the socket's reads): exact images", async () => {
      const { images, gone } = await largeAnswer((res, b) => {
        res.writeHead(200, { "content-type": "application/json" });
        for (let i = 0, k = 0; i < b.length; k++) {
          const n = [1, 70_000, 333, 16_384, 4096, 100_001][k % 6];
          res.write(b.subarray(i, i + n));
          i += n;
        }
        res.end();
      });
      try {
        const c = new ImagesClient({ baseUrl: gone.origin + "/v1", apiKey: KEY, maxRetries: 0 });
        client = c;
        const answer = await generate(c);
        assert.deepEqual(answer.reader.end().images, images);
      } finally {
        await gone.close();
      }
    });
  });

  describe("the key filter on text a server sends back", () => {
    const SECRET = "sk-echoed-key-0123456789abcdef";

    it("a key pasted with a line break: the trimmed key is sent, and an echo of it is still redacted", async () => {
      const echo = await tinyServer((req, res) => {
        const token = String(req.headers.authorization ?? "").replace(/^Bearer /, "");
        res.writeHead(401, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: `Invalid token: ${token}`, type: "invalid_request_error" } }));
      });
      try {
        const c = new ImagesClient({ baseUrl: `${echo.origin}/v1`, apiKey: `  ${SECRET}\n` });
        const err = await rejectsWith(generate(c), "auth_failed");
        await c.close();
        assert.ok(!JSON.stringify({ message: err.message, cause: err.cause }).includes(SECRET), err.message);
        assert.match(err.message, /Invalid token: \*\*\*/);
      } finally {
        await echo.close();
      }
    });

    it("a 200 answer that is not JSON and echoes the key: the start shown in the error is redacted (also a key the cut would split)", async () => {
      for (const lead of ["bad key ", "x".repeat(40)]) {
        const echo = await tinyServer((_req, res) => {
          res.writeHead(200, { "content-type": "text/plain" });
          res.end(`${lead}${SECRET} and more text after it`);
        });
        try {
          const c = new ImagesClient({ baseUrl: `${echo.origin}/v1`, apiKey: SECRET });
          const answer = await generate(c);
          await c.close();
          const err = throwsWith(() => readAnswer(answer, c.redact), "api_error");
          assert.match(err.message, /instead of JSON/);
          assert.ok(!err.message.includes(SECRET.slice(0, 12)), err.message);
        } finally {
          await echo.close();
        }
      }
    });

    it("a streamed event that is not JSON and echoes the key: redacted before it is cut", async () => {
      const echo = await tinyServer((_req, res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end(`event: image_generation.partial_image\ndata: ${"y".repeat(40)} ${SECRET} oops\n\n`);
      });
      try {
        const c = new ImagesClient({ baseUrl: `${echo.origin}/v1`, apiKey: SECRET });
        const stream = new ImageStream(() => undefined, c.redact);
        const err = await rejectsWith(generate(c, { onEvent: (e) => stream.handle(e) }), "api_error");
        await c.close();
        assert.match(err.message, /not JSON/);
        assert.ok(!err.message.includes(SECRET.slice(0, 12)), err.message);
      } finally {
        await echo.close();
      }
    });
  });

  describe("streamed answers that go wrong in their events", () => {
    it("an event `data: null`, or a handler that throws: api_error (not a network_error), not retried", async () => {
      let requests = 0;
      const sse = await tinyServer((_req, res) => {
        requests++;
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end("event: image_generation.partial_image\ndata: null\n\n");
      });
      try {
        const c = new ImagesClient({ baseUrl: `${sse.origin}/v1`, apiKey: KEY });
        const stream = new ImageStream(() => undefined, c.redact);
        const err = await rejectsWith(generate(c, { onEvent: (e) => stream.handle(e) }), "api_error");
        assert.match(err.message, /not a JSON object/);
        const thrown = await rejectsWith(
          generate(c, {
            onEvent: () => {
              throw new TypeError("cannot set property of undefined");
            },
          }),
          "api_error",
        );
        assert.match(thrown.message, /could not be handled: cannot set property/);
        assert.equal(requests, 2, "neither was retried");
        await c.close();
      } finally {
        await sse.close();
      }
    });
  });

  describe("retries", () => {
    it("429 with retry-after-ms 200 three times → 3 attempts ≥ 180 ms apart, then rate_limited", async () => {
      const c = makeClient();
      const step = { status: 429, headers: { "retry-after-ms": "200" } };
      server.script(step, step, step);
      const attempts: number[] = [];
      const err = await rejectsWith(generate(c, { onAttempt: (a) => attempts.push(a) }), "rate_limited");
      assert.equal(server.requests.length, 3);
      assert.deepEqual(attempts, [1, 2, 3]);
      assert.equal(err.cause.attempts, 3);
      assert.equal(err.cause.statusCode, 429);
      assert.equal(err.cause.retryable, true);
      assert.equal(err.cause.apiCode, "rate_limit_exceeded");
      assert.match(err.message, /Images API answered 429 after 3 attempts/);
      for (const gap of gaps()) assert.ok(gap >= 180 && gap < 1500, `gap ${gap} ms`);
    });

    it("two 429s then success → the answer after 3 attempts", async () => {
      const c = makeClient();
      server.script({ status: 429, headers: { "retry-after-ms": "200" } }, { status: 429, headers: { "retry-after-ms": "200" } });
      const answer = await generate(c);
      assert.equal(answer.attempts, 3);
      assert.equal(server.requests.length, 3);
      for (const gap of gaps()) assert.ok(gap >= 180 && gap < 1500, `gap ${gap} ms`);
      assert.equal(sniffImage(readAnswer(answer, c.redact).images[0].data!)?.mime, "image/png");
    });

    it("onRetryWait tells each wait before a retry and why: the server's time for a 429, the backoff otherwise, the code for a dropped connection", async () => {
      const c = makeClient({ maxRetries: 3, retryUnknownOutcome: true });
      server.script({ status: 429, headers: { "retry-after-ms": "300" } }, { status: 503 }, { drop: "before-headers" });
      const waits: Array<{ ms: number; reason: string }> = [];
      const answer = await generate(c, { onRetryWait: (w) => waits.push(w) });
      assert.equal(answer.attempts, 4);
      assert.deepEqual(
        waits.map((w) => w.reason),
        ["HTTP 429", "HTTP 503", "network_error"],
      );
      assert.ok(waits[0].ms > 200 && waits[0].ms <= 300, `the server's retry-after-ms, counted from the 429: ${waits[0].ms}`);
      // the SDK's backoff: 0.5 s, then 1 s, each minus up to 25 % jitter
      assert.ok(waits[1].ms >= 750 && waits[1].ms <= 1000, `backoff ${waits[1].ms} ms`);
      assert.ok(waits[2].ms >= 1500 && waits[2].ms <= 2000, `backoff ${waits[2].ms} ms`);
    });

    it("maxRetries 0 → one attempt only", async () => {
      const c = makeClient({ maxRetries: 0 });
      server.script({ status: 503, headers: { "retry-after-ms": "10" } });
      const err = await rejectsWith(generate(c), "api_error");
      assert.equal(server.requests.length, 1);
      assert.equal(err.cause.attempts, 1);
      assert.equal(err.cause.statusCode, 503);
    });

    it("Retry-After as an HTTP date about 1 s ahead → the retry waits until then", async () => {
      const c = makeClient();
      // HTTP dates have whole seconds: aim at the next whole second plus one (1–2 s from now)
      const target = Math.ceil(Date.now() / 1000) * 1000 + 1000;
      server.script({ status: 429, headers: { "retry-after": new Date(target).toUTCString() } });
      const answer = await generate(c);
      assert.equal(answer.attempts, 2);
      assert.equal(server.requests.length, 2);
      const [first, second] = server.requests;
      assert.ok(second.at >= target - 20, `retried ${target - second.at} ms before the date`);
      assert.ok(second.at - first.at < 3000, `gap ${second.at - first.at} ms`);
    });

    it("x-should-retry: false on a 500 → 1 attempt", async () => {
      const c = makeClient();
      server.script({ status: 500, headers: { "x-should-retry": "false" } });
      const err = await rejectsWith(generate(c), "api_error");
      assert.equal(server.requests.length, 1);
      assert.equal(err.cause.attempts, 1);
      assert.equal(err.cause.retryable, false);
      assert.equal(err.cause.statusCode, 500);
    });

    it("x-should-retry: true on a 400 → retried", async () => {
      const c = makeClient();
      server.script({ status: 400, headers: { "x-should-retry": "true", "retry-after-ms": "20" } });
      const answer = await generate(c);
      assert.equal(answer.attempts, 2);
      assert.equal(server.requests.length, 2);
    });

    it("a plain 400 is not retried → invalid_params with the API's param and code", async () => {
      const c = makeClient();
      server.script({
        status: 400,
        error: { message: "Invalid value: 'huge'.", type: "invalid_request_error", param: "size", code: "invalid_value" },
      });
      const err = await rejectsWith(generate(c), "invalid_params");
      assert.equal(server.requests.length, 1);
      assert.equal(err.cause.param, "size");
      assert.equal(err.cause.apiCode, "invalid_value");
      assert.equal(err.cause.retryable, false);
      assert.match(err.message, /Images API answered 400: Invalid value: 'huge'\./);
    });

    it("a gateway's HTML error page → api_error naming the page title", async () => {
      const c = makeClient({ maxRetries: 0 });
      server.script({
        status: 502,
        body: "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
        contentType: "text/html",
      });
      const err = await rejectsWith(generate(c), "api_error");
      assert.equal(err.cause.statusCode, 502);
      assert.equal(err.cause.retryable, true);
      assert.match(err.message, /Images API answered 502: an HTML page \("502 Bad Gateway"\) instead of an API answer/);
    });

    it("a 429 for exhausted quota is not retried", async () => {
      const c = makeClient();
      server.script({
        status: 429,
        headers: { "retry-after-ms": "10" },
        error: { message: "You exceeded your current quota", type: "insufficient_quota", code: "insufficient_quota" },
      });
      const err = await rejectsWith(generate(c), "quota_exceeded");
      assert.equal(server.requests.length, 1);
      assert.equal(err.cause.retryable, false);
    });
  });

  describe("rate limits shared by several requests", () => {
    it("16 requests, a server that takes 4 per 300 ms: the 429s hold every request until the server's time, then they go one at a time; none fails with maxRetries 2", async () => {
      const c = makeClient({ concurrency: 8 });
      // a sliding window: beyond it 429 with retry-after-ms = when the oldest slot frees
      server.rateLimit = { max: 4, windowMs: 300 };
      const t0 = Date.now();
      const answers = await Promise.all(Array.from({ length: 16 }, () => generate(c, {}, { ...PARAMS, size: "256x256" })));
      assert.ok(server.rateLimited > 0, "the server did rate-limit (otherwise this test proves nothing)");
      // every 429 cost its request one more attempt, and each answer counts its own
      assert.equal(server.requests.length, 16 + server.rateLimited);
      assert.equal(
        answers.reduce((n, a) => n + a.attempts, 0),
        server.requests.length,
      );
      // 4 windows of 300 ms: about 0.9 s
      assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
    });
  });

  describe("transport failures", () => {
    it("connection dropped before the headers, every time (retry when the outcome is unknown) → retried, then network_error with 3 attempts", async () => {
      const c = makeClient({ retryUnknownOutcome: true });
      server.script({ drop: "before-headers" }, { drop: "before-headers" }, { drop: "before-headers" });
      const err = await rejectsWith(generate(c), "network_error");
      assert.equal(server.requests.length, 3);
      assert.equal(err.cause.attempts, 3);
      assert.equal(err.cause.retryable, true);
      assert.match(err.message, /could not reach the Images API/);
      // default backoff: ≥ 375 ms then ≥ 750 ms
      const [g1, g2] = gaps();
      assert.ok(g1 >= 350 && g1 < 3000, `gap ${g1}`);
      assert.ok(g2 >= 700 && g2 < 4000, `gap ${g2}`);
    });

    it("connection dropped before the headers once (retry when the outcome is unknown) → the retry succeeds", async () => {
      const c = makeClient({ retryUnknownOutcome: true });
      server.script({ drop: "before-headers" });
      const answer = await generate(c);
      assert.equal(answer.attempts, 2);
      assert.equal(server.requests.length, 2);
    });

    it("connection dropped in the middle of the body, every time (retry when the outcome is unknown) → network_error after all attempts", async () => {
      const c = makeClient({ maxRetries: 1, retryUnknownOutcome: true });
      server.script({ drop: "mid-body" }, { drop: "mid-body" });
      const err = await rejectsWith(generate(c), "network_error");
      assert.equal(server.requests.length, 2);
      assert.equal(err.cause.attempts, 2);
    });

    it("connection dropped in the middle of the body once (retry when the outcome is unknown) → the retry succeeds with a whole image", async () => {
      const c = makeClient({ retryUnknownOutcome: true });
      server.script({ drop: "mid-body" });
      const answer = await generate(c);
      assert.equal(answer.attempts, 2);
      const info = sniffImage(readAnswer(answer, c.redact).images[0].data!);
      assert.equal(info?.problem, undefined);
      assert.equal(info?.width, 1024);
    });

    it("nothing listening → network_error naming the system error", async () => {
      const gone = await tinyServer(() => undefined);
      await gone.close();
      const c = makeClient({ baseUrl: `${gone.origin}/v1`, maxRetries: 0 });
      const err = await rejectsWith(generate(c), "network_error");
      assert.match(err.message, /ECONNREFUSED/);
      assert.equal(err.cause.attempts, 1);
    });
  });

  describe("a request whose outcome is unknown is not sent again (by default)", () => {
    it("the server read the whole request and stalls: timeout after one attempt, saying the image may have been billed", async () => {
      const c = makeClient({ timeoutMs: 400, maxRetries: 2 });
      server.script({ delayMs: 4000 }, { delayMs: 4000 }, { delayMs: 4000 });
      const err = await rejectsWith(generate(c), "timeout");
      assert.equal(server.requests.length, 1, "a request whose outcome is unknown was sent again");
      assert.equal(err.cause.attempts, 1);
      assert.equal(err.cause.outcomeUnknown, true);
      assert.equal(err.cause.retryable, false);
      assert.match(
        err.message,
        /the request had been sent, so the image may have been made and billed: it is not sent again \(the config node's "retry when the outcome is unknown" allows that\)/,
      );
    });

    it("the connection is lost after the request was sent: network_error after one attempt", async () => {
      const c = makeClient();
      server.script({ drop: "before-headers" }, { drop: "before-headers" });
      const err = await rejectsWith(generate(c), "network_error");
      assert.equal(server.requests.length, 1);
      assert.equal(err.cause.outcomeUnknown, true);
    });

    it("a multipart edit whose connection is lost after sending: one upload only", async () => {
      const c = makeClient();
      server.script({ drop: "before-headers" }, { drop: "before-headers" });
      const png = readFileSync(join(__dirname, "..", "..", "fixtures", "photo-256.png"));
      const form = encodeEditForm({
        images: [{ data: png, info: sniffImage(png)!, filename: "image-1.png" }],
        fields: { model: "gpt-image-1", prompt: "night" },
      });
      const err = await rejectsWith(
        c.call({ op: "edit", model: "gpt-image-1", body: { kind: "multipart", ...form }, signal: new AbortController().signal }),
        "network_error",
      );
      assert.equal(server.requests.length, 1);
      assert.equal(err.cause.outcomeUnknown, true);
    });

    it("nothing was sent (nothing listening): retried as before, and the outcome is known", async () => {
      const gone = await tinyServer(() => undefined);
      await gone.close();
      const c = makeClient({ baseUrl: `${gone.origin}/v1`, maxRetries: 1 });
      const err = await rejectsWith(generate(c), "network_error");
      assert.equal(err.cause.attempts, 2);
      assert.equal(err.cause.outcomeUnknown, undefined);
    });

    it("408, 429 and 5xx answers are still retried: the API did not make the image", async () => {
      const c = makeClient();
      server.script({ status: 503 }, { status: 408 });
      const answer = await generate(c);
      assert.equal(answer.attempts, 3);
    });
  });

  describe("answers that are not usable", () => {
    it("a 200 with truncated JSON → readAnswer: api_error '… instead of JSON'", async () => {
      const c = makeClient();
      const body = '{"data":[{"b64_json":"iVBOR';
      server.script({ status: 200, body, contentType: "application/json" });
      const answer = await generate(c);
      assert.equal(answer.size, Buffer.byteLength(body));
      const err = throwsWith(() => readAnswer(answer, c.redact), "api_error");
      assert.match(err.message, /instead of JSON/);
      assert.match(err.message, new RegExp(`${Buffer.byteLength(body)} bytes of application/json`));
      assert.equal(err.cause.statusCode, 200);
    });

    it("a 200 text/plain 'hello' → api_error", async () => {
      const c = makeClient();
      server.script({ status: 200, body: "hello", contentType: "text/plain" });
      const answer = await generate(c);
      const err = throwsWith(() => readAnswer(answer, c.redact), "api_error");
      assert.match(err.message, /5 bytes of text\/plain instead of JSON/);
    });

    it("a 200 with an error body (Azure content filter) → moderation_blocked", async () => {
      const c = makeClient();
      server.script({
        json: { created: 1, error: { code: "contentFilter", message: "Your task failed as a result of our safety system." } },
      });
      const answer = await generate(c);
      const err = throwsWith(() => readAnswer(answer, c.redact), "moderation_blocked");
      assert.match(err.message, /safety system/);
    });

    it("an answer larger than maxResponseBytes → api_error without reading the rest", async () => {
      // the server sends half of a real ~500 kB answer, then stalls for 5 s: a client that
      // buffered everything would wait for the stall (and time out) instead of refusing at once
      const c = makeClient({ maxResponseBytes: 1000, timeoutMs: 8000 });
      server.script({ stallBodyMs: 5000 });
      const t0 = Date.now();
      const err = await rejectsWith(generate(c), "api_error");
      assert.ok(Date.now() - t0 < 4000, `took ${Date.now() - t0} ms`);
      assert.match(err.message, /the answer is larger than/);
      assert.match(err.message, /refusing to read it all into memory/);
      assert.equal(server.requests.length, 1, "a too large answer is not retried");
      assert.equal(err.cause.retryable, false);
    });
    it("the too-large message states the real limit", async () => {
      const c = makeClient({ maxResponseBytes: 1000 });
      const err = await rejectsWith(generate(c), "api_error");
      assert.doesNotMatch(err.message, /larger than 0 MB/);
      assert.match(err.message, /1000 bytes|1(\.0)? ?kB|0\.98 ?KiB|1 ?KB/i);
    });
  });

  describe("timeouts and abort", () => {
    it("a body that stalls longer than the timeout → timeout", async () => {
      const c = makeClient({ timeoutMs: 500, maxRetries: 0 });
      server.script({ stallBodyMs: 4000 });
      const t0 = Date.now();
      const err = await rejectsWith(generate(c), "timeout");
      const elapsed = Date.now() - t0;
      assert.ok(elapsed >= 450 && elapsed < 3000, `took ${elapsed} ms`);
      assert.equal(err.cause.attempts, 1);
      // the body was on its way: the image may have been billed
      assert.equal(err.cause.retryable, false);
      assert.equal(err.cause.outcomeUnknown, true);
      assert.match(err.message, /no complete answer from the Images API within/);
    });

    it("headers slower than the timeout (retry when the outcome is unknown) → timeout, and timeouts are retried", async () => {
      const c = makeClient({ timeoutMs: 400, maxRetries: 1, retryUnknownOutcome: true });
      server.script({ delayMs: 4000 }, { delayMs: 4000 });
      const err = await rejectsWith(generate(c), "timeout");
      assert.equal(server.requests.length, 2);
      assert.equal(err.cause.attempts, 2);
      assert.match(err.message, /\(2 attempts\)/);
    });
    it("the timeout message states the real timeout", async () => {
      const c = makeClient({ timeoutMs: 400, maxRetries: 0 });
      server.script({ delayMs: 3000 });
      const err = await rejectsWith(generate(c), "timeout");
      assert.doesNotMatch(err.message, /within 0 s/);
      assert.match(err.message, /0\.4 s|400 ms/);
    });

    it("a slow answer within the timeout is fine", async () => {
      const c = makeClient({ timeoutMs: 5000 });
      server.script({ delayMs: 300, stallBodyMs: 300 });
      const answer = await generate(c);
      assert.equal(answer.attempts, 1);
      assert.equal(sniffImage(readAnswer(answer, c.redact).images[0].data!)?.problem, undefined);
    });

    it("abort via the signal mid-request → aborted, quickly", async () => {
      const c = makeClient();
      server.script({ delayMs: 5000 });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 150);
      const t0 = Date.now();
      const err = await rejectsWith(generate(c, { signal: controller.signal }), "aborted");
      assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
      assert.equal(err.cause.attempts, 1);
      assert.equal(server.requests.length, 1);
    });

    it("abort while the body is arriving → aborted, quickly", async () => {
      const c = makeClient();
      server.script({ stallBodyMs: 5000 });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      const t0 = Date.now();
      const err = await rejectsWith(generate(c, { signal: controller.signal }), "aborted");
      assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
      assert.equal(err.cause.attempts, 1);
      assert.equal(server.requests.length, 1);
    });

    it("abort while waiting to retry → aborted, quickly, no further attempt", async () => {
      const c = makeClient();
      server.script({ status: 429, headers: { "retry-after-ms": "5000" } });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      const t0 = Date.now();
      const err = await rejectsWith(generate(c, { signal: controller.signal }), "aborted");
      assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
      assert.equal(err.cause.attempts, 1);
      assert.equal(server.requests.length, 1);
    });

    it("abort while queued behind the concurrency limit → aborted, the running call finishes", async () => {
      const c = makeClient({ concurrency: 1 });
      server.script({ delayMs: 400 });
      const running = generate(c);
      const controller = new AbortController();
      const queued = generate(c, { signal: controller.signal, onQueued: () => setTimeout(() => controller.abort(), 20) });
      const err = await rejectsWith(queued, "aborted");
      assert.equal(err.cause.attempts, 0);
      assert.equal((await running).status, 200);
      assert.equal(server.requests.length, 1);
    });
  });

  describe("concurrency", () => {
    it("at most `concurrency` requests reach the server at once", async () => {
      const c = makeClient({ concurrency: 2 });
      server.setDefault({ delayMs: 150 });
      const answers = await Promise.all([1, 2, 3, 4, 5].map(() => generate(c, {}, { ...PARAMS, size: "256x256" })));
      assert.equal(answers.length, 5);
      assert.equal(server.requests.length, 5);
      assert.equal(server.maxInFlight, 2);
    });
  });

  describe("download()", () => {
    async function urlAnswer(c: ImagesClient): Promise<string> {
      const answer = await generate(c, {}, { model: "dall-e-2", prompt: "a red fox", size: "256x256", response_format: "url" });
      const url = readAnswer(answer, c.redact).images[0].url;
      assert.ok(url);
      return url;
    }

    it("from another origin (the CDN) → no credentials sent", async () => {
      const c = makeClient();
      server.urlOrigin = "cdn";
      const url = await urlAnswer(c);
      assert.ok(url.startsWith(`${server.cdnOrigin}/files/`), url);
      const bytes = await c.download(url);
      const info = sniffImage(bytes);
      assert.equal(info?.mime, "image/png");
      assert.equal(info?.width, 256);
      assert.equal(info?.problem, undefined);
      assert.equal(server.downloads.length, 1);
      assert.equal(server.downloads[0].headers.authorization, undefined);
      assert.equal(server.downloads[0].headers["api-key"], undefined);
    });

    it("from the API's own origin → the key goes along", async () => {
      const c = makeClient();
      const url = await urlAnswer(c);
      assert.ok(url.startsWith(`${server.origin}/files/`), url);
      const bytes = await c.download(url);
      assert.equal(sniffImage(bytes)?.height, 256);
      assert.equal(server.downloads[0].headers.authorization, `Bearer ${KEY}`);
    });

    it("Azure config: the same origin gets api-key, not Authorization", async () => {
      const c = makeClient({ apiType: "azure", baseUrl: server.origin });
      server.script({ answer: "url" });
      const answer = await c.call({
        op: "generate",
        model: "dalle2",
        body: { kind: "json", data: { prompt: "x", size: "256x256", response_format: "url" } },
      });
      assert.equal(server.requests[0].path, "/openai/deployments/dalle2/images/generations");
      assert.equal(server.requests[0].headers["api-key"], KEY);
      const url = readAnswer(answer, c.redact).images[0].url;
      assert.ok(url !== undefined && url.startsWith(`${server.origin}/files/`), url);
      assert.equal(sniffImage(await c.download(url))?.mime, "image/png");
      assert.equal(server.downloads[0].headers["api-key"], KEY);
      assert.equal(server.downloads[0].headers.authorization, undefined);
    });

    it("a redirect from the API origin to another origin drops the key", async () => {
      const seen: http.IncomingHttpHeaders[] = [];
      const cdn = await tinyServer((req, res) => {
        seen.push(req.headers);
        res.writeHead(200, { "content-type": "image/png" }).end(readFixturePng());
      });
      const api = await tinyServer((req, res) => {
        seen.push(req.headers);
        res.writeHead(302, { location: `${cdn.origin}/image.png` }).end();
      });
      try {
        const c = makeClient({ baseUrl: `${api.origin}/v1` });
        const bytes = await c.download(`${api.origin}/files/abc.png`);
        assert.ok(bytes.equals(readFixturePng()));
        assert.equal(seen.length, 2);
        assert.equal(seen[0].authorization, `Bearer ${KEY}`);
        assert.equal(seen[1].authorization, undefined);
      } finally {
        await client?.close();
        client = undefined;
        await Promise.all([api.close(), cdn.close()]);
      }
    });

    it("a redirect loop stops after 3 redirects", async () => {
      let hits = 0;
      const loop = await tinyServer((req, res) => {
        hits++;
        res.writeHead(302, { location: `/again/${hits}` }).end();
      });
      try {
        const c = makeClient();
        const err = await rejectsWith(c.download(`${loop.origin}/start.png`), "download_failed");
        assert.match(err.message, /redirected more than 3 times/);
        assert.equal(hits, 4);
      } finally {
        await client?.close();
        client = undefined;
        await loop.close();
      }
    });

    it("an ftp:// URL is refused without a request", async () => {
      const c = makeClient();
      const err = await rejectsWith(c.download("ftp://127.0.0.1/image.png"), "download_failed");
      assert.match(err.message, /refusing to download an image from a ftp: URL/);
      assert.equal(server.downloads.length, 0);
    });

    it("a URL that is not a URL is refused", async () => {
      const c = makeClient();
      const err = await rejectsWith(c.download("not a url"), "download_failed");
      assert.match(err.message, /not valid/);
    });

    it("a 404 download → download_failed with the status", async () => {
      const c = makeClient();
      const err = await rejectsWith(c.download(`${server.cdnOrigin}/files/doesnotexist.png`), "download_failed");
      assert.equal(err.cause.statusCode, 404);
      assert.equal(err.cause.retryable, false);
      assert.match(err.message, /answered HTTP 404/);
      assert.equal(server.downloads.length, 1);
    });
  });

  describe("proxy from the environment", () => {
    let proxy: ForwardProxy;
    beforeEach(async () => {
      proxy = await ForwardProxy.start();
    });
    afterEach(async () => {
      await client?.close();
      client = undefined;
      await proxy.close();
    });

    it("HTTP_PROXY is honoured: the proxy sees the request and the image arrives", async () => {
      await withProxyEnv({ HTTP_PROXY: proxy.url }, async () => {
        const c = makeClient(); // constructed after the environment is set
        const answer = await generate(c);
        const info = sniffImage(readAnswer(answer, c.redact).images[0].data!);
        assert.equal(info?.mime, "image/png");
        assert.equal(info?.width, 1024);
        await c.close();
      });
      const host = new URL(server.origin).host;
      assert.equal(proxy.seen.length, 1, JSON.stringify(proxy.seen.map((s) => s.target)));
      const seen = proxy.seen[0];
      assert.ok(
        (seen.kind === "connect" && seen.target === host) ||
          (seen.kind === "absolute" && seen.target === `${server.baseUrl}/images/generations`),
        `${seen.kind} ${seen.target}`,
      );
      assert.equal(server.requests.length, 1);
      assert.equal(server.requests[0].headers.authorization, `Bearer ${KEY}`);
    });

    it("NO_PROXY=127.0.0.1 bypasses the proxy", async () => {
      await withProxyEnv({ HTTP_PROXY: proxy.url, NO_PROXY: "127.0.0.1" }, async () => {
        const c = makeClient();
        const answer = await generate(c);
        assert.equal(sniffImage(readAnswer(answer, c.redact).images[0].data!)?.mime, "image/png");
        await c.close();
      });
      assert.equal(proxy.seen.length, 0);
      assert.equal(server.requests.length, 1);
    });

    it("the environment is restored afterwards", () => {
      assert.notEqual(process.env.HTTP_PROXY, proxy.url);
      assert.notEqual(process.env.http_proxy, proxy.url);
    });
  });

  describe("configuration", () => {
    it("a base URL that is not a URL → invalid_params naming baseUrl", () => {
      const err = throwsWith(() => new ImagesClient({ baseUrl: "api.openai.com/v1" }), "invalid_params");
      assert.equal(err.cause.parameter, "baseUrl");
    });

    it("a non-http base URL → invalid_params", () => {
      const err = throwsWith(() => new ImagesClient({ baseUrl: "ftp://example.com/v1" }), "invalid_params");
      assert.match(err.message, /must start with http:\/\/ or https:\/\//);
    });

    it("undefined and empty options fall back to the defaults", () => {
      const c = makeClient({ timeoutMs: undefined, maxRetries: undefined, organization: "" });
      assert.equal(c.options.timeoutMs, 600_000);
      assert.equal(c.options.maxRetries, 2);
      assert.equal(c.options.concurrency, 4);
      assert.equal(c.limiter.concurrency, 4);
      assert.equal(c.endpoint("generate", "x").headers["openai-organization"], undefined);
    });
  });
});

let fixturePng: Buffer | undefined;
function readFixturePng(): Buffer {
  fixturePng ??= require("node:fs").readFileSync(require("node:path").join(__dirname, "..", "..", "fixtures", "photo-256.png"));
  return fixturePng!;
}
