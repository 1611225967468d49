/** A config node's budget: reservations, the cap under concurrency, settling, periods with the clock as a parameter. */
import assert from "node:assert/strict";
import { Budget, periodEnd, periodOf, type BudgetState } from "../../../src/lib/cost/budget";
import { isImagesApiError } from "../../../src/lib/errors";

function memoryStore(initial?: BudgetState) {
  let state = initial;
  return { get: () => state, set: (s: BudgetState) => (state = s), peek: () => state };
}

describe("Budget", () => {
  it("reserves, settles with the actual cost, gives back what was not billed", () => {
    const store = memoryStore();
    const b = new Budget(1, "day", store, () => new Date("2026-12-05T10:00:00Z"));
    const r1 = b.reserve(0.3, "a");
    const r2 = b.reserve(0.3, "b");
    assert.equal(b.status().reserved, 0.6);
    r1.settle(0.1);
    r2.release();
    assert.equal(b.status().reserved, 0);
    assert.equal(b.status().spent, 0.1);
    // settling twice counts once
    r1.settle(0.1);
    assert.equal(store.peek()!.spent, 0.1);
    // an unknown outcome keeps the reservation as spent
    b.reserve(0.2, "c").settle(undefined);
    assert.ok(Math.abs(b.status().spent - 0.3) < 1e-9);
  });

  it("refuses a request that could pass the cap, naming the spend, the cap, the estimate and when the period starts again", () => {
    const b = new Budget(0.5, "day", memoryStore({ period: "2026-12-05", spent: 0.4 }), () => new Date("2026-12-05T10:00:00Z"));
    assert.throws(
      () => b.reserve(0.2, "this request (gpt-image-2, 1 image)"),
      (err: unknown) => {
        assert.ok(isImagesApiError(err));
        assert.equal(err.code, "budget_exceeded");
        assert.match(err.message, /this request \(gpt-image-2, 1 image\) may cost up to \$0\.20; \$0\.40 of this day's \$0\.50 is spent/);
        assert.match(err.message, /starts again at 2026-12-06T00:00:00Z/);
        return true;
      },
    );
  });

  it("50 concurrent reservations never pass the cap together", async () => {
    const b = new Budget(1, "month", memoryStore(), () => new Date("2026-12-05T10:00:00Z"));
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, async () => {
        try {
          const r = b.reserve(0.07, "x");
          await new Promise((res) => setTimeout(res, Math.random() * 20));
          r.settle(0.07);
          return "ok";
        } catch {
          return "refused";
        }
      }),
    );
    const ok = outcomes.filter((o) => o === "ok").length;
    assert.equal(ok, 14, "1 / 0.07 = 14 requests fit");
    assert.ok(b.status().spent <= 1 + 1e-9);
  });

  it("a new period starts from nothing; day and month periods are UTC", () => {
    let now = new Date("2026-12-31T23:59:00Z");
    const store = memoryStore();
    const b = new Budget(1, "month", store, () => now);
    b.reserve(0.9, "x").settle(0.9);
    assert.throws(() => b.reserve(0.2, "y"));
    now = new Date("2027-01-01T00:00:01Z");
    assert.equal(b.status().spent, 0);
    b.reserve(0.2, "y").settle(0.2);
    assert.deepEqual(store.peek(), { period: "2027-01", spent: 0.2, warned: undefined });
    assert.equal(periodOf(new Date("2026-12-05T23:00:00Z"), "day"), "2026-12-05");
    assert.equal(periodEnd(new Date("2026-12-05T23:00:00Z"), "day").toISOString(), "2026-12-06T00:00:00.000Z");
    assert.equal(periodEnd(new Date("2026-12-05T23:00:00Z"), "month").toISOString(), "2027-01-01T00:00:00.000Z");
  });

  it("warns once per period at 80 %", () => {
    let now = new Date("2026-12-05T10:00:00Z");
    const warnings: string[] = [];
    const b = new Budget(
      1,
      "day",
      memoryStore(),
      () => now,
      (t) => warnings.push(t),
    );
    b.reserve(0.5, "a").settle(0.5);
    assert.equal(warnings.length, 0);
    b.reserve(0.35, "b").settle(0.35);
    b.reserve(0.1, "c").settle(0.1);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /\$0\.85 of this day's budget of \$1\.00 is spent \(85 %\)/);
    now = new Date("2026-12-06T10:00:00Z");
    b.reserve(0.9, "d").settle(0.9);
    assert.equal(warnings.length, 2);
  });
});
