/**
 * Batch delivery of one image node: checked requests wait in a queue, go out as a batch (Files + Batch
 * API) when the queue holds `size` requests, `waitMs` after the first one, or when asked; each input
 * message is done once its request is in a created batch. The batches are polled (shared per client)
 * and their results delivered as new messages; pending batches live in a store that survives restarts.
 * A removed node cancels its batches and deletes its uploads (or, chosen, leaves them running and says so).
 * Plain module: Node-RED comes in through the hooks below.
 */
import { isPlainObject } from "../util/plain";
import { createBatch, deleteFile, readFileLines, FINAL_STATUSES, uploadFile, type Batch, type BatchStatus } from "./api";
import { inputFiles, type BatchLineIn } from "./lines";
import type { BatchLine } from "./output-file";
import { pollerFor, type PollSchedule } from "./poller";
import { cleanUpRemoved, REMOVAL_BUDGET_MS, settledWithin } from "./removal";
import { imagesFromBody, type ImagesResult } from "../answer/images-response";
import { httpError, readErrorBody } from "../http/http-errors";
import { ImagesClient } from "../http/client";
import { ImagesApiError, isImagesApiError, type ErrorCode } from "../errors";
import type { Operation } from "../models/table";

/** The JSON-safe properties of an input message, kept until its result arrives. */
export type SavedMessage = Record<string, unknown>;

export interface BatchEntry {
  msg: SavedMessage;
  /** the model sent (and the retired one it stands in for) */
  model: string;
  replaced?: string;
  /** the edit's images uploaded for the batch (deleted once it is over) */
  files?: string[];
  /** the request's size, quality and n: what prices its result when the answer has no usage */
  price?: Record<string, unknown>;
}

export interface PendingBatch {
  id: string;
  op: Operation;
  /** the uploaded JSONL input file (missing in batches saved by older versions: the cancel answer names it) */
  inputFile?: string;
  entries: Record<string, BatchEntry>;
  status?: BatchStatus;
  /** custom ids already delivered: saved when the node closed while it was delivering the results */
  delivered?: string[];
}

export interface BatchStore {
  load(): Promise<PendingBatch[]>;
  save(batches: PendingBatch[]): Promise<void>;
}

export type BatchOutcome = { result: ImagesResult } | { error: ImagesApiError };

export interface DeliveryHooks {
  client: () => ImagesClient | undefined;
  store: BatchStore;
  /** a result (or a request's failure) for one input message */
  deliver: (entry: BatchEntry, outcome: BatchOutcome, batch: { id: string; customId: string }) => void;
  /** a summary of what the node's batches are doing, for the node status */
  progress: (p: BatchProgress) => void;
  warn: (text: string) => void;
  /** an information line for the log */
  log: (text: string) => void;
}

/** What a removed node does with its pending batches: cancel them and delete its uploads, or leave them running. */
export type OnRemove = "cancel" | "keep";

export interface BatchProgress {
  queued: number;
  status?: BatchStatus | "submitting";
  completed?: number;
  failed?: number;
  total?: number;
  /** results delivered by the last finished batch */
  delivered?: { images: number; failed: number };
}

export interface DeliveryOptions {
  op: Operation;
  size: number;
  waitMs: number;
  poll: PollSchedule;
  /** metadata sent with each batch (e.g. the node's id) */
  metadata: Record<string, string>;
  /** time allowed for the cleanup of a removed node (default REMOVAL_BUDGET_MS) */
  removalMs?: number;
}

interface Queued {
  line: BatchLineIn;
  entry: BatchEntry;
  done: (err?: Error) => void;
}

/**
 * A copy of a message with what survives JSON: plain objects, arrays, strings, numbers, booleans, null (a Date
 * becomes its ISO text). Buffers, functions, class instances (an http in node's req and res) and cycles are
 * left out, and so is the old _msgid.
 */
export function saveMessage(msg: Record<string, unknown>): SavedMessage {
  const seen = new Set<object>();
  const copy = (v: unknown): unknown => {
    if (v === null || typeof v === "string" || typeof v === "boolean") return v;
    if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString();
    if (typeof v !== "object" || seen.has(v)) return undefined;
    if (Array.isArray(v)) {
      seen.add(v);
      const out = v.map((x) => copy(x) ?? null);
      seen.delete(v);
      return out;
    }
    // plain objects of any realm (a function node's own Object.prototype too); not Buffers or class instances
    if (!isPlainObject(v)) return undefined;
    seen.add(v);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const c = copy(x);
      if (c !== undefined) out[k] = c;
    }
    seen.delete(v);
    return out;
  };
  const saved = (copy(msg) ?? {}) as SavedMessage;
  delete saved._msgid;
  return saved;
}

