import { ImagesApiError } from "../errors";

interface Waiter {
  start: () => void;
  fail: (err: Error) => void;
}

export interface RunHooks {
  signal?: AbortSignal;
  /** called when the job has to wait; position is 1-based */
  onQueued?: (position: number) => void;
  onStart?: () => void;
}

/**
 * At most `concurrency` jobs at once for everything sharing one config node; the rest wait
 * first-in first-out. A queue beyond `queueLimit` refuses new jobs with queue_full.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    readonly concurrency: number,
    readonly queueLimit: number,
  ) {}

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(job: () => Promise<T>, hooks: RunHooks = {}): Promise<T> {
    await this.acquire(hooks);
    try {
      hooks.onStart?.();
      return await job();
    } finally {
      this.release();
    }
  }

  private acquire({ signal, onQueued }: RunHooks): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortedWhileQueued());
    if (this.active < this.concurrency && this.waiting.length === 0) {
      this.active++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.queueLimit) {
      return Promise.reject(
        new ImagesApiError(
          "queue_full",
          `too many requests waiting (${this.waiting.length}); the queue limit of this Images API config is ${this.queueLimit}`,
          { retryable: true },
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(abortedWhileQueued());
      };
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        fail: reject,
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(waiter);
      try {
        onQueued?.(this.waiting.length);
      } catch {
        // a status hook must never cost a queue slot
      }
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next.start();
    else this.active--;
  }
}

function abortedWhileQueued(): ImagesApiError {
  return new ImagesApiError("aborted", "the request was cancelled while waiting in the queue", { attempts: 0 });
}
