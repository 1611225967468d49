/**
 * The Node-RED glue of batch delivery ("Delivery: batch" on an image node): its context store as the
 * store of pending batches, input messages checked as usual and queued, results sent as new messages,
 * per-request failures to Catch, and the status. The batch logic itself is src/lib/batch/delivery.ts.
 */
import { numberSetting } from "../../lib/util/plain";
import { randomBytes } from "node:crypto";
import type { Node, NodeAPI } from "node-red";
import { handOver, takeOver } from "../../lib/batch/handover";
import {
  BatchDelivery,
  saveMessage,
  type BatchProgress,
  type BatchStore,
  type OnRemove,
  type PendingBatch,
} from "../../lib/batch/delivery";
import { uploadFile } from "../../lib/batch/api";
import { BATCH_LIMITS, requestLine, type UploadImage } from "../../lib/batch/lines";
import { DEFAULT_POLL } from "../../lib/batch/poller";
import { ImagesApiError, isImagesApiError } from "../../lib/errors";
import type { NodeStatus, Translate } from "../../lib/flow/job-tracker";
import type { Operation } from "../../lib/models/table";
import { buildMessages, type MessageTools, type OutputOptions } from "../../lib/flow/messages";
import type { Params } from "../../lib/check/params";
import type { ConfigNode } from "../../lib/flow/config-node";
import { resultCost } from "../../lib/cost/price";
import { reserve } from "../../lib/cost/spend";

const STORE_KEY = "images-api-batches";

export interface BatchDef {
  delivery?: string;
  batchSize?: string | number;
  batchWait?: string | number;
  batchStore?: string;
  /** "cancel" (default) or "keep"; replaces batchCancelOnRemove, which is ignored (true and false both cancel) */
  batchOnRemove?: string;
}

export interface BatchNodeDeps {
  RED: NodeAPI;
  node: Node;
  op: Operation;
  def: BatchDef;
  config: () => ConfigNode | null;
  output: OutputOptions;
  tools: MessageTools;
  t: Translate;
  /** checks the message as the "now" delivery does; the JSON body of its batch line (uploading large edit images) */
  prepare: (
    msg: Record<string, unknown>,
    upload: UploadImage,
  ) => Promise<{ body: Params; model: string; replaced?: string; inputs?: Array<{ width: number; height: number }> }>;
}

/** Whether Node-RED keeps a context store on disk (or elsewhere) across restarts; memory is lost. */
export function persistentStore(settings: unknown, name: string | undefined): boolean {
  const stores = (settings as { contextStorage?: Record<string, unknown> } | undefined)?.contextStorage;
  if (!stores) return false;
  let store: unknown = stores[name || "default"];
  if (typeof store === "string") store = stores[store];
  if (!store && !name) store = stores[Object.keys(stores)[0]];
  const module = (store as { module?: unknown } | undefined)?.module;
  return typeof module === "string" ? module !== "memory" : typeof module === "object" && module !== null;
}

export function isBatchDelivery(def: BatchDef): boolean {
  return def.delivery === "batch";
}

/** What removing the node does with its batches: "keep" only when chosen (nobody can receive the results). */
export function onRemoveOf(def: BatchDef): OnRemove {
  return def.batchOnRemove === "keep" ? "keep" : "cancel";
}

