/**
 * RateGate: after a 429, every attempt of the client waits for the server's time, then they go one
 * at a time (oldest request first) until none is left waiting.
 */
import assert from "node:assert/strict";
import { RateGate, type Pass } from "../../../src/lib/http/rate-gate";
import { isImagesApiError } from "../../../src/lib/errors";
import { pause } from "../../support/wait";

describe("RateGate", () => {
  it("lets everything through at once while nothing is rate-limited", () => {
    const gate = new RateGate();
    for (let i = 0; i < 5; i++) assert.ok(!(gate.enter(i) instanceof Promise));
  });

  it("after a 429: nothing before the server's time, then one at a time, oldest first", async () => {
    const gate = new RateGate(10_000);
    const first = gate.enter(0) as Pass;
    const t0 = Date.now();
    first.limited(150);
    const order: number[] = [];
    const passes = new Map<number, Pass>();
    const waits = [3, 1, 2].map((n) =>
      Promise.resolve(gate.enter(n)).then((p) => {
        order.push(n);
        passes.set(n, p);
      }),
    );
    await pause(100);
    assert.deepEqual(order, [], "nothing goes before the server's time");
    await pause(100);
    assert.deepEqual(order, [1], "then only the oldest");
    assert.ok(Date.now() - t0 >= 150);
    passes.get(1)!.release();
    await pause(10);
    assert.deepEqual(order, [1, 2], "the next one once the one before had its answer");
    passes.get(2)!.release();
    await Promise.all(waits);
    assert.deepEqual(order, [1, 2, 3]);
    passes.get(3)!.release();
    assert.ok(!(gate.enter(9) instanceof Promise), "open again once none is left waiting");
  });

  it("a pass out longer than graceMs without a 429 lets the next one go (a render takes long)", async () => {
    const gate = new RateGate(50);
    (gate.enter(0) as Pass).limited(0);
    const a = await gate.enter(1);
    let bIn = false;
    const b = Promise.resolve(gate.enter(2)).then((p) => {
      bIn = true;
      return p;
    });
    await pause(20);
    assert.equal(bIn, false);
    await pause(60);
    assert.equal(bIn, true);
    a.release();
    (await b).release();
  });

  it("a 429 for the attempt let through closes the gate again", async () => {
    const gate = new RateGate(10_000);
    (gate.enter(0) as Pass).limited(0);
    const a = await gate.enter(1);
    let bIn = false;
    void Promise.resolve(gate.enter(2)).then((p) => {
      bIn = true;
      p.release();
    });
    a.limited(120);
    await pause(60);
    assert.equal(bIn, false);
    await pause(100);
    assert.equal(bIn, true);
  });

  it("a later 429 that moved the server's time keeps the gate shut, even once nobody waits", async () => {
    const gate = new RateGate(10_000);
    const old = gate.enter(0) as Pass; // out before the first 429
    (gate.enter(1) as Pass).limited(100);
    const probe = await gate.enter(2);
    old.limited(5000); // a 429 that will not be retried (its last attempt) moves the server's time on
    probe.release(); // the probe's answer, and nobody else waiting
    const next = gate.enter(3);
    assert.ok(next instanceof Promise, "a new request must wait for the server's later time");
    assert.ok(gate.waitMs() > 4000, `waits ${gate.waitMs()} ms`);
    gate.close(new Error("done"));
    await next.catch(() => undefined);
  });

  it("when the last waiter gives up, no timer is left to keep the process alive", async () => {
    const gate = new RateGate();
    (gate.enter(0) as Pass).limited(5000);
    const controller = new AbortController();
    const waiting = Promise.resolve(gate.enter(1, controller.signal)).catch((e) => e);
    assert.ok((gate as unknown as { wake?: NodeJS.Timeout }).wake, "a wake-up timer while someone waits");
    controller.abort();
    await waiting;
    assert.equal((gate as unknown as { wake?: NodeJS.Timeout }).wake, undefined);
  });

  it("an abort while waiting rejects with aborted; close() ends every wait", async () => {
    const gate = new RateGate();
    (gate.enter(0) as Pass).limited(5000);
    const controller = new AbortController();
    const aborted = Promise.resolve(gate.enter(1, controller.signal)).catch((e) => e);
    const closed = Promise.resolve(gate.enter(2)).catch((e) => e);
    controller.abort();
    assert.ok(isImagesApiError(await aborted) && (await aborted).code === "aborted");
    gate.close(new Error("closing"));
    assert.equal(((await closed) as Error).message, "closing");
  });
});
