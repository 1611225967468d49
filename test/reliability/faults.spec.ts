/**
 * The fault matrix, through the nodes: each case sends one message into a generate (or edit) node in a
 * real Node-RED against the local test server scripted to misbehave, and checks
 *   - how many HTTP attempts were made (server.requests.length and msg.error.cause.attempts),
 *   - the delay between attempts (from the arrival times at the server; generous bounds),
 *   - the error code (and message, status code, retryable),
 *   - exactly one outcome per message (nothing more arrives after the first),
 *   - the node's status ends red with the code (or green for a recovered request).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ImagesApiServer } from "../server/images-api-server";
import { EDIT_NODES, figures, helper, load, one, outcomes, SHARED, withReliability, type Msg } from "./support";
import { until } from "../support/wait";

const fixture = (name: string) => readFileSync(join(__dirname, "..", "fixtures", name));
const PHOTO_PNG = fixture("photo-256.png");
const MASK_256 = fixture("mask-256.png");

type Gap = [min: number, max: number];

interface FaultCase {
  title: string;
  /** script the server (or start/stop servers); may return another base URL */
  setup: (server: ImagesApiServer) => void | string | Promise<void | string>;
  config?: Record<string, unknown>;
  /** "ok" for a request that recovers */
  code: string;
  attempts: number;
  /** ms between the arrival of attempt i and attempt i+1 at the server */
  gaps?: Gap[];
  /** total time from sending to the outcome, for cases the server cannot see */
  elapsed?: Gap;
  message?: RegExp;
  statusCode?: number;
  retryable?: boolean;
  /** the server never sees these attempts (nothing listening) */
  unseen?: boolean;
  edit?: boolean;
  /** cases the server cannot answer in time need a longer wait */
  timeoutMs?: number;
}

const fastRetry = { "retry-after-ms": "20" };
const FAST: Gap = [15, 600];
/** the SDK's backoff: 0.5 s then 1 s, minus up to 25 % jitter (plus the round trip) */
const BACKOFF_1: Gap = [350, 1000];
const BACKOFF_2: Gap = [700, 1600];
const HTML_502 =
  "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";