export function attachBatchDelivery(d: BatchNodeDeps): {
  handle: (msg: Record<string, unknown>, done: (err?: Error) => void) => void;
  close: (removed: boolean) => Promise<void>;
} {
  const { RED, node, def, t } = d;
  const storeName = def.batchStore?.trim() || undefined;
  const context = node.context();
  /** what the store holds now: handed over to the node that takes this one's place (see batch-handover) */
  let current: PendingBatch[] = [];
  const store: BatchStore = {
    load: async () => {
      const handed = takeOver(node.id);
      if (handed) {
        // saved again: after a redeploy without a configured context store, Node-RED has deleted it
        await store.save(handed);
        return handed;
      }
      current = await new Promise<PendingBatch[]>((resolve, reject) =>
        context.get(STORE_KEY, storeName as string, (err: Error | null | undefined, value: unknown) =>
          err ? reject(err) : resolve(Array.isArray(value) ? (value as PendingBatch[]) : []),
        ),
      );
      return current;
    },
    save: (batches) => {
      current = batches;
      return new Promise((resolve, reject) =>
        context.set(STORE_KEY, batches.length ? batches : undefined, storeName as string, (err?: Error | null) =>
          err ? reject(err) : resolve(),
        ),
      );
    },
  };
  const config = d.config();
  const schedule = {
    firstMs: numberSetting(config?.batchPollSeconds, DEFAULT_POLL.firstMs / 1000, Number.MIN_VALUE) * 1000,
    maxMs: numberSetting(config?.batchPollMaxSeconds, DEFAULT_POLL.maxMs / 1000, Number.MIN_VALUE) * 1000,
  };
  const delivery = new BatchDelivery(
    {
      op: d.op,
      size: Math.min(BATCH_LIMITS.maxLines, Math.floor(numberSetting(def.batchSize, 100, Number.MIN_VALUE))),
      waitMs: numberSetting(def.batchWait, 60, Number.MIN_VALUE) * 1000,
      poll: schedule,
      metadata: { source: "node-red-contrib-images-api", node: node.id },
    },
    {
      client: () => d.config()?.client,
      store,
      warn: (text) => node.warn(text),
      log: (text) => node.log(text),
      progress: (p) => node.status(statusOf(p, t)),
      deliver: (entry, outcome, where) => {
        const msg: Record<string, unknown> = { ...entry.msg, _msgid: RED.util.generateId(), batch: where };
        if ("error" in outcome) {
          if (outcome.error.cause.statusCode !== undefined) msg.statusCode = outcome.error.cause.statusCode;
          node.error(outcome.error, msg as never);
          return;
        }
        const { result } = outcome;
        const priced = { model: entry.model, params: entry.price ?? {}, batch: true };
        const cost = resultCost(priced, { usage: result.usage, svgUsage: result.svgUsage, images: result.images.length }, d.config() ?? {});
        const msgs = buildMessages(msg, result, d.output, d.tools, { model: entry.model, replaced: entry.replaced, cost });
        node.send((msgs.length === 1 ? msgs[0] : [msgs]) as never);
      },
    },
  );
  if (!persistentStore(RED.settings, storeName)) node.warn(t("warn.batchMemoryStore", { store: storeName ?? "default" }));
  delivery.resume().catch((err) => node.warn(`pending batches could not be read from the context store: ${(err as Error).message}`));

  // messages are handled in the order they arrive: a "submit" sends everything that came before it
  let chain: Promise<void> = Promise.resolve();
  const handleOne = async (msg: Record<string, unknown>, done: (err?: Error) => void): Promise<void> => {
    /** ids of this message's uploaded images */
    const files: string[] = [];
    try {
      if (msg.batch === "submit") {
        await delivery.submit();
        done();
        return;
      }
      const server = d.config();
      if (server?.configError) throw server.configError;
      if (!server?.client) throw new ImagesApiError("no_config", t("errors.noConfig"));
      const client = server.client;
      const upload: UploadImage = async (file, where) => {
        const id = await uploadFile(client, { data: file.data, filename: file.filename, contentType: file.info.mime }, "vision").catch(
          (err: unknown) => {
            throw isImagesApiError(err)
              ? new ImagesApiError(err.code, `${where} could not be uploaded for the batch: ${err.message}`, err.cause)
              : err;
          },
        );
        files.push(id);
        return id;
      };
      const { body, model, replaced, inputs } = await d.prepare(msg, upload);
      // a batch line is answered whole: no streaming
      delete body.stream;
      delete body.partial_images;
      // what prices its result when the answer has no usage (JSON-safe: it is kept with the pending batch)
      const price = { size: body.size, quality: body.quality, n: body.n };
      // a budget counts a batch request at its worst case (at half price) when it is queued: its result may come a day later
      reserve(server, { model, params: { ...price, prompt: body.prompt }, inputs, batch: true })?.settle(undefined);
      const line = requestLine(`req-${randomBytes(9).toString("hex")}`, d.op, body);
      delivery.enqueue(line, { msg: saveMessage(msg), model, replaced, price, ...(files.length ? { files } : {}) }, (err) =>
        err ? done(err) : done(),
      );
    } catch (err) {
      delivery.release(files);
      done(isImagesApiError(err) ? err : new ImagesApiError("api_error", err instanceof Error ? err.message : String(err)));
    }
  };

  return {
    handle(msg, done) {
      chain = chain.then(() => handleOne(msg, done));
    },
    close: async (removed) => {
      await delivery.close(removed, onRemoveOf(def), chain);
      // a node that stops but stays (a redeploy) hands its pending batches to the next one
      if (!removed) handOver(node.id, current);
    },
  };
}

function statusOf(p: BatchProgress, t: Translate): NodeStatus {
  if (p.delivered) {
    return {
      fill: p.delivered.failed ? "yellow" : "green",
      shape: "dot",
      text: t("status.batchDone", { images: p.delivered.images, failed: p.delivered.failed }),
    };
  }
  // in_progress, finalizing, and a finished batch whose results are still being read (not "0 queued")
  if (p.status && p.status !== "validating" && p.status !== "submitting") {
    return {
      fill: "blue",
      shape: "dot",
      text: t("status.batchInProgress", { done: (p.completed ?? 0) + (p.failed ?? 0), total: p.total ?? "?" }),
    };
  }
  if (p.status === "validating" || p.status === "submitting")
    return { fill: "blue", shape: "ring", text: t(`status.batch${p.status === "validating" ? "Validating" : "Submitting"}`) };
  return { fill: "yellow", shape: "ring", text: t("status.batchQueued", { count: p.queued }) };
}