export class BatchDelivery {
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | undefined;
  private pending: PendingBatch[] = [];
  private closed = false;
  private submitting: Promise<void> = Promise.resolve();
  private saving: Promise<void> = Promise.resolve();
  /** deletions of uploaded images still running */
  private forgetting: Promise<void> = Promise.resolve();
  /** the config node's client as last seen (it may be gone by the time this node closes) */
  private lastClient: ImagesClient | undefined;
  /** the client that sends the queue while the node closes: a deploy closes the config node's client meanwhile */
  private closingClient: ImagesClient | undefined;
  /** the batches whose results are being delivered, with the custom ids delivered so far */
  private readonly collecting = new Map<PendingBatch, Set<string>>();
  /** stops the downloads of result files when the node closes */
  private readonly aborter = new AbortController();
  /** the node was removed with "cancel": nothing more is sent, uploads wait in `leftFiles` for the cleanup */
  private dropping = false;
  private leftFiles: string[] | undefined;

  constructor(
    private readonly o: DeliveryOptions,
    private readonly hooks: DeliveryHooks,
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  /** Loads the store's pending batches and watches them again (after a restart or a redeploy). */
  async resume(): Promise<void> {
    this.pending = await this.hooks.store.load();
    for (const b of this.pending) this.watch(b);
    if (this.pending.length) this.report({ status: this.pending[this.pending.length - 1].status ?? "validating" });
  }

  enqueue(line: BatchLineIn, entry: BatchEntry, done: (err?: Error) => void): void {
    if (this.dropping) {
      this.release(entry.files ?? []);
      done(notSent());
      return;
    }
    this.queue.push({ line, entry, done });
    if (this.queue.length >= this.o.size) void this.submit();
    else {
      if (!this.timer) {
        this.timer = setTimeout(() => void this.submit(), this.o.waitMs);
        this.timer.unref?.();
      }
      this.report({});
    }
  }

  /** Sends what is queued now, as one or more batches; resolves when they are created (or failed). */
  submit(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const items = this.queue;
    this.queue = [];
    if (items.length === 0) return this.submitting;
    this.submitting = this.submitting.then(() => this.send(items));
    return this.submitting;
  }

  private async send(items: Queued[]): Promise<void> {
    const byId = new Map(items.map((q) => [q.line.customId, q]));
    for (const file of inputFiles(items.map((q) => q.line))) {
      const group = file.map((l) => byId.get(l.customId) as Queued);
      this.report({ status: "submitting" });
      try {
        if (this.dropping) throw notSent();
        const client = this.closingClient ?? this.hooks.client();
        if (!client) throw new ImagesApiError("no_config", "the Images API config node is gone: the batch could not be sent");
        const fileId = await uploadFile(
          client,
          { data: Buffer.concat(file.map((l) => l.line)), filename: "requests.jsonl", contentType: "application/jsonl" },
          "batch",
        );
        if (this.dropping) {
          this.release([fileId]);
          throw notSent();
        }
        const batch = await createBatch(client, fileId, this.o.op, this.o.metadata);
        const pending: PendingBatch = {
          id: batch.id,
          op: this.o.op,
          inputFile: fileId,
          entries: Object.fromEntries(group.map((q) => [q.line.customId, q.entry])),
          status: batch.status,
        };
        this.pending.push(pending);
        await this.persist();
        for (const q of group) q.done();
        this.report({ status: batch.status, total: group.length });
        if (!this.closed) this.watch(pending);
      } catch (err) {
        const error = isImagesApiError(err) ? err : new ImagesApiError("api_error", String((err as Error)?.message ?? err));
        this.release(group.flatMap((q) => q.entry.files ?? []));
        for (const q of group) q.done(error);
        this.report({});
      }
    }
  }

  private watch(b: PendingBatch): void {
    const client = this.hooks.client();
    if (!client) return;
    this.lastClient = client;
    pollerFor(client, this.o.poll).watch(
      b.id,
      (batch) => void this.onUpdate(b, batch),
      (err) => this.hooks.warn(`batch ${b.id}: the status could not be read (${(err as Error).message}); asking again later`),
    );
  }

  private async onUpdate(b: PendingBatch, batch: Batch): Promise<void> {
    b.status = batch.status;
    const counts = batch.request_counts;
    this.report({ status: batch.status, completed: counts?.completed, failed: counts?.failed, total: counts?.total });
    if (!FINAL_STATUSES.has(batch.status)) return;
    try {
      const delivered = await this.collect(b, batch);
      // closed while delivering: close() saved what was delivered, the node that takes over delivers the rest
      if (this.closed) return;
      this.pending = this.pending.filter((p) => p !== b);
      await this.persist();
      this.forget(filesOf(b));
      this.report({ status: batch.status, delivered });
    } catch (err) {
      if (!this.closed) this.hooks.warn(`batch ${b.id}: its results could not be read (${(err as Error).message})`);
    }
  }

  /** Delivers every line of the output and error files, then a failure for each request that has none. */
  private async collect(b: PendingBatch, batch: Batch): Promise<{ images: number; failed: number }> {
    const client = this.hooks.client();
    if (!client) throw new Error("no config node");
    // what an earlier node delivered before it closed is not delivered again
    const seen = new Set<string>(b.delivered);
    this.collecting.set(b, seen);
    let images = 0;
    let failed = 0;
    try {
      for (const fileId of [batch.output_file_id, batch.error_file_id]) {
        if (!fileId) continue;
        // each line is delivered and let go before the next is read (its images belong to the message then)
        await readFileLines(
          client,
          fileId,
          (line) => {
            const entry = b.entries[line.customId];
            if (!entry || seen.has(line.customId) || this.closed) return;
            seen.add(line.customId);
            const outcome = this.outcomeOf(line, batch, client);
            if ("result" in outcome) images += outcome.result.images.length;
            else failed++;
            this.hooks.deliver(entry, outcome, { id: b.id, customId: line.customId });
          },
          this.aborter.signal,
        );
      }
      for (const [customId, entry] of Object.entries(b.entries)) {
        if (seen.has(customId) || this.closed) continue;
        failed++;
        this.hooks.deliver(entry, { error: unfinished(batch) }, { id: b.id, customId });
      }
    } finally {
      this.collecting.delete(b);
    }
    return { images, failed };
  }

  private outcomeOf(line: BatchLine, batch: Batch, client: ImagesClient): BatchOutcome {
    const details = { statusCode: line.statusCode, requestId: line.requestId, attempts: 1, retryable: false };
    if (line.error) {
      const code: ErrorCode =
        line.error.code === "batch_expired" || batch.status === "expired"
          ? "batch_expired"
          : line.error.code === "batch_cancelled" || batch.status === "cancelled"
            ? "batch_cancelled"
            : "api_error";
      return {
        error: new ImagesApiError(
          code,
          `the request was not run in batch ${batch.id}: ${line.error.message ?? line.error.code ?? "no reason given"}`,
          details,
        ),
      };
    }
    const status = line.statusCode ?? 0;
    try {
      if (status < 200 || status >= 300) throw httpError(status, readErrorBody(line.body), details, client.redact);
      return { result: imagesFromBody(line.body, status, details, client.redact) };
    } catch (err) {
      return { error: isImagesApiError(err) ? err : new ImagesApiError("api_error", String(err), details) };
    }
  }

  /**
   * Deletes uploaded images that no batch needs any more, in the background; a failure only warns (the
   * files stay in the account's storage, where the user can delete them).
   */
  forget(files: string[], client = this.hooks.client() ?? this.lastClient): Promise<void> {
    if (!files.length || !client) return Promise.resolve();
    const run = (async () => {
      for (const id of files) {
        await deleteFile(client, id).catch((err) =>
          this.hooks.warn(`uploaded image ${id} could not be deleted: ${(err as Error).message}`),
        );
      }
    })();
    this.forgetting = this.forgetting.then(() => run);
    return run;
  }

  /** Uploads nothing needs any more: kept for the cleanup of a removed node while it runs, else forgotten. */
  release(files: string[]): void {
    if (this.leftFiles) this.leftFiles.push(...files);
    else void this.forget(files);
  }

  private report(p: Partial<BatchProgress>): void {
    if (!this.closed) this.hooks.progress({ queued: this.queue.length, ...p });
  }

  private persist(): Promise<void> {
    const snapshot = this.pending.map((p) => ({ ...p }));
    this.saving = this.saving
      .then(() => this.hooks.store.save(snapshot))
      .catch((err) => this.hooks.warn(`pending batches could not be saved: ${(err as Error).message}`));
    return this.saving;
  }

  /**
   * The node stops. On a stop or redeploy (and a removal with "keep") what is queued is sent first, polling
   * stops and the store is kept for the next start. Removed with "cancel", see remove(). `inFlight`: the
   * messages still being checked, which may enqueue.
   */
  async close(removed: boolean, onRemove: OnRemove, inFlight: Promise<unknown> = Promise.resolve()): Promise<void> {
    if (removed && onRemove === "cancel") return this.remove(inFlight);
    // taken now: the config node may close its client at the same time as this node
    const client = this.hooks.client() ?? this.lastClient;
    await inFlight;
    if (this.queue.length && client) this.closingClient = new ImagesClient(client.options);
    try {
      await this.submit();
    } finally {
      await this.closingClient?.close();
      this.closingClient = undefined;
    }
    await this.stop(client);
    if (removed) {
      for (const b of this.pending) {
        if (b.status && FINAL_STATUSES.has(b.status)) continue;
        this.hooks.warn(
          `batch ${b.id} keeps running (the node was removed with "keep them running"): its results can no longer be received by this node; ` +
            `they stay in your account: see the Batches page of your provider's dashboard, or GET /v1/batches/${b.id} (output_file_id)`,
        );
      }
    }
    await this.saving;
    await this.forgetting;
  }

  private async stop(client: ImagesClient | undefined): Promise<void> {
    this.closed = true;
    this.aborter.abort();
    // results half delivered: the pending batch is saved with the custom ids delivered, so that the node that
    // takes over (after a redeploy or a restart) delivers only the rest, each result once
    if (this.collecting.size) {
      for (const [b, seen] of this.collecting) b.delivered = [...seen];
      await this.persist();
    }
    if (client) for (const b of this.pending) pollerFor(client, this.o.poll).unwatch(b.id);
  }

  /**
   * The node was removed: nobody can receive its results any more. The queue is not sent (each queued message
   * ends with `aborted`), then batch-removal cancels the pending batches and deletes the uploads, within
   * `removalMs`.
   */
  private async remove(inFlight: Promise<unknown>): Promise<void> {
    // taken now: the config node may close its client at the same time as this node
    const client = this.hooks.client() ?? this.lastClient;
    const budgetMs = this.o.removalMs ?? REMOVAL_BUDGET_MS;
    const deadline = AbortSignal.timeout(budgetMs);
    this.dropping = true;
    const left: string[] = (this.leftFiles = []);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const dropped = this.queue;
    this.queue = [];
    for (const q of dropped) {
      left.push(...(q.entry.files ?? []));
      q.done(notSent());
    }
    await this.stop(client);
    if (!(await settledWithin(Promise.all([inFlight, this.submitting]), deadline))) {
      this.hooks.warn(
        "a batch was still being created when the node was removed; if it was created, it keeps running: check the Batches page of your provider's dashboard",
      );
    }
    this.leftFiles = undefined;
    const batches = this.pending;
    this.pending = [];
    await cleanUpRemoved({
      client,
      batches,
      files: left,
      dropped: dropped.length,
      deadline,
      budgetMs,
      warn: this.hooks.warn,
      log: this.hooks.log,
    });
    await this.hooks.store.save([]).catch(() => undefined);
    await this.saving;
    await this.forgetting;
  }
}

/** The end of a queued message whose node was removed before its batch went out. */
function notSent(): ImagesApiError {
  return new ImagesApiError("aborted", "the node was removed before this request went out in a batch: it was not sent (nothing billed)");
}

function filesOf(b: PendingBatch): string[] {
  return Object.values(b.entries).flatMap((e) => e.files ?? []);
}

function unfinished(batch: Batch): ImagesApiError {
  if (batch.status === "expired")
    return new ImagesApiError("batch_expired", `batch ${batch.id} expired (24 h) before this request was run`);
  if (batch.status === "cancelled")
    return new ImagesApiError("batch_cancelled", `batch ${batch.id} was cancelled before this request was run`);
  const why = batch.errors?.data?.map((e) => `${e.line ? `line ${e.line}: ` : ""}${e.message ?? e.code}`).join("; ");
  return new ImagesApiError("api_error", `batch ${batch.id} ${batch.status}${why ? `: ${why}` : ""}`);
}
