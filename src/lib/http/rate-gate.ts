/**
 * What one client does when the API rate-limits it. A 429 tells every request of the client, not
 * only the one that got it: until the time the server asked for, no attempt goes out (the request
 * that got the 429 waits here too, in its turn, instead of sleeping on its own); then the attempts
 * go one at a time, oldest request first — the next one as soon as the one before got an answer
 * other than 429, or has been out for `graceMs` without one (a refusal comes back fast, a render
 * takes long) — until none is left waiting. A server that frees capacity one request at a time (a
 * sliding window, a token bucket) is then not met by all waiting requests at the same instant,
 * where all but one would lose and burn one of their retries.
 */
import { ImagesApiError } from "../errors";

/** One attempt's way through the gate: say how it went. */
export class Pass {
  private settled = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly gate: RateGate,
    graceMs: number | undefined,
  ) {
    if (graceMs !== undefined) {
      this.timer = setTimeout(() => this.gate.passed(this), graceMs);
      this.timer.unref?.();
    }
  }

  /** Any answer but a 429, or no answer at all (the connection failed). */
  release(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.gate.passed(this);
  }

  /** A 429: nothing goes out for `waitMs`. */
  limited(waitMs: number): void {
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.gate.limited(this, waitMs);
  }
}

interface Waiter {
  order: number;
  go: (pass: Pass) => void;
  fail: (err: Error) => void;
}

export class RateGate {
  private closedUntil = 0;
  /** since a 429: attempts go one at a time until none is left waiting */
  private recovering = false;
  private wake: NodeJS.Timeout | undefined;
  /** the attempt let through while the gate recovers from a 429 */
  private probe: Pass | undefined;
  /** oldest request first */
  private readonly waiting: Waiter[] = [];

  constructor(readonly graceMs = 250) {}

  /** Lets an attempt through now (nothing is rate-limited) or once its turn comes. `order`: the request's age, lower = older. */
  enter(order: number, signal?: AbortSignal): Pass | Promise<Pass> {
    if (!this.recovering) return new Pass(this, undefined);
    return new Promise<Pass>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        waiter.fail(new ImagesApiError("aborted", "the request was cancelled while waiting for the rate limit", {}));
        this.pump();
      };
      const waiter: Waiter = {
        order,
        go: (pass) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(pass);
        },
        fail: (err) => {
          signal?.removeEventListener("abort", onAbort);
          reject(err);
        },
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      let i = this.waiting.length;
      while (i > 0 && this.waiting[i - 1].order > order) i--;
      this.waiting.splice(i, 0, waiter);
      this.pump();
    });
  }

  /** Ends every wait (the client is closing). */
  close(err: Error): void {
    if (this.wake) clearTimeout(this.wake);
    this.wake = undefined;
    this.recovering = false;
    this.probe = undefined;
    for (const waiter of this.waiting.splice(0)) waiter.fail(err);
  }

  /** How long until the server's time (0 once it has passed, or when nothing is rate-limited). */
  waitMs(): number {
    return Math.max(0, this.closedUntil - Date.now());
  }

  /** @internal */
  passed(pass: Pass): void {
    if (this.probe !== pass) return;
    this.probe = undefined;
    // open again only once nobody waits and the server's time has passed (a later 429 may have moved it)
    if (this.waiting.length === 0 && this.waitMs() === 0) this.recovering = false;
    else this.pump();
  }

  /** @internal */
  limited(pass: Pass, waitMs: number): void {
    this.closedUntil = Math.max(this.closedUntil, Date.now() + Math.max(0, waitMs));
    this.recovering = true;
    if (this.probe === pass) this.probe = undefined;
    this.pump();
  }

  private pump(): void {
    if (this.waiting.length === 0) {
      // nobody left to wake (all aborted): no timer may keep the process alive
      if (this.wake) clearTimeout(this.wake);
      this.wake = undefined;
      return;
    }
    if (this.probe) return;
    const wait = this.closedUntil - Date.now();
    if (wait > 0) {
      if (!this.wake) {
        this.wake = setTimeout(() => {
          this.wake = undefined;
          this.pump();
        }, wait);
      }
      return;
    }
    const next = this.waiting.shift()!;
    this.probe = new Pass(this, this.graceMs);
    next.go(this.probe);
  }
}
