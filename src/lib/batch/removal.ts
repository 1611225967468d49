/**
 * The cleanup after a batch node was removed (nobody can receive its results any more): its pending batches
 * cancelled and the files it uploaded deleted, within a time budget. Failures and what is left for lack of time
 * only warn, naming what the user has to cancel or delete by hand; one log line says what was done.
 */
import { cancelBatch, deleteFile, FINAL_STATUSES } from "./api";
import type { PendingBatch } from "./delivery";
import { ImagesClient } from "../http/client";

/** What a removed node may spend on cancelling and deleting: well within Node-RED's 15 s close timeout. */
export const REMOVAL_BUDGET_MS = 10_000;

export interface Cleanup {
  /** the config node's client, taken when the node began to close (undefined: no config node) */
  client: ImagesClient | undefined;
  batches: PendingBatch[];
  /** uploads no batch holds: the edit images of requests never sent */
  files: string[];
  /** how many queued requests were not sent */
  dropped: number;
  /** aborts when the budget is spent */
  deadline: AbortSignal;
  budgetMs: number;
  warn: (text: string) => void;
  log: (text: string) => void;
}

const isOver = (b: PendingBatch): boolean => !!b.status && FINAL_STATUSES.has(b.status);

/** The files a batch's requests use: its input file and the edit images uploaded for it. */
export function uploadsOf(b: PendingBatch): string[] {
  return [...(b.inputFile ? [b.inputFile] : []), ...Object.values(b.entries).flatMap((e) => e.files ?? [])];
}

/** Cancels the batches that are not over and deletes their files and `files`; never throws. */
export async function cleanUpRemoved(c: Cleanup): Promise<void> {
  const files = [...c.files];
  const cancelled: string[] = [];
  const late: string[] = [];
  let deleted = 0;
  const open = c.batches.filter((b) => !isOver(b));
  if (!c.client) {
    late.push(...open.map((b) => `batch ${b.id}`), ...c.batches.flatMap(uploadsOf), ...files);
  } else if (c.batches.length || files.length) {
    // a client of its own, short attempts: the config node's client may be closing
    const own = new ImagesClient({ ...c.client.options, timeoutMs: Math.min(c.client.options.timeoutMs, 5000), maxRetries: 1 });
    try {
      for (const b of c.batches) {
        if (isOver(b)) {
          files.push(...uploadsOf(b));
          continue;
        }
        // a batch that is not cancelled keeps its files: its requests may still need them
        const kept = uploadsOf(b);
        try {
          if (c.deadline.aborted) throw new Error("no time left");
          const answer = await cancelBatch(own, b.id, c.deadline);
          cancelled.push(b.id);
          files.push(...kept, ...(!b.inputFile && answer.input_file_id ? [answer.input_file_id] : []));
        } catch (err) {
          if (c.deadline.aborted) late.push(`batch ${b.id}`, ...kept);
          else {
            c.warn(
              `batch ${b.id} could not be cancelled (${(err as Error).message}): it keeps running and is billed; cancel it on the Batches page of your provider's dashboard` +
                (kept.length ? `, then delete its files ${kept.join(", ")}` : ""),
            );
          }
        }
      }
      for (const id of files) {
        try {
          if (c.deadline.aborted) throw new Error("no time left");
          await deleteFile(own, id, c.deadline);
          deleted++;
        } catch (err) {
          if (c.deadline.aborted) late.push(id);
          else
            c.warn(
              `uploaded file ${id} could not be deleted (${(err as Error).message}): delete it on the Storage page of your provider's dashboard`,
            );
        }
      }
    } finally {
      await own.close();
    }
  }
  if (late.length) {
    const why = c.client ? `there was no time left (${c.budgetMs / 1000} s)` : "its config node is gone";
    c.warn(
      `the node was removed, but ${why}: ${late.join(", ")} could not be cancelled or deleted; cancel or delete them on your provider's dashboard`,
    );
  }
  if (open.length || c.dropped || deleted) {
    c.log(
      `node removed: ${cancelled.length} of ${open.length} pending batches cancelled${cancelled.length ? ` (${cancelled.join(", ")})` : ""}, ` +
        `${c.dropped} queued requests not sent, ${deleted} uploaded files deleted`,
    );
  }
}

/** Whether `p` settles before `signal` aborts. */
export function settledWithin(p: Promise<unknown>, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => resolve(false);
    signal.addEventListener("abort", onAbort, { once: true });
    const settled = () => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    };
    p.then(settled, settled);
  });
}
