/**
 * Polls the batches of one config node (one client): a single loop for every node that uses it, one
 * status request at a time, each batch on its own backing-off schedule (first after `firstMs`, then
 * doubling up to `maxMs`). A 429 is retried by the client after the server's Retry-After, which holds
 * the whole loop back: the server's rate limit is respected for all of them.
 */
import { FINAL_STATUSES, getBatch, type Batch } from "./api";
import type { ImagesClient } from "../http/client";

export interface PollSchedule {
  firstMs: number;
  maxMs: number;
}

export const DEFAULT_POLL: PollSchedule = { firstMs: 30_000, maxMs: 300_000 };

interface Watch {
  id: string;
  delayMs: number;
  nextAt: number;
  onUpdate: (batch: Batch) => void;
  onError: (err: unknown) => void;
}

export class BatchPoller {
  private readonly watches = new Map<string, Watch>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly client: ImagesClient,
    readonly schedule: PollSchedule,
  ) {}

  /** Watches a batch until stopped: onUpdate with every status read, until a final one (then it stops by itself). */
  watch(id: string, onUpdate: (batch: Batch) => void, onError: (err: unknown) => void, now = Date.now()): void {
    this.watches.set(id, { id, delayMs: this.schedule.firstMs, nextAt: now + this.schedule.firstMs, onUpdate, onError });
    this.arm();
  }

  unwatch(id: string): void {
    this.watches.delete(id);
    if (this.watches.size === 0) this.disarm();
  }

  get watching(): number {
    return this.watches.size;
  }

  close(): void {
    this.watches.clear();
    this.disarm();
    this.abort.abort();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.running || this.watches.size === 0) return;
    this.disarm();
    const next = Math.min(...[...this.watches.values()].map((w) => w.nextAt));
    this.timer = setTimeout(() => void this.tick(), Math.max(0, next - Date.now()));
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    this.running = true;
    try {
      for (const w of [...this.watches.values()].sort((a, b) => a.nextAt - b.nextAt)) {
        if (w.nextAt > Date.now() || this.abort.signal.aborted) continue;
        if (!this.watches.has(w.id)) continue;
        try {
          const batch = await getBatch(this.client, w.id, this.abort.signal);
          if (!this.watches.has(w.id)) continue;
          w.delayMs = Math.min(this.schedule.maxMs, w.delayMs * 2);
          w.nextAt = Date.now() + w.delayMs;
          if (FINAL_STATUSES.has(batch.status)) this.watches.delete(w.id);
          w.onUpdate(batch);
        } catch (err) {
          if (this.abort.signal.aborted) return;
          // a failed poll is tried again later; the watcher hears of it
          w.delayMs = Math.min(this.schedule.maxMs, w.delayMs * 2);
          w.nextAt = Date.now() + w.delayMs;
          w.onError(err);
        }
      }
    } finally {
      this.running = false;
      this.arm();
    }
  }
}

const POLLERS = new WeakMap<ImagesClient, BatchPoller>();

/** The one poller of a client (a config node), made on first use. */
export function pollerFor(client: ImagesClient, schedule: PollSchedule = DEFAULT_POLL): BatchPoller {
  let p = POLLERS.get(client);
  if (!p) {
    p = new BatchPoller(client, schedule);
    POLLERS.set(client, p);
  }
  return p;
}
