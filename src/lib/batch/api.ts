/**
 * OpenAI's Files and Batch APIs, as the batch delivery of the image nodes uses them: upload a JSONL input
 * file, create a batch for an Images endpoint, poll it, cancel it, read its output and error files.
 * A server without these APIs (many gateways) answers 404 or 405: that is `batch_unsupported`.
 */
import type { Readable } from "node:stream";
import type { ImagesClient, RestAnswer, RestRequest } from "../http/client";
import { ImagesApiError, isImagesApiError } from "../errors";
import type { Operation } from "../models/table";
import { encodeForm } from "../check/multipart";
import { readBatchLines, type BatchLine } from "./output-file";
import { releaseChunk } from "../answer/release-chunk";

export type BatchStatus = "validating" | "failed" | "in_progress" | "finalizing" | "completed" | "expired" | "cancelling" | "cancelled";

export interface Batch {
  id: string;
  status: BatchStatus;
  endpoint?: string;
  input_file_id?: string;
  output_file_id?: string | null;
  error_file_id?: string | null;
  request_counts?: { total: number; completed: number; failed: number };
  errors?: { data?: Array<{ code?: string; message?: string; line?: number | null }> } | null;
}

export const BATCH_ENDPOINTS: Record<Operation, string> = {
  generate: "/v1/images/generations",
  edit: "/v1/images/edits",
};

/** Statuses after which nothing changes any more. */
export const FINAL_STATUSES: ReadonlySet<BatchStatus> = new Set(["completed", "failed", "expired", "cancelled"]);

async function call(client: ImagesClient, req: RestRequest, what: string): Promise<RestAnswer> {
  try {
    return await client.rest(req);
  } catch (err) {
    const status = isImagesApiError(err) ? err.cause.statusCode : undefined;
    if (isImagesApiError(err) && (status === 404 || status === 405) && !/^(batches|files)\/[^/]+/.test(req.path)) {
      throw new ImagesApiError(
        "batch_unsupported",
        `this server has no ${what} (${req.method} ${req.path} answered ${status}): batch delivery needs OpenAI's Files and Batch APIs; use the delivery "now" with this server`,
        { ...err.cause, retryable: false },
      );
    }
    throw err;
  }
}

function batchOf(answer: RestAnswer, what: string): Batch {
  const b = answer.json as Batch | undefined;
  if (!b || typeof b.id !== "string" || typeof b.status !== "string") {
    throw new ImagesApiError("api_error", `the server answered ${what} without a batch object`, {
      statusCode: answer.status,
      requestId: answer.requestId,
    });
  }
  return b;
}

/** Uploads a file (purpose "batch" for an input file, "vision" for an edit's image); its id. */
export async function uploadFile(
  client: ImagesClient,
  file: { data: Buffer; filename: string; contentType: string },
  purpose: string,
  signal?: AbortSignal,
): Promise<string> {
  const form = encodeForm({ purpose }, [{ name: "file", filename: file.filename, contentType: file.contentType, data: file.data }]);
  const answer = await call(client, { method: "POST", path: "files", body: { kind: "multipart", ...form }, signal }, "Files API");
  const id = (answer.json as { id?: unknown } | undefined)?.id;
  if (typeof id !== "string")
    throw new ImagesApiError("api_error", "the server answered the file upload without a file id", { statusCode: answer.status });
  return id;
}

export async function createBatch(
  client: ImagesClient,
  inputFileId: string,
  op: Operation,
  metadata: Record<string, string>,
  signal?: AbortSignal,
): Promise<Batch> {
  const data = { input_file_id: inputFileId, endpoint: BATCH_ENDPOINTS[op], completion_window: "24h", metadata };
  return batchOf(
    await call(client, { method: "POST", path: "batches", body: { kind: "json", data }, signal }, "Batch API"),
    "the batch creation",
  );
}

export async function getBatch(
  client: ImagesClient,
  id: string,
  signal?: AbortSignal,
  onRetryWait?: RestRequest["onRetryWait"],
): Promise<Batch> {
  return batchOf(
    await call(client, { method: "GET", path: `batches/${encodeURIComponent(id)}`, signal, onRetryWait }, "Batch API"),
    "a batch status request",
  );
}

export async function cancelBatch(client: ImagesClient, id: string, signal?: AbortSignal): Promise<Batch> {
  return batchOf(
    await call(client, { method: "POST", path: `batches/${encodeURIComponent(id)}/cancel`, signal }, "Batch API"),
    "the cancel request",
  );
}

/** Deletes a file (an edit's uploaded image once its batch is over). */
export async function deleteFile(client: ImagesClient, id: string, signal?: AbortSignal): Promise<void> {
  await call(client, { method: "DELETE", path: `files/${encodeURIComponent(id)}`, signal }, "Files API");
}

/** The content of a file (a batch's output or error file), unread: it can be hundreds of MB. */
export async function fileContent(client: ImagesClient, id: string, signal?: AbortSignal): Promise<Readable> {
  const answer = await call(client, { method: "GET", path: `files/${encodeURIComponent(id)}/content`, stream: true, signal }, "Files API");
  if (!answer.stream) throw new ImagesApiError("api_error", "the server answered the file download without a body");
  return answer.stream;
}

/**
 * Reads a batch's output or error file as it streams in, handing each line to `onLine` (readBatchLines),
 * each chunk's memory freed once read.
 */
export async function readFileLines(
  client: ImagesClient,
  id: string,
  onLine: (line: BatchLine) => void,
  signal?: AbortSignal,
): Promise<void> {
  await readBatchLines(await fileContent(client, id, signal), onLine, { chunkDone: releaseChunk });
}
