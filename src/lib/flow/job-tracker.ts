/**
 * What a flow node does with each message, shared by the generate and edit nodes:
 * exactly one outcome per message (send + done, or done(err)), status while it waits and works,
 * abort of everything in flight on close, and nothing sent after close.
 * Plain module: Node-RED's functions come in through the small interfaces below.
 */
import { type ErrorCode, ImagesApiError, isImagesApiError } from "../errors";
import type { RunHooks } from "../http/limiter";

export interface NodeStatus {
  fill?: "red" | "green" | "yellow" | "blue" | "grey";
  shape?: "ring" | "dot";
  text?: string;
}

export type Translate = (key: string, vars?: Record<string, unknown>) => string;

export interface JobHooks extends RunHooks {
  signal: AbortSignal;
  onAttempt: (attempt: number) => void;
  /** a failed attempt will be retried after `ms` (shown as the status meanwhile) */
  onRetryWait: (wait: { ms: number; reason: string }) => void;
  /** sends a message before the final one (a partial image); nothing is sent after close */
  emit: (msg: Record<string, unknown>) => void;
  /** shows progress while working (e.g. "partial 2/3") */
  progress: (text: string) => void;
}

export type Work<M> = (hooks: JobHooks) => Promise<M[]>;

const TICK_MS = 1000;

interface JobState {
  startedAt?: number;
  queued: boolean;
  progress?: string;
  /** waiting to retry a failed attempt: until when, and why */
  retry?: { at: number; reason: string };
}

export class JobTracker<M extends Record<string, unknown>> {
  private readonly running = new Map<AbortController, JobState>();
  private ticker: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly setStatus: (s: NodeStatus) => void,
    private readonly t: Translate,
  ) {}

  get inFlight(): number {
    return this.running.size;
  }

  /** Runs one message to exactly one outcome. Never throws, never rejects. */
  async handle(msg: M, send: (msgs: M | M[][]) => void, done: (err?: Error) => void, work: Work<M>): Promise<void> {
    const controller = new AbortController();
    const state: JobState = { queued: false };
    this.running.set(controller, state);
    const began = Date.now();
    const hooks: JobHooks = {
      signal: controller.signal,
      onQueued: () => {
        state.queued = true;
        this.render();
      },
      onStart: () => {
        state.queued = false;
        state.startedAt = Date.now();
        this.render();
      },
      onAttempt: () => {
        state.retry = undefined;
        this.render();
      },
      onRetryWait: ({ ms, reason }) => {
        state.retry = { at: Date.now() + ms, reason };
        this.render();
      },
      emit: (m) => {
        if (!this.closed && !controller.signal.aborted) send(m as M);
      },
      progress: (text) => {
        state.progress = text;
        this.render();
      },
    };
    this.render();
    this.startTicker();
    let outcome: { msgs: M[] } | { err: Error };
    try {
      outcome = { msgs: await work(hooks) };
    } catch (err) {
      outcome = { err: asError(err) };
    } finally {
      this.running.delete(controller);
      if (this.running.size === 0) this.stopTicker();
    }
    if (this.closed) {
      // Node-RED stopped this node: report the end of the message, but never send after close.
      done(new ImagesApiError("aborted", this.t("errors.closed")));
      return;
    }
    if ("msgs" in outcome) {
      const seconds = ((Date.now() - began) / 1000).toFixed(1);
      const count = outcome.msgs.length === 1 ? imagesIn(outcome.msgs[0]) : outcome.msgs.length;
      const finished = this.t("status.done", { count, seconds }) + costOf(outcome.msgs);
      if (this.running.size === 0) this.setStatus({ fill: "green", shape: "dot", text: finished });
      else this.render();
      // several messages on the one output go as [[m1, m2, …]]
      send(outcome.msgs.length === 1 ? outcome.msgs[0] : [outcome.msgs]);
      done();
    } else {
      const err = outcome.err;
      const code: ErrorCode = isImagesApiError(err) ? err.code : "api_error";
      const statusCode = isImagesApiError(err) ? err.cause.statusCode : undefined;
      if (statusCode !== undefined) (msg as Record<string, unknown>).statusCode = statusCode;
      if (this.running.size === 0) this.setStatus({ fill: "red", shape: "ring", text: code });
      else this.render();
      done(err);
    }
  }

  /** Node-RED is closing the node: cancel everything, clear the status. */
  close(): void {
    this.closed = true;
    for (const controller of this.running.keys()) controller.abort();
    this.stopTicker();
    this.setStatus({});
  }

  private render(): void {
    if (this.closed || this.running.size === 0) return;
    let queued = 0;
    let oldest: JobState | undefined;
    for (const s of this.running.values()) {
      if (s.startedAt === undefined) queued += s.queued ? 1 : 0;
      else if (oldest?.startedAt === undefined || s.startedAt < oldest.startedAt) oldest = s;
    }
    if (oldest?.startedAt !== undefined) {
      const now = Date.now();
      const { retry } = oldest;
      const text = retry
        ? retry.at > now
          ? this.t("status.retryIn", { reason: retry.reason, seconds: Math.ceil((retry.at - now) / 1000) })
          : this.t("status.retrying", { reason: retry.reason })
        : (oldest.progress ?? this.t("status.generating", { seconds: Math.floor((now - oldest.startedAt) / 1000) }));
      const shown = queued ? `${text} ${this.t("status.plusQueued", { count: queued })}` : text;
      this.setStatus(retry ? { fill: "yellow", shape: "ring", text: shown } : { fill: "blue", shape: "dot", text: shown });
    } else if (queued) {
      this.setStatus({ fill: "yellow", shape: "ring", text: this.t("status.queued", { count: queued }) });
    }
  }

  private startTicker(): void {
    if (this.ticker) return;
    this.ticker = setInterval(() => this.render(), TICK_MS);
    this.ticker.unref?.();
  }

  private stopTicker(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }
}

/** " · $0.053" (or " · ≈ $0.05" for an estimate): the cost of a message's result, from msg.cost; "" without one. */
function costOf(msgs: unknown[]): string {
  let usd = 0;
  let estimated = false;
  let priced = false;
  for (const m of msgs) {
    const cost = (m as { cost?: { usd?: unknown; estimated?: unknown } } | null)?.cost;
    if (typeof cost?.usd !== "number") continue;
    usd += cost.usd;
    estimated ||= cost.estimated === true;
    priced = true;
  }
  if (!priced) return "";
  const text = usd >= 0.1 ? usd.toFixed(2) : usd >= 0.001 ? usd.toFixed(3) : usd.toFixed(4);
  return ` · ${estimated ? "≈ " : ""}$${text}`;
}

function imagesIn(msg: Record<string, unknown>): number {
  return Array.isArray(msg.images) ? msg.images.length : 1;
}

/** Every failure leaves with a stable code, even one that did not come from this package. */
function asError(err: unknown): Error {
  if (isImagesApiError(err)) return err;
  return new ImagesApiError("api_error", err instanceof Error ? err.message : String(err));
}