const CASES: FaultCase[] = [
  // ---------------------------------------------------------------- 429 and Retry-After
  {
    title: "429 with Retry-After: 1 (seconds) → waits ~1 s, then rate_limited",
    setup: (s) => s.setDefault({ status: 429, headers: { "retry-after": "1" } }),
    config: { retries: 1 },
    code: "rate_limited",
    attempts: 2,
    gaps: [[950, 1800]],
    statusCode: 429,
    retryable: true,
    message: /Images API answered 429 after 2 attempts: Rate limit reached/,
  },
  {
    title: "429 with Retry-After as an HTTP date ~3 s ahead → waits until then, then the image",
    setup: (s) => s.script({ status: 429, headers: { "retry-after": new Date(Date.now() + 3500).toUTCString() } }),
    config: { retries: 1 },
    code: "ok",
    attempts: 2,
    // an HTTP date has whole seconds: the target is 2.5–3.5 s after the setup, so ≥ 1 s after the first attempt
    // even when loading the flow took 1.5 s (backoff would be ≤ 0.5 s)
    gaps: [[1000, 3700]],
  },
  {
    title: "429 with retry-after-ms 200 three times → 3 attempts ~200 ms apart, then rate_limited",
    setup: (s) => s.setDefault({ status: 429, headers: { "retry-after-ms": "200" } }),
    code: "rate_limited",
    attempts: 3,
    gaps: [
      [190, 700],
      [190, 700],
    ],
    statusCode: 429,
    retryable: true,
  },
  {
    title: "429 without any retry header → exponential backoff (~0.5 s, ~1 s), then rate_limited",
    setup: (s) => s.setDefault({ status: 429 }),
    code: "rate_limited",
    attempts: 3,
    gaps: [BACKOFF_1, BACKOFF_2],
    statusCode: 429,
    retryable: true,
  },
  {
    title: "429 with Retry-After beyond 60 s → not honoured, backoff instead",
    setup: (s) => s.script({ status: 429, headers: { "retry-after": "3600" } }),
    config: { retries: 1 },
    code: "ok",
    attempts: 2,
    gaps: [BACKOFF_1],
  },
  {
    title: "429 insufficient_quota → quota_exceeded, never retried",
    setup: (s) =>
      s.setDefault({
        status: 429,
        headers: fastRetry,
        error: { message: "You exceeded your current quota", type: "insufficient_quota", code: "insufficient_quota" },
      }),
    code: "quota_exceeded",
    attempts: 1,
    statusCode: 429,
    retryable: false,
  },
  // ---------------------------------------------------------------- 5xx and friends
  {
    title: "500 every time → 3 attempts, api_error with status 500",
    setup: (s) => s.setDefault({ status: 500, headers: fastRetry }),
    code: "api_error",
    attempts: 3,
    gaps: [FAST, FAST],
    statusCode: 500,
    retryable: true,
    message: /Images API answered 500 after 3 attempts: The server had an error/,
  },
  {
    title: "502 every time → 3 attempts, api_error with status 502",
    setup: (s) => s.setDefault({ status: 502, headers: fastRetry }),
    code: "api_error",
    attempts: 3,
    gaps: [FAST, FAST],
    statusCode: 502,
    retryable: true,
  },
  {
    title: "503, 503, then 200 → the image after 3 attempts",
    setup: (s) => s.script({ status: 503, headers: fastRetry }, { status: 503, headers: fastRetry }),
    code: "ok",
    attempts: 3,
    gaps: [FAST, FAST],
  },
  {
    title: "408 and 409 are retried like the SDK does",
    setup: (s) => s.script({ status: 408, headers: fastRetry }, { status: 409, headers: fastRetry }),
    code: "ok",
    attempts: 3,
    gaps: [FAST, FAST],
  },
  {
    title: "x-should-retry: false on a 500 → 1 attempt, not retryable",
    setup: (s) => s.setDefault({ status: 500, headers: { "x-should-retry": "false", ...fastRetry } }),
    code: "api_error",
    attempts: 1,
    statusCode: 500,
    retryable: false,
  },
  {
    title: "x-should-retry: true on a 400 → retried, then invalid_params",
    setup: (s) =>
      s.setDefault({
        status: 400,
        headers: { "x-should-retry": "true", ...fastRetry },
        error: { message: "Try again", param: "size", code: "invalid_value" },
      }),
    code: "invalid_params",
    attempts: 3,
    gaps: [FAST, FAST],
    statusCode: 400,
    retryable: true,
  },
  {
    title: "401 → auth_failed, never retried",
    setup: (s) => s.setDefault({ status: 401, headers: fastRetry }),
    code: "auth_failed",
    attempts: 1,
    statusCode: 401,
    retryable: false,
  },
  // ---------------------------------------------------------------- the connection
  {
    title: "connection refused (nothing listening) → network_error after the backoff",
    setup: async () => {
      const gone = await ImagesApiServer.start();
      await gone.close();
      return gone.baseUrl;
    },
    config: { retries: 1 },
    code: "network_error",
    attempts: 2,
    unseen: true,
    elapsed: [350, 2500],
    message: /could not reach the Images API \(ECONNREFUSED/,
    retryable: true,
  },
  {
    title: "connection reset before the headers, every time (retry when the outcome is unknown) → network_error",
    setup: (s) => s.setDefault({ drop: "before-headers" }),
    config: { retries: 1, retryUnknownOutcome: true },
    code: "network_error",
    attempts: 2,
    gaps: [BACKOFF_1],
    message: /could not reach the Images API/,
    retryable: true,
  },
  {
    title: "connection reset before the headers once (retry when the outcome is unknown) → the retry brings the image",
    config: { retryUnknownOutcome: true },
    setup: (s) => s.script({ drop: "before-headers" }),
    code: "ok",
    attempts: 2,
    gaps: [BACKOFF_1],
  },
  {
    title: "connection reset in the middle of the body, every time (retry when the outcome is unknown) → network_error",
    setup: (s) => s.setDefault({ drop: "mid-body" }),
    config: { retries: 1, retryUnknownOutcome: true },
    code: "network_error",
    attempts: 2,
    gaps: [BACKOFF_1],
    retryable: true,
  },
  {
    title: "connection reset in the middle of the body once (retry when the outcome is unknown) → the retry brings a whole image",
    config: { retryUnknownOutcome: true },
    setup: (s) => s.script({ drop: "mid-body" }),
    code: "ok",
    attempts: 2,
    gaps: [BACKOFF_1],
  },
  // the outcome is unknown (the request was sent): not sent again unless the config node allows it
  {
    title: "connection reset after the request was sent (the default) → network_error after 1 attempt: the image may have been billed",
    setup: (s) => s.setDefault({ drop: "before-headers" }),
    code: "network_error",
    attempts: 1,
    retryable: false,
    message: /the request had been sent, so the image may have been made and billed: it is not sent again/,
  },
  {
    title: "headers slower than the timeout (the default) → timeout after 1 attempt",
    setup: (s) => s.setDefault({ delayMs: 2500 }),
    config: { retries: 2, timeout: 0.3 },
    code: "timeout",
    attempts: 1,
    retryable: false,
    message: /within 300 ms; .*the image may have been made and billed/,
  },
  {
    title: "edit: connection reset after the upload (the default) → one upload, network_error",
    setup: (s) => s.setDefault({ drop: "before-headers" }),
    edit: true,
    code: "network_error",
    attempts: 1,
  },
  // ---------------------------------------------------------------- answers that are not usable
  {
    title: "200 with truncated JSON → api_error, not retried",
    setup: (s) => s.setDefault({ body: '{"created":1,"data":[{"b64_json":"iVBORw0KGgoAAAANSUhE', contentType: "application/json" }),
    code: "api_error",
    attempts: 1,
    statusCode: 200,
    retryable: false,
    message: /the Images API answered with 54 bytes of application\/json instead of JSON/,
  },
  {
    title: "200 with invalid JSON → api_error",
    setup: (s) => s.setDefault({ body: "{created: 1, data: [}", contentType: "application/json" }),
    code: "api_error",
    attempts: 1,
    statusCode: 200,
    message: /instead of JSON/,
  },
  {
    title: "200 with JSON that is not an object → api_error",
    setup: (s) => s.setDefault({ body: '"ok"', contentType: "application/json" }),
    code: "api_error",
    attempts: 1,
    statusCode: 200,
    message: /JSON that is not an object/,
  },
  {
    title: "an HTML error page from a proxy (502) → retried with backoff, then api_error naming the page",
    setup: (s) => s.setDefault({ status: 502, contentType: "text/html", body: HTML_502 }),
    config: { retries: 1 },
    code: "api_error",
    attempts: 2,
    gaps: [BACKOFF_1],
    statusCode: 502,
    message: /Images API answered 502 after 2 attempts: an HTML page \("502 Bad Gateway"\) instead of an API answer/,
  },
  {
    title: "a 200 HTML page (captive portal) → api_error naming the content type",
    setup: (s) =>
      s.setDefault({ contentType: "text/html; charset=utf-8", body: "<html><head><title>Hotel Wi-Fi login</title></head></html>" }),
    code: "api_error",
    attempts: 1,
    statusCode: 200,
    message: /bytes of text\/html; charset=utf-8 instead of JSON/,
  },
  {
    title: "wrong content type: a 200 with raw PNG bytes instead of JSON → api_error",
    setup: (s) => s.setDefault({ body: PHOTO_PNG, contentType: "image/png" }),
    code: "api_error",
    attempts: 1,
    statusCode: 200,
    message: new RegExp(`${PHOTO_PNG.length} bytes of image/png instead of JSON`),
  },
  {
    title: "wrong content type on a good answer: JSON labelled text/plain → the bytes win, the image arrives",
    setup: (s) =>
      s.script({ contentType: "text/plain", body: JSON.stringify({ created: 1, data: [{ b64_json: PHOTO_PNG.toString("base64") }] }) }),
    code: "ok",
    attempts: 1,
  },
  {
    title: "200 with empty data → api_error",
    setup: (s) => s.setDefault({ json: { created: 1, data: [] } }),
    code: "api_error",
    attempts: 1,
    statusCode: 200,
    message: /answered without any image \(empty data\)/,
  },
  {
    title: "200 with an image that has neither data nor URL → api_error",
    setup: (s) => s.setDefault({ json: { created: 1, data: [{ revised_prompt: "x" }] } }),
    code: "api_error",
    attempts: 1,
    statusCode: 200,
    message: /image 1 of the answer has neither data nor a URL/,
  },
  {
    title: "200 with a content-policy refusal in the body → moderation_blocked, not retried",
    setup: (s) =>
      s.setDefault({
        json: {
          created: 1,
          error: { code: "content_policy_violation", message: "Your request was rejected as a result of our safety system." },
        },
      }),
    code: "moderation_blocked",
    attempts: 1,
    statusCode: 200,
    retryable: false,
    message: /safety system/,
  },
  {
    title: "400 content_policy_violation (DALL·E) → moderation_blocked, not retried",
    setup: (s) =>
      s.setDefault({
        status: 400,
        headers: fastRetry,
        error: {
          message: "Your request was rejected as a result of our safety system.",
          type: "invalid_request_error",
          code: "content_policy_violation",
        },
      }),
    code: "moderation_blocked",
    attempts: 1,
    statusCode: 400,
  },
  {
    title: "a 500 whose body says moderation_blocked → not retried (a refusal never clears up)",
    setup: (s) => s.setDefault({ status: 500, headers: fastRetry, error: { message: "blocked", code: "moderation_blocked" } }),
    code: "moderation_blocked",
    attempts: 1,
    statusCode: 500,
  },
  // ---------------------------------------------------------------- time
  {
    title: "headers slower than the timeout (retry when the outcome is unknown) → timeout after 2 attempts",
    setup: (s) => s.setDefault({ delayMs: 2500 }),
    config: { retries: 1, timeout: 0.3, retryUnknownOutcome: true },
    code: "timeout",
    attempts: 2,
    // 300 ms timeout + backoff
    gaps: [[600, 1500]],
    retryable: true,
    message: /no complete answer from the Images API within 300 ms \(2 attempts\)/,
  },
  {
    title: "a body that stalls halfway (retry when the outcome is unknown) → timeout after 2 attempts",
    setup: (s) => s.setDefault({ stallBodyMs: 2500 }),
    config: { retries: 1, timeout: 0.3, retryUnknownOutcome: true },
    code: "timeout",
    attempts: 2,
    gaps: [[600, 1500]],
    retryable: true,
  },
  {
    title: "a slow but complete answer within the timeout → the image",
    setup: (s) => s.setDefault({ delayMs: 200, stallBodyMs: 200 }),
    config: { retries: 0, timeout: 2 },
    code: "ok",
    attempts: 1,
  },
  // ---------------------------------------------------------------- the edit node: retries resend the same multipart body
  {
    title: "edit: 429, 429, 200 → the same multipart bytes three times, then the image",
    setup: (s) => s.script({ status: 429, headers: { "retry-after-ms": "50" } }, { status: 429, headers: { "retry-after-ms": "50" } }),
    edit: true,
    code: "ok",
    attempts: 3,
    gaps: [
      [45, 700],
      [45, 700],
    ],
  },
  {
    title: "edit: 500 every time → 3 identical uploads, api_error",
    setup: (s) => s.setDefault({ status: 500, headers: fastRetry }),
    edit: true,
    code: "api_error",
    attempts: 3,
    gaps: [FAST, FAST],
    statusCode: 500,
  },
  {
    title: "edit: connection reset before the headers, every time (retry when the outcome is unknown) → identical uploads, network_error",
    setup: (s) => s.setDefault({ drop: "before-headers" }),
    config: { retries: 1, retryUnknownOutcome: true },
    edit: true,
    code: "network_error",
    attempts: 2,
    gaps: [BACKOFF_1],
  },
  {
    title: "edit: reset mid-body once (retry when the outcome is unknown) → identical upload, then the image",
    config: { retryUnknownOutcome: true },
    setup: (s) => s.script({ drop: "mid-body" }),
    edit: true,
    code: "ok",
    attempts: 2,
    gaps: [BACKOFF_1],
  },
  {
    title: "edit: headers slower than the timeout (retry when the outcome is unknown) → timeout after 2 identical uploads",
    setup: (s) => s.setDefault({ delayMs: 2500 }),
    config: { retries: 1, timeout: 0.3, retryUnknownOutcome: true },
    edit: true,
    code: "timeout",
    attempts: 2,
    gaps: [[600, 1500]],
  },
  {
    title: "edit: 400 moderation_blocked → one upload, moderation_blocked",
    setup: (s) =>
      s.setDefault({
        status: 400,
        error: {
          message: "Your request was rejected as a result of our safety system.",
          type: "image_generation_user_error",
          code: "moderation_blocked",
        },
      }),
    edit: true,
    code: "moderation_blocked",
    attempts: 1,
    statusCode: 400,
  },
];

describe("reliability: the fault matrix through the nodes", function () {
  this.timeout(20_000);
  const api = withReliability();

  for (const c of CASES) {
    it(c.title, async () => {
      const server = api.server;
      const baseUrl = (await c.setup(server)) || server.baseUrl;
      const edit = c.edit === true;
      await load(
        edit
          ? {
              baseUrl,
              type: "images-api-edit",
              config: c.config,
              node: { image: "payload", imageType: "msg", mask: "mask", maskType: "msg", prompt: "prompt", promptType: "msg" },
            }
          : { baseUrl, config: c.config },
        edit ? EDIT_NODES : undefined,
      );
      const msg: Msg = edit
        ? { payload: PHOTO_PNG, mask: MASK_256, prompt: "a fault case", topic: "t" }
        : { payload: "a fault case", topic: "t" };
      const started = Date.now();
      const { out, caught } = await one(msg, { timeoutMs: c.timeoutMs ?? 15_000, settleMs: 120 });
      const elapsed = Date.now() - started;

      // attempts, as the server saw them and as the error reports them
      const seen = server.requests.length;
      assert.equal(seen, c.unseen ? 0 : c.attempts, `the server saw ${seen} attempt(s)`);
      if (c.code === "ok") {
        assert.ok(out, `expected the image, got ${caught?.error?.code}: ${caught?.error?.message}`);
        assert.ok(Buffer.isBuffer(out.payload), "a whole image arrived");
        assert.equal(out.topic, "t");
        assert.equal(out.error, undefined);
      } else {
        assert.ok(caught, `expected ${c.code}, got an image`);
        const e = caught.error;
        assert.equal(e.code, c.code, e.message);
        assert.equal(e.cause.attempts, c.attempts, "msg.error.cause.attempts");
        assert.equal(e.source.id, "img");
        if (c.message) assert.match(e.message, c.message);
        if (c.retryable !== undefined) assert.equal(e.cause.retryable, c.retryable, "retryable");
        assert.equal(caught.statusCode, c.statusCode, "msg.statusCode");
        assert.equal(e.cause.statusCode, c.statusCode, "msg.error.cause.statusCode");
        assert.equal(caught.topic, "t", "the input message is what reaches Catch");
      }

      // the delay between attempts
      const gaps = server.requests.slice(1).map((r, i) => r.at - server.requests[i].at);
      (c.gaps ?? []).forEach(([min, max], i) => {
        assert.ok(gaps[i] >= min && gaps[i] <= max, `gap ${i + 1} was ${gaps[i]} ms, expected ${min}–${max} ms (all: ${gaps.join(", ")})`);
      });
      if (c.elapsed) assert.ok(elapsed >= c.elapsed[0] && elapsed <= c.elapsed[1], `took ${elapsed} ms`);

      // the edit node resends exactly the same multipart body on every attempt
      if (edit && server.requests.length > 1) {
        for (const r of server.requests.slice(1)) {
          assert.ok(r.raw.equals(server.requests[0].raw), "identical multipart bytes on the retry");
          assert.equal(r.headers["content-type"], server.requests[0].headers["content-type"]);
        }
        assert.ok(server.requests[0].raw.length > PHOTO_PNG.length + MASK_256.length, "the whole upload each time");
      }

      // the status tells how it ended
      const last = outcomes().statuses.at(-1);
      if (c.code === "ok") {
        assert.deepEqual({ ...last, text: undefined }, { fill: "green", shape: "dot", text: undefined });
        // the done text, and the cost of the message's result
        assert.match(String(last?.text), new RegExp(`^${SHARED.replace(/[.]/g, "\\.")}status\\.done · (≈ )?\\$\\d+\\.\\d+$`));
      } else assert.deepEqual(last, { fill: "red", shape: "ring", text: c.code });

      assert.equal(outcomes().total, 1, "exactly one outcome");
      figures.faultCases++;
      figures.attemptsChecked += c.attempts;
    });
  }

  describe("an answer larger than a sane cap", () => {
    it("the node refuses an answer over the config's largest answer: api_error, 1 attempt, the rest is not read", async () => {
      const server = api.server;
      const huge = Buffer.alloc(8 * 1024 * 1024, 0x20);
      huge.write('{"created":1,"data":[{"b64_json":"');
      server.setDefault({ body: huge, contentType: "application/json" });
      await load({ baseUrl: server.baseUrl, config: { maxAnswerMB: 1 } });
      assert.equal(helper.getNode("cfg").client.options.maxResponseBytes, 1024 * 1024);
      const { caught } = await one({ payload: "a huge answer" }, { settleMs: 200 });
      assert.ok(caught);
      assert.equal(caught.error.code, "api_error");
      assert.match(caught.error.message, /the answer is larger than 1\.0 MB; refusing to read it all into memory/);
      assert.equal(caught.error.cause.attempts, 1);
      assert.equal(server.requests.length, 1, "not retried");
      await until(() => server.openSockets() === 0, 3000, "the connection of the refused answer to close");
      figures.faultCases++;
      figures.attemptsChecked += 1;
    });

    it("the config node's largest image / largest answer: defaults a Raspberry Pi survives (50 / 200 MB); empty or nonsense keeps them", async () => {
      const server = api.server;
      const caps = async (config: Record<string, unknown>) => {
        await load({ baseUrl: server.baseUrl, config });
        const { maxImageBytes, maxResponseBytes } = helper.getNode("cfg").client.options;
        await helper.unload();
        return [maxImageBytes / 1024 / 1024, maxResponseBytes / 1024 / 1024];
      };
      assert.deepEqual(await caps({}), [50, 200]);
      assert.deepEqual(await caps({ maxImageMB: "", maxAnswerMB: "lots" }), [50, 200]);
      assert.deepEqual(await caps({ maxImageMB: "8", maxAnswerMB: 32 }), [8, 32]);
      // the old, never documented property is not read
      assert.deepEqual(await caps({ maxResponseBytes: 1024 }), [50, 200]);
    });
  });
});
