/**
 * Limiter: at most N jobs at once, first-in first-out, a bounded queue, abort while queued,
 * and slots that come back whatever the job did.
 */
import assert from "node:assert/strict";
import { Limiter } from "../../../src/lib/http/limiter";
import { isImagesApiError } from "../../../src/lib/errors";

interface Deferred<T = void> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: Error) => void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets queued promise callbacks run. */
const flush = () => new Promise((r) => setImmediate(r));

/** A set of jobs that start when the limiter lets them and finish when the test says so. */
class Jobs {
  started: number[] = [];
  running = 0;
  maxRunning = 0;
  gates = new Map<number, Deferred<string>>();

  job(id: number) {
    const gate = deferred<string>();
    this.gates.set(id, gate);
    return async () => {
      this.started.push(id);
      this.running++;
      this.maxRunning = Math.max(this.maxRunning, this.running);
      try {
        return await gate.promise;
      } finally {
        this.running--;
      }
    };
  }

  finish(id: number) {
    this.gates.get(id)!.resolve(`result ${id}`);
  }
}

describe("Limiter", () => {
  it("runs at most N jobs at once and returns each job's result", async () => {
    const limiter = new Limiter(2, 100);
    const jobs = new Jobs();
    const results = [1, 2, 3, 4, 5].map((id) => limiter.run(jobs.job(id)));
    await flush();
    assert.deepEqual(jobs.started, [1, 2]);
    assert.equal(limiter.running, 2);
    assert.equal(limiter.queued, 3);

    jobs.finish(1);
    await flush();
    assert.deepEqual(jobs.started, [1, 2, 3]);
    assert.equal(limiter.running, 2);
    assert.equal(limiter.queued, 2);

    jobs.finish(3);
    jobs.finish(2);
    await flush();
    assert.deepEqual(jobs.started, [1, 2, 3, 4, 5]);
    jobs.finish(4);
    jobs.finish(5);
    assert.deepEqual(await Promise.all(results), ["result 1", "result 2", "result 3", "result 4", "result 5"]);
    assert.equal(jobs.maxRunning, 2);
    assert.equal(limiter.running, 0);
    assert.equal(limiter.queued, 0);
  });

  it("starts waiting jobs first-in first-out, whatever order the running ones finish in", async () => {
    const limiter = new Limiter(1, 100);
    const jobs = new Jobs();
    const all = [10, 11, 12, 13, 14, 15].map((id) => limiter.run(jobs.job(id)));
    for (const id of [10, 11, 12, 13, 14, 15]) {
      await flush();
      assert.equal(jobs.started[jobs.started.length - 1], id);
      assert.equal(jobs.running, 1);
      jobs.finish(id);
    }
    await Promise.all(all);
    assert.deepEqual(jobs.started, [10, 11, 12, 13, 14, 15]);
  });

  it("a new job does not overtake waiting ones when a slot frees up", async () => {
    const limiter = new Limiter(1, 100);
    const jobs = new Jobs();
    const a = limiter.run(jobs.job(1));
    const b = limiter.run(jobs.job(2));
    await flush();
    jobs.finish(1);
    await a;
    const c = limiter.run(jobs.job(3));
    await flush();
    assert.deepEqual(jobs.started, [1, 2]);
    jobs.finish(2);
    jobs.finish(3);
    await Promise.all([b, c]);
    assert.deepEqual(jobs.started, [1, 2, 3]);
  });

  it("tells each waiting job its 1-based queue position; running jobs get onStart, not onQueued", async () => {
    const limiter = new Limiter(2, 100);
    const jobs = new Jobs();
    const positions: Array<[number, number]> = [];
    const starts: number[] = [];
    const runs = [1, 2, 3, 4, 5].map((id) =>
      limiter.run(jobs.job(id), { onQueued: (p) => positions.push([id, p]), onStart: () => starts.push(id) }),
    );
    await flush();
    assert.deepEqual(positions, [
      [3, 1],
      [4, 2],
      [5, 3],
    ]);
    assert.deepEqual(starts, [1, 2]);
    for (const id of [1, 2, 3, 4, 5]) jobs.finish(id);
    await Promise.all(runs);
    assert.deepEqual(starts, [1, 2, 3, 4, 5]);
  });

  it("refuses with queue_full once queueLimit jobs wait, naming the limit", async () => {
    const limiter = new Limiter(1, 2);
    const jobs = new Jobs();
    const running = limiter.run(jobs.job(1));
    const waiting = [limiter.run(jobs.job(2)), limiter.run(jobs.job(3))];
    let ran = false;
    const refused = limiter.run(async () => {
      ran = true;
    });
    await assert.rejects(refused, (err) => {
      assert.ok(isImagesApiError(err));
      assert.equal(err.code, "queue_full");
      assert.match(err.message, /too many requests waiting \(2\)/);
      assert.match(err.message, /queue limit of this Images API config is 2/);
      assert.equal(err.cause.retryable, true);
      return true;
    });
    assert.equal(ran, false);
    assert.equal(limiter.queued, 2);
    for (const id of [1, 2, 3]) jobs.finish(id);
    await Promise.all([running, ...waiting]);
    // with the queue drained, new jobs are accepted again
    assert.equal(await limiter.run(async () => "again"), "again");
  });

  it("queueLimit 0: a job that would have to wait is refused at once", async () => {
    const limiter = new Limiter(1, 0);
    const jobs = new Jobs();
    const first = limiter.run(jobs.job(1));
    await assert.rejects(
      limiter.run(async () => 1),
      (err) => isImagesApiError(err) && err.code === "queue_full" && /limit of this Images API config is 0/.test(err.message),
    );
    jobs.finish(1);
    assert.equal(await first, "result 1");
  });

  it("aborting a waiting job removes it with code aborted and the others still run in order", async () => {
    const limiter = new Limiter(1, 100);
    const jobs = new Jobs();
    const controller = new AbortController();
    const a = limiter.run(jobs.job(1));
    const b = limiter.run(jobs.job(2), { signal: controller.signal });
    const c = limiter.run(jobs.job(3));
    await flush();
    assert.equal(limiter.queued, 2);

    controller.abort();
    await assert.rejects(b, (err) => {
      assert.ok(isImagesApiError(err));
      assert.equal(err.code, "aborted");
      assert.equal(err.cause.attempts, 0);
      assert.match(err.message, /cancelled while waiting in the queue/);
      return true;
    });
    assert.equal(limiter.queued, 1);

    jobs.finish(1);
    await flush();
    assert.deepEqual(jobs.started, [1, 3]);
    jobs.finish(3);
    assert.deepEqual(await Promise.all([a, c]), ["result 1", "result 3"]);
    assert.equal(limiter.running, 0);
    assert.equal(limiter.queued, 0);
  });

  it("an already aborted signal is refused without queueing", async () => {
    const limiter = new Limiter(1, 100);
    const controller = new AbortController();
    controller.abort();
    let ran = false;
    await assert.rejects(
      limiter.run(
        async () => {
          ran = true;
        },
        { signal: controller.signal },
      ),
      (err) => isImagesApiError(err) && err.code === "aborted",
    );
    assert.equal(ran, false);
    assert.equal(limiter.running, 0);
  });

  it("aborting after the job started does not touch the limiter", async () => {
    const limiter = new Limiter(1, 100);
    const jobs = new Jobs();
    const controller = new AbortController();
    const a = limiter.run(jobs.job(1), { signal: controller.signal });
    const b = limiter.run(jobs.job(2));
    await flush();
    controller.abort();
    await flush();
    assert.equal(limiter.running, 1);
    assert.equal(limiter.queued, 1);
    jobs.finish(1);
    assert.equal(await a, "result 1");
    jobs.finish(2);
    assert.equal(await b, "result 2");
  });

  it("a job that throws (or rejects) gives its slot back", async () => {
    const limiter = new Limiter(1, 100);
    await assert.rejects(
      limiter.run(async () => {
        throw new Error("boom");
      }),
      /boom/,
    );
    await assert.rejects(
      limiter.run((() => {
        throw new Error("sync boom");
      }) as () => Promise<void>),
      /sync boom/,
    );
    assert.equal(limiter.running, 0);

    // and with waiters: the failing job hands its slot to the next one
    const jobs = new Jobs();
    const failing = deferred<string>();
    const first = limiter.run(() => failing.promise);
    const second = limiter.run(jobs.job(2));
    await flush();
    assert.deepEqual(jobs.started, []);
    failing.reject(new Error("render failed"));
    await assert.rejects(first, /render failed/);
    await flush();
    assert.deepEqual(jobs.started, [2]);
    jobs.finish(2);
    assert.equal(await second, "result 2");
    assert.equal(limiter.running, 0);
  });

  it("concurrency 3 with 20 jobs that finish in random order never exceeds 3", async () => {
    const limiter = new Limiter(3, 100);
    const jobs = new Jobs();
    const ids = Array.from({ length: 20 }, (_, i) => i);
    const runs = ids.map((id) => limiter.run(jobs.job(id)));
    const done = new Set<number>();
    while (done.size < ids.length) {
      await flush();
      const runningIds = jobs.started.filter((id) => !done.has(id));
      assert.ok(runningIds.length <= 3);
      const pick = runningIds[Math.floor(Math.random() * runningIds.length)];
      jobs.finish(pick);
      done.add(pick);
    }
    await Promise.all(runs);
    assert.deepEqual(jobs.started, ids);
    assert.equal(jobs.maxRunning, 3);
  });
  it("a throwing onQueued hook neither fails the job nor leaks a slot", async () => {
    const limiter = new Limiter(1, 10);
    const jobs = new Jobs();
    const first = limiter.run(jobs.job(1));
    const second = limiter.run(async () => "second", {
      onQueued: () => {
        throw new Error("status hook failed");
      },
    });
    jobs.finish(1);
    await first;
    assert.equal(await second, "second");
    assert.equal(limiter.queued, 0);
    assert.equal(limiter.running, 0);
    const third = await Promise.race([
      limiter.run(async () => "third"),
      new Promise((r) => setTimeout(() => r("third never started"), 500)),
    ]);
    assert.equal(third, "third");
  });
});
