/**
 * The SDK retry policy (the official SDK's client, as README.md describes it): which statuses are retried, how long the server asks us
 * to wait, the exponential backoff, and the abortable sleep.
 */
import assert from "node:assert/strict";
import { backoffMs, retryAfterMs, retryDelayMs, shouldRetryStatus, sleep } from "../../../src/lib/http/retry";

describe("retry policy", () => {
  describe("shouldRetryStatus()", () => {
    for (const status of [408, 409, 429, 500, 502, 503, 504, 599]) {
      it(`${status} is retried`, () => assert.equal(shouldRetryStatus(status, {}), true));
    }
    for (const status of [400, 401, 403, 404, 413, 422]) {
      it(`${status} is not retried`, () => assert.equal(shouldRetryStatus(status, {}), false));
    }
    it("x-should-retry: true makes a 400 retryable", () => {
      assert.equal(shouldRetryStatus(400, { "x-should-retry": "true" }), true);
      assert.equal(shouldRetryStatus(404, { "x-should-retry": "true" }), true);
    });
    it("x-should-retry: false stops a 500 and a 429 from being retried", () => {
      assert.equal(shouldRetryStatus(500, { "x-should-retry": "false" }), false);
      assert.equal(shouldRetryStatus(429, { "x-should-retry": "false" }), false);
    });
    it("an x-should-retry value other than true/false leaves the status rule in charge", () => {
      assert.equal(shouldRetryStatus(500, { "x-should-retry": "maybe" }), true);
      assert.equal(shouldRetryStatus(400, { "x-should-retry": "1" }), false);
    });
    it("a repeated x-should-retry header uses the first value", () => {
      assert.equal(shouldRetryStatus(500, { "x-should-retry": ["false", "true"] }), false);
    });
  });

  describe("retryAfterMs()", () => {
    const NOW = Date.parse("2026-08-21T12:00:00.000Z");
    const httpDate = (offsetMs: number) => new Date(NOW + offsetMs).toUTCString();

    it("no header → undefined", () => assert.equal(retryAfterMs({}, NOW), undefined));
    it("retry-after-ms 200 → 200", () => assert.equal(retryAfterMs({ "retry-after-ms": "200" }, NOW), 200));
    it("retry-after-ms is a float", () => assert.equal(retryAfterMs({ "retry-after-ms": "1.5" }, NOW), 1.5));
    it("retry-after-ms 0 → 0", () => assert.equal(retryAfterMs({ "retry-after-ms": "0" }, NOW), 0));
    it("retry-after-ms wins over retry-after", () => {
      assert.equal(retryAfterMs({ "retry-after-ms": "250", "retry-after": "30" }, NOW), 250);
    });
    it("unusable retry-after-ms falls back to retry-after", () => {
      assert.equal(retryAfterMs({ "retry-after-ms": "soon", "retry-after": "2" }, NOW), 2000);
      assert.equal(retryAfterMs({ "retry-after-ms": "-5", "retry-after": "3" }, NOW), 3000);
      assert.equal(retryAfterMs({ "retry-after-ms": "60001", "retry-after": "1" }, NOW), 1000);
    });
    it("retry-after-ms above 60 s alone → undefined", () => {
      assert.equal(retryAfterMs({ "retry-after-ms": "60001" }, NOW), undefined);
      assert.equal(retryAfterMs({ "retry-after-ms": "60000" }, NOW), 60000);
    });
    it("retry-after in seconds, integer and float", () => {
      assert.equal(retryAfterMs({ "retry-after": "12" }, NOW), 12000);
      assert.equal(retryAfterMs({ "retry-after": "0.25" }, NOW), 250);
      assert.equal(retryAfterMs({ "retry-after": " 3 " }, NOW), 3000);
      assert.equal(retryAfterMs({ "retry-after": "60" }, NOW), 60000);
    });
    it("retry-after above 60 s → undefined", () => {
      assert.equal(retryAfterMs({ "retry-after": "61" }, NOW), undefined);
      assert.equal(retryAfterMs({ "retry-after": "3600" }, NOW), undefined);
    });
    it("retry-after as an HTTP date in the future → the difference", () => {
      assert.equal(retryAfterMs({ "retry-after": httpDate(5000) }, NOW), 5000);
      assert.equal(retryAfterMs({ "retry-after": httpDate(60000) }, NOW), 60000);
    });
    it("retry-after as an HTTP date in the past → 0", () => {
      assert.equal(retryAfterMs({ "retry-after": httpDate(-5000) }, NOW), 0);
      assert.equal(retryAfterMs({ "retry-after": "Thu, 01 Jan 1970 00:00:00 GMT" }, NOW), 0);
    });
    it("retry-after as an HTTP date more than 60 s ahead → undefined", () => {
      assert.equal(retryAfterMs({ "retry-after": httpDate(61000) }, NOW), undefined);
      assert.equal(retryAfterMs({ "retry-after": httpDate(24 * 3600 * 1000) }, NOW), undefined);
    });
    it("garbage → undefined", () => {
      assert.equal(retryAfterMs({ "retry-after": "soon" }, NOW), undefined);
      assert.equal(retryAfterMs({ "retry-after": "" }, NOW), undefined);
      assert.equal(retryAfterMs({ "retry-after-ms": "abc" }, NOW), undefined);
    });
    it("uses the real clock by default", () => {
      const wait = retryAfterMs({ "retry-after": new Date(Date.now() + 30_000).toUTCString() });
      assert.ok(wait !== undefined && wait > 25_000 && wait <= 30_000, String(wait));
    });
    it("a repeated header uses the first value", () => {
      assert.equal(retryAfterMs({ "retry-after-ms": ["300", "900"] }, NOW), 300);
    });
  });

  describe("backoffMs()", () => {
    const expectedMax = [500, 1000, 2000, 4000, 8000, 8000];
    for (let n = 0; n <= 5; n++) {
      it(`retry ${n}: ${expectedMax[n]} ms with random 0, 25 % less with random 1`, () => {
        assert.equal(
          backoffMs(n, () => 0),
          expectedMax[n],
        );
        assert.equal(
          backoffMs(n, () => 1),
          expectedMax[n] * 0.75,
        );
        const mid = backoffMs(n, () => 0.5);
        assert.equal(mid, expectedMax[n] * 0.875);
      });
    }
    it("stays capped at 8 s for many retries", () => {
      assert.equal(
        backoffMs(20, () => 0),
        8000,
      );
    });
    it("with Math.random it lies within the bounds", () => {
      for (let i = 0; i < 200; i++) {
        const ms = backoffMs(1);
        assert.ok(ms > 750 - 1e-9 && ms <= 1000, String(ms));
      }
    });
  });

  describe("retryDelayMs()", () => {
    it("takes the server's wish when there is one", () => {
      assert.equal(retryDelayMs({ "retry-after-ms": "123" }, 4), 123);
    });
    it("otherwise backs off by the retry count", () => {
      const first = retryDelayMs({}, 0);
      assert.ok(first >= 375 && first <= 500, String(first));
      const third = retryDelayMs({ "retry-after": "120" }, 2);
      assert.ok(third >= 1500 && third <= 2000, String(third));
    });
  });

  describe("sleep()", () => {
    it("resolves after about the given time", async () => {
      const t0 = Date.now();
      await sleep(50);
      const elapsed = Date.now() - t0;
      assert.ok(elapsed >= 45 && elapsed < 1000, String(elapsed));
    });

    it("rejects with the signal's reason as soon as it is aborted", async () => {
      const controller = new AbortController();
      const reason = new Error("stop now");
      const t0 = Date.now();
      setTimeout(() => controller.abort(reason), 30);
      await assert.rejects(sleep(10_000, controller.signal), (err) => err === reason);
      assert.ok(Date.now() - t0 < 2000);
    });

    it("rejects at once with an already aborted signal", async () => {
      const controller = new AbortController();
      controller.abort(new Error("already"));
      await assert.rejects(sleep(10_000, controller.signal), /already/);
    });

    it("removes its abort listener when it resolves", async () => {
      const controller = new AbortController();
      await sleep(1, controller.signal);
      // aborting afterwards must not throw or reject anything
      controller.abort();
      assert.equal(controller.signal.aborted, true);
    });
  });
});
