/**
 * Pending batches handed from a node that stops (a redeploy, "stop flows") to the node that takes its place in
 * the same process. Node-RED deletes a node's context when the node closes unless settings.js configures a
 * context store, so without this a plain redeploy would forget every pending batch of a default install.
 * Module state: one copy of dist/lib serves every node file (test/tooling/package.spec.ts checks it on the tarball).
 */
import type { PendingBatch } from "./delivery";

const handed = new Map<string, PendingBatch[]>();

/** Keeps a closing node's pending batches for the node with the same id. */
export function handOver(nodeId: string, batches: PendingBatch[]): void {
  if (batches.length) handed.set(nodeId, batches);
  else handed.delete(nodeId);
}

/** The pending batches the previous node with this id handed over (once), or undefined. */
export function takeOver(nodeId: string): PendingBatch[] | undefined {
  const batches = handed.get(nodeId);
  handed.delete(nodeId);
  return batches;
}
