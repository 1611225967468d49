/**
 * OpenAI's Files and Batch APIs for the local test server (ImagesApiServer routes /v1/files… and /v1/batches…
 * here, as `server.batch`), so that the "batch delivery" of the image nodes can be tested over real HTTP.
 *
 *   POST   /v1/files                  multipart: purpose, file          → File object
 *   GET    /v1/files                  list
 *   GET    /v1/files/{id}             File object
 *   GET    /v1/files/{id}/content     the bytes, streamed in chunks (application/jsonl for .jsonl files)
 *   DELETE /v1/files/{id}
 *   POST   /v1/batches                JSON {input_file_id, endpoint, completion_window:"24h", metadata?} → Batch
 *   GET    /v1/batches                list (newest first; limit, after)
 *   GET    /v1/batches/{id}           Batch: every GET is a "poll" that moves the batch on (see BatchPace)
 *   POST   /v1/batches/{id}/cancel    → "cancelling", then "cancelled"
 *
 * No timers: a batch only moves when it is polled (or by setStatus / completeAll). Each request line is
 * answered by the server's own image logic (`answer`, the default answer of a direct JSON POST), lazily, as
 * request_counts grow. Output and error files list their lines shuffled (deterministic, `seed`), never in
 * input order when there are two lines or more, so clients must match results by custom_id.
 */
import { randomBytes } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { FormPart } from "./multipart";

export type BatchStatus = "validating" | "failed" | "in_progress" | "finalizing" | "completed" | "expired" | "cancelling" | "cancelled";
export type ImageOperation = "generations" | "edits";

/** What the server answers a direct JSON POST /v1/images/{op} with this body. */
export type ImageAnswer = (op: ImageOperation, body: unknown) => { status: number; contentType: string; body: Buffer; chunks?: Buffer[] };

/** The part of a recorded request BatchApi reads (ImagesApiServer's RecordedRequest has it). */
export interface BatchRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  json?: unknown;
  form?: FormPart[];
}

/** What BatchApi answers; the server sends it (as chunks, without content-length, when `chunks` is set). */
export interface BatchReply {
  status: number;
  contentType: string;
  body: Buffer;
  chunks?: Buffer[];
  /** a pause before each chunk after the first */
  gapMs?: number;
  headers?: Record<string, string>;
}

/**
 * How many GETs of a batch answer each status. The n-th GET moves the batch on as far as the counts say,
 * then answers: with the defaults (1, 2, 1) GET 1 answers validating, GETs 2–3 in_progress (request_counts
 * at 1/3 and 2/3 of the lines), GET 4 finalizing (all counted), GET 5 and later completed.
 * 0 skips a status (validatingPolls 0: the first GET already answers in_progress; the create answer is
 * always "validating"). A batch with line errors answers failed where it would have gone in_progress.
 */
export interface BatchPace {
  validatingPolls: number;
  inProgressPolls: number;
  finalizingPolls: number;
  /** GETs answering "cancelling" after a cancel (default 0: the cancel answers cancelling, the next GET cancelled) */
  cancellingPolls: number;
  /**
   * null = never. n: a batch not finished after n GETs answers "expired" at GET n+1: the lines done so far
   * are in its output/error file, the rest error lines with error.code "batch_expired".
   */
  expireAfterPolls: number | null;
}

export const DEFAULT_PACE: Readonly<BatchPace> = Object.freeze({
  validatingPolls: 1,
  inProgressPolls: 2,
  finalizingPolls: 1,
  cancellingPolls: 0,
  expireAfterPolls: null,
});

export const FILE_PURPOSES = ["assistants", "batch", "fine-tune", "vision", "user_data", "evals"] as const;
export const BATCH_ENDPOINTS = ["/v1/images/generations", "/v1/images/edits"] as const;
const IMAGE_FILE_PURPOSES = ["vision", "user_data"];
const TERMINAL: ReadonlySet<BatchStatus> = new Set(["completed", "failed", "expired", "cancelled"]);
const DAY_SECONDS = 24 * 60 * 60;

export const EXPIRED_ERROR = Object.freeze({
  code: "batch_expired",
  message: "This request could not be executed before the completion window expired.",
});
export const CANCELLED_ERROR = Object.freeze({
  code: "batch_cancelled",
  message: "This request was not executed because the batch was cancelled.",
});

/** A file held by the Files API: an upload, or a batch's output/error file. */
export interface StoredBatchFile {
  id: string;
  filename: string;
  purpose: string;
  created_at: number;
  /** the content */
  data: Buffer;
  /** the part's content type at upload (undefined for output files) */
  contentType?: string;
  /** purpose "batch" and batch_output: each line parsed (undefined for a line that is not JSON); blank lines at the end left out */
  lines?: unknown[];
}

/** A request line of a batch's input file, once validated. */
export interface BatchRequestLine {
  /** 1-based line number in the input file */
  line: number;
  custom_id: string;
  body: unknown;
}

/** How a request line ended. */
export interface BatchResult {
  /** batch_req_… */
  id: string;
  custom_id: string;
  /** null for a request never executed (expired, cancelled) */
  response: { status_code: number; request_id: string; body: unknown } | null;
  error: { code: string; message: string } | null;
}

export interface BatchLineError {
  code: string;
  message: string;
  param: string | null;
  line: number | null;
}

/** One batch, as the server keeps it. `BatchApi.json(id)` gives the API's Batch object. */
export interface BatchRecord {
  id: string;
  endpoint: string;
  input_file_id: string;
  metadata: Record<string, string> | null;
  status: BatchStatus;
  created_at: number;
  in_progress_at: number | null;
  finalizing_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  output_file_id: string | null;
  error_file_id: string | null;
  /** the line errors found when the batch was created (non-empty: the batch fails instead of running) */
  lineErrors: BatchLineError[];
  /** the request lines (those that passed the checks), in input order */
  requests: BatchRequestLine[];
  /** request_counts.total: the lines of the input file */
  total: number;
  /** results of executed lines, in execution (input) order */
  results: BatchResult[];
  /** GETs answered with the batch (throttled ones not included) */
  polls: number;
  /** GETs answered 429 by throttlePolls */
  throttled: number;
  /** POST …/cancel requests accepted */
  cancels: number;
  /** GETs answered in the current status (drives BatchPace) */
  seen: number;
  /** order of creation, for the shuffle seed */
  index: number;
}

const now = () => Math.floor(Date.now() / 1000);
const hex = (bytes: number) => randomBytes(bytes).toString("hex");
const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

function errorJson(
  message: string,
  param: string | null = null,
  code: string | null = null,
  type: string | null = "invalid_request_error",
) {
  return { error: { message, type, param, code } };
}
function jsonReply(status: number, value: unknown, headers?: Record<string, string>): BatchReply {
  return { status, contentType: "application/json", body: Buffer.from(JSON.stringify(value)), headers };
}
function fail(
  status: number,
  message: string,
  param: string | null = null,
  code: string | null = null,
  type: string | null = "invalid_request_error",
): BatchReply {
  return jsonReply(status, errorJson(message, param, code, type));
}
const oneOf = (values: readonly string[]) =>
  values.length < 3
    ? values.map((v) => `'${v}'`).join(" and ")
    : `${values
        .slice(0, -1)
        .map((v) => `'${v}'`)
        .join(", ")}, and '${values[values.length - 1]}'`;

/** mulberry32: a small deterministic PRNG */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits JSONL into lines (blank lines at the end, e.g. after the final "\n", left out; "\r\n" accepted). */
function splitLines(data: Buffer): string[] {
  const lines = data
    .toString("utf8")
    .split("\n")
    .map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  while (lines.length && lines[lines.length - 1].trim() === "") lines.pop();
  return lines;
}

function parseLine(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** image/png, image/jpeg, image/webp, image/gif from the bytes; else the upload's content type */
function sniffMime(data: Buffer, declared: string | undefined): string {
  if (data.length >= 8 && data.readUInt32BE(0) === 0x89504e47) return "image/png";
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return "image/jpeg";
  if (data.length >= 12 && data.toString("latin1", 0, 4) === "RIFF" && data.toString("latin1", 8, 12) === "WEBP") return "image/webp";
  if (data.length >= 6 && /^GIF8[79]a$/.test(data.toString("latin1", 0, 6))) return "image/gif";
  return (declared ?? "application/octet-stream").split(";")[0].trim().toLowerCase() || "application/octet-stream";
}

export class BatchApi {
  /** how batches move on when polled (live: read at every GET); reset() restores DEFAULT_PACE */
  pace: BatchPace = { ...DEFAULT_PACE };
  /** every /v1/files… and /v1/batches… request answers 404 "Invalid URL (…)", like a gateway without these APIs */
  unsupported = false;
  /** POST /v1/batches answers 400 with this message (e.g. a spending limit), nothing created */
  refuseCreate: string | undefined = undefined;
  /** the next n GET /v1/batches/{id} answer 429 (rate_limit_exceeded, retry-after-ms / retry-after); counts down */
  throttlePolls = 0;
  /** retry-after-ms of those 429s (retry-after: the whole seconds, rounded up) */
  throttleRetryAfterMs = 50;
  /** line order of output and error files: "shuffle" (default; seeded, never the input order for ≥ 2 lines) or "input" */
  outputOrder: "shuffle" | "input" = "shuffle";
  /** seed of the shuffle (batch k of the run uses seed + k) */
  seed = 1;
  /** requests per batch input file (more: the batch fails with too_many_tasks) */
  maxRequests = 50_000;
  /** size of the chunks GET /v1/files/{id}/content is written in */
  contentChunkBytes = 64 * 1024;
  /** write each line of a .jsonl file as a chunk of its own instead */
  contentChunkLines = false;
  /** a pause before each of those chunks after the first (a slow download) */
  contentGapMs = 0;
  /** GET /v1/files/{id}/content requests, in order (file ids) */
  contentReads: string[] = [];
  /** a server that hangs on cleanup: DELETE /v1/files/{id} and POST /v1/batches/{id}/cancel send their headers, then stall this long mid-body (nothing recorded) */
  stallCleanupMs = 0;
  /** DELETE /v1/files/{id} and POST /v1/batches/{id}/cancel requests, in order, whatever their answer ("DELETE file-…", "CANCEL batch_…") */
  cleanupRequests: string[] = [];

  /** every file by id: uploads and output/error files */
  readonly files = new Map<string, StoredBatchFile>();
  /** every batch by id, in creation order */
  readonly batches = new Map<string, BatchRecord>();
  /** the uploaded files, in upload order (output files not included) */
  uploads: StoredBatchFile[] = [];
  /** ids of the files deleted through DELETE /v1/files/{id} */
  deletedFiles: string[] = [];
  /** batch ids, one per accepted cancel request, in order */
  cancels: string[] = [];
  /** how many polls throttlePolls answered with 429 */
  throttled = 0;

  private created = 0;

  constructor(private readonly answer: ImageAnswer) {}

  /** True for the paths this API serves (/v1/files, /v1/files/…, /v1/batches, /v1/batches/…). */
  handles(path: string): boolean {
    return /^\/v1\/(files|batches)(\/|$)/.test(path);
  }

  reset(): void {
    this.pace = { ...DEFAULT_PACE };
    this.unsupported = false;
    this.refuseCreate = undefined;
    this.throttlePolls = 0;
    this.throttleRetryAfterMs = 50;
    this.outputOrder = "shuffle";
    this.seed = 1;
    this.maxRequests = 50_000;
    this.contentChunkBytes = 64 * 1024;
    this.contentChunkLines = false;
    this.contentGapMs = 0;
    this.contentReads = [];
    this.stallCleanupMs = 0;
    this.cleanupRequests = [];
    this.files.clear();
    this.batches.clear();
    this.uploads = [];
    this.deletedFiles = [];
    this.cancels = [];
    this.throttled = 0;
    this.created = 0;
  }

  // ------------------------------------------------------------- for tests

  /** The batch record (throws for an unknown id). */
  get(id: string): BatchRecord {
    const b = this.batches.get(id);
    if (!b) throw new Error(`no batch ${id}`);
    return b;
  }

  /** The Batch object as GET /v1/batches/{id} would show it now (without polling). */
  json(id: string): Record<string, unknown> {
    return this.toJSON(this.get(id));
  }

  /** How many times the batch was polled (GETs answered with it; throttled GETs not counted). */
  polls(id: string): number {
    return this.get(id).polls;
  }

  /** The last created batch. */
  last(): BatchRecord | undefined {
    return [...this.batches.values()].pop();
  }

  /** The parsed lines of a file (its `lines`, or the content split and parsed). */
  lines(fileId: string): unknown[] {
    const f = this.files.get(fileId);
    if (!f) throw new Error(`no file ${fileId}`);
    return f.lines ?? splitLines(f.data).map(parseLine);
  }

  /** The parsed lines of a batch's output and error files ([] when it has none yet). */
  output(batchId: string): { output: BatchResult[]; errors: BatchResult[] } {
    const b = this.get(batchId);
    return {
      output: b.output_file_id ? (this.lines(b.output_file_id) as BatchResult[]) : [],
      errors: b.error_file_id ? (this.lines(b.error_file_id) as BatchResult[]) : [],
    };
  }

  /**
   * Forces a batch to a status, as if it had got there: in_progress/finalizing/completed execute the lines
   * up to there; completed, expired and cancelled write the output/error files; failed keeps the line errors.
   * Does not count as a poll; the pace then goes on from the new status.
   */
  setStatus(id: string, status: BatchStatus): void {
    const b = this.get(id);
    b.seen = 0;
    if (TERMINAL.has(b.status)) {
      // out of a final status: the lines never executed run again, the files are written anew
      b.results = b.results.filter((r) => r.response !== null);
      b.output_file_id = null;
      b.error_file_id = null;
    }
    switch (status) {
      case "validating":
        b.status = "validating";
        break;
      case "in_progress":
        this.enter(b, "in_progress");
        break;
      case "finalizing":
        this.enter(b, "finalizing");
        break;
      case "completed":
        this.enter(b, "completed");
        break;
      case "failed":
        b.status = "failed";
        b.failed_at = now();
        break;
      case "expired":
        this.enter(b, "expired");
        break;
      case "cancelling":
        b.status = "cancelling";
        b.cancelling_at = now();
        break;
      case "cancelled":
        this.enter(b, "cancelled");
        break;
      default:
        throw new Error(`unknown batch status ${String(status)}`);
    }
  }

  /** Ends every unfinished batch now: completed (all lines executed), failed (line errors), or cancelled (cancelling). */
  completeAll(): void {
    for (const b of this.batches.values()) {
      if (TERMINAL.has(b.status)) continue;
      b.seen = 0;
      if (b.status === "cancelling") this.enter(b, "cancelled");
      else if (b.lineErrors.length) this.enter(b, "failed");
      else this.enter(b, "completed");
    }
  }

  // ------------------------------------------------------------- routing

  /** Answers a request to one of the paths `handles` accepts; `authorized`: the server's API key check passed. */
  handle(req: BatchRequest, authorized: boolean): BatchReply {
    const invalidUrl = () => fail(404, `Invalid URL (${req.method} ${req.path})`);
    if (this.unsupported) return invalidUrl();
    if (!authorized) return fail(401, "Incorrect API key provided: sk-****", null, "invalid_api_key");
    const { method, path } = req;
    let m: RegExpExecArray | null;
    if (path === "/v1/files") {
      if (method === "POST") return this.upload(req);
      if (method === "GET") return this.listFiles(req);
    } else if ((m = /^\/v1\/files\/([^/]+)$/.exec(path))) {
      if (method === "GET") return this.fileObject(decodeURIComponent(m[1]));
      const id = decodeURIComponent(m[1]);
      if (method === "DELETE") return this.cleanup(`DELETE ${id}`, () => this.deleteFile(id));
    } else if ((m = /^\/v1\/files\/([^/]+)\/content$/.exec(path))) {
      if (method === "GET") return this.fileContent(decodeURIComponent(m[1]));
    } else if (path === "/v1/batches") {
      if (method === "POST") return this.createBatch(req);
      if (method === "GET") return this.listBatches(req);
    } else if ((m = /^\/v1\/batches\/([^/]+)$/.exec(path))) {
      if (method === "GET") return this.pollBatch(decodeURIComponent(m[1]));
    } else if ((m = /^\/v1\/batches\/([^/]+)\/cancel$/.exec(path))) {
      const id = decodeURIComponent(m[1]);
      if (method === "POST") return this.cleanup(`CANCEL ${id}`, () => this.cancelBatch(id));
    }
    return invalidUrl();
  }

  /** A cancel or a delete: recorded, and with stallCleanupMs a reply that stalls mid-body instead. */
  private cleanup(what: string, run: () => BatchReply): BatchReply {
    this.cleanupRequests.push(what);
    if (this.stallCleanupMs <= 0) return run();
    const body = Buffer.from(JSON.stringify({ stalled: what }));
    return {
      status: 200,
      contentType: "application/json",
      body,
      chunks: [body.subarray(0, 1), body.subarray(1)],
      gapMs: this.stallCleanupMs,
    };
  }

  // ------------------------------------------------------------- Files API

  private fileJSON(f: StoredBatchFile) {
    return { id: f.id, object: "file", bytes: f.data.length, created_at: f.created_at, filename: f.filename, purpose: f.purpose };
  }

  private noSuchFile(id: string): BatchReply {
    return fail(404, `No such File object: ${id}`, "id");
  }

  private upload(req: BatchRequest): BatchReply {
    const contentType = String(req.headers["content-type"] ?? "");
    if (!/^multipart\/form-data\s*(;|$)/i.test(contentType)) {
      return fail(400, `Invalid Content-Type header (${contentType || "none"}), expected multipart/form-data.`);
    }
    if (!req.form) return fail(400, "Could not parse multipart form.");
    const purposePart = req.form.find((p) => p.name === "purpose" && p.filename === undefined);
    const filePart = req.form.find((p) => p.name === "file" && p.filename !== undefined);
    if (!purposePart || purposePart.data.length === 0)
      return fail(400, "Missing required parameter: 'purpose'.", "purpose", "missing_required_parameter");
    const purpose = purposePart.data.toString("utf8");
    if (!(FILE_PURPOSES as readonly string[]).includes(purpose)) {
      return fail(400, `Invalid value: '${purpose}'. Supported values are: ${oneOf(FILE_PURPOSES)}.`, "purpose", "invalid_value");
    }
    if (!filePart) return fail(400, "Missing required parameter: 'file'.", "file", "missing_required_parameter");
    if (filePart.data.length === 0) return fail(400, "The file is empty.", "file", "invalid_value");
    const file: StoredBatchFile = {
      id: `file-${hex(12)}`,
      filename: filePart.filename ?? "file",
      purpose,
      created_at: now(),
      data: Buffer.from(filePart.data), // a copy: the part is a view on the request body
      contentType: filePart.contentType,
    };
    if (purpose === "batch") file.lines = splitLines(file.data).map(parseLine);
    this.files.set(file.id, file);
    this.uploads.push(file);
    return jsonReply(200, this.fileJSON(file));
  }

  private listFiles(req: BatchRequest): BatchReply {
    const purpose = req.query.purpose;
    const data = [...this.files.values()].filter((f) => !purpose || f.purpose === purpose).map((f) => this.fileJSON(f));
    return jsonReply(200, { object: "list", data, has_more: false });
  }

  private fileObject(id: string): BatchReply {
    const f = this.files.get(id);
    return f ? jsonReply(200, this.fileJSON(f)) : this.noSuchFile(id);
  }

  private deleteFile(id: string): BatchReply {
    if (!this.files.delete(id)) return this.noSuchFile(id);
    this.deletedFiles.push(id);
    return jsonReply(200, { id, object: "file", deleted: true });
  }

  private fileContent(id: string): BatchReply {
    const f = this.files.get(id);
    if (!f) return this.noSuchFile(id);
    this.contentReads.push(id);
    const jsonl = f.filename.endsWith(".jsonl") || f.purpose === "batch" || f.purpose === "batch_output";
    const size = Math.max(1, this.contentChunkBytes);
    const chunks: Buffer[] = [];
    if (jsonl && this.contentChunkLines) {
      for (let i = 0; i < f.data.length;) {
        const end = f.data.indexOf(0x0a, i);
        const next = end === -1 ? f.data.length : end + 1;
        chunks.push(f.data.subarray(i, next));
        i = next;
      }
    } else for (let i = 0; i < f.data.length; i += size) chunks.push(f.data.subarray(i, i + size));
    return {
      status: 200,
      contentType: jsonl ? "application/jsonl" : "application/octet-stream",
      body: f.data,
      chunks,
      gapMs: this.contentGapMs,
    };
  }

  private storeOutput(b: BatchRecord, kind: "output" | "error", results: BatchResult[]): string | null {
    if (results.length === 0) return null;
    const ordered = this.order(results, b.index * 2 + (kind === "error" ? 1 : 0));
    const file: StoredBatchFile = {
      id: `file-${hex(12)}`,
      filename: `${b.id}_${kind}.jsonl`,
      purpose: "batch_output",
      created_at: now(),
      data: Buffer.from(ordered.map((r) => `${JSON.stringify(r)}\n`).join(""), "utf8"),
    };
    file.lines = ordered.map((r) => JSON.parse(JSON.stringify(r)));
    this.files.set(file.id, file);
    return file.id;
  }

  /** the lines in output order: seeded Fisher–Yates; an identity result is rotated so that order never matches */
  private order<T>(items: T[], salt: number): T[] {
    const out = [...items];
    if (this.outputOrder === "input" || out.length < 2) return out;
    const random = prng(this.seed * 7919 + salt);
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    if (out.every((x, i) => x === items[i])) out.push(out.shift() as T);
    return out;
  }

  // ------------------------------------------------------------- Batch API

  private noSuchBatch(id: string): BatchReply {
    return fail(404, `No such Batch object: ${id}`, "id");
  }

  private toJSON(b: BatchRecord): Record<string, unknown> {
    const completed = b.results.filter((r) => r.response?.status_code === 200).length;
    return {
      id: b.id,
      object: "batch",
      endpoint: b.endpoint,
      errors: b.lineErrors.length && b.status === "failed" ? { object: "list", data: b.lineErrors } : null,
      input_file_id: b.input_file_id,
      completion_window: "24h",
      status: b.status,
      output_file_id: b.output_file_id,
      error_file_id: b.error_file_id,
      created_at: b.created_at,
      in_progress_at: b.in_progress_at,
      expires_at: b.created_at + DAY_SECONDS,
      finalizing_at: b.finalizing_at,
      completed_at: b.completed_at,
      failed_at: b.failed_at,
      expired_at: b.expired_at,
      cancelling_at: b.cancelling_at,
      cancelled_at: b.cancelled_at,
      request_counts: { total: b.total, completed, failed: b.results.length - completed },
      metadata: b.metadata,
    };
  }

  private createBatch(req: BatchRequest): BatchReply {
    if (this.refuseCreate !== undefined) return fail(400, this.refuseCreate);
    const body = req.json;
    if (!isPlainObject(body)) {
      return fail(
        400,
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
      );
    }
    for (const name of ["input_file_id", "endpoint", "completion_window"]) {
      if (body[name] === undefined || body[name] === null)
        return fail(400, `Missing required parameter: '${name}'.`, name, "missing_required_parameter");
      if (typeof body[name] !== "string") return fail(400, `Invalid type for '${name}': expected a string.`, name, "invalid_type");
    }
    const endpoint = body.endpoint as string;
    if (!(BATCH_ENDPOINTS as readonly string[]).includes(endpoint)) {
      return fail(400, `Invalid value: '${endpoint}'. Supported values are: ${oneOf(BATCH_ENDPOINTS)}.`, "endpoint", "invalid_value");
    }
    if (body.completion_window !== "24h") {
      return fail(
        400,
        `Invalid value: '${String(body.completion_window)}'. Supported values are: '24h'.`,
        "completion_window",
        "invalid_value",
      );
    }
    let metadata: Record<string, string> | null = null;
    if (body.metadata !== undefined && body.metadata !== null) {
      if (!isPlainObject(body.metadata)) return fail(400, "Invalid type for 'metadata': expected an object.", "metadata", "invalid_type");
      const entries = Object.entries(body.metadata);
      if (entries.length > 16)
        return fail(
          400,
          `Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got ${entries.length} instead.`,
          "metadata",
          "invalid_value",
        );
      for (const [k, v] of entries) {
        if (k.length > 64) return fail(400, `Invalid 'metadata': key '${k}' is longer than 64 characters.`, "metadata", "invalid_value");
        if (typeof v !== "string")
          return fail(400, `Invalid type for 'metadata.${k}': expected a string.`, `metadata.${k}`, "invalid_type");
        if (v.length > 512)
          return fail(
            400,
            `Invalid 'metadata.${k}': string too long. Expected a string with maximum length 512, but got a string with length ${v.length} instead.`,
            `metadata.${k}`,
            "string_above_max_length",
          );
      }
      metadata = Object.fromEntries(entries) as Record<string, string>;
    }
    const fileId = body.input_file_id as string;
    const file = this.files.get(fileId);
    if (!file) return fail(400, `Invalid 'input_file_id': no such File object: ${fileId}.`, "input_file_id", "invalid_value");
    if (file.purpose !== "batch") {
      return fail(
        400,
        `Invalid 'input_file_id': the file ${fileId} has purpose '${file.purpose}'; a batch input file must have purpose 'batch'.`,
        "input_file_id",
        "invalid_value",
      );
    }

    const { requests, lineErrors } = this.validate(file, endpoint);
    const b: BatchRecord = {
      id: `batch_${hex(16)}`,
      endpoint,
      input_file_id: fileId,
      metadata,
      status: "validating",
      created_at: now(),
      in_progress_at: null,
      finalizing_at: null,
      completed_at: null,
      failed_at: null,
      expired_at: null,
      cancelling_at: null,
      cancelled_at: null,
      output_file_id: null,
      error_file_id: null,
      lineErrors,
      requests,
      total: splitLines(file.data).length,
      results: [],
      polls: 0,
      throttled: 0,
      cancels: 0,
      seen: 0,
      index: this.created++,
    };
    this.batches.set(b.id, b);
    return jsonReply(200, this.toJSON(b));
  }

  /** The line checks of batch creation; a non-empty lineErrors makes the batch fail after validating. */
  private validate(file: StoredBatchFile, endpoint: string): { requests: BatchRequestLine[]; lineErrors: BatchLineError[] } {
    const texts = splitLines(file.data);
    const requests: BatchRequestLine[] = [];
    const lineErrors: BatchLineError[] = [];
    const err = (line: number | null, code: string, message: string, param: string | null = null) =>
      lineErrors.push({ code, message, param, line });
    if (texts.length === 0) err(null, "empty_file", "The batch input file is empty.");
    if (texts.length > this.maxRequests)
      err(null, "too_many_tasks", `The batch input file has ${texts.length} requests; a batch takes at most ${this.maxRequests}.`);
    const seen = new Set<string>();
    texts.forEach((text, i) => {
      const line = i + 1;
      const value = text.trim() === "" ? undefined : parseLine(text);
      if (!isPlainObject(value)) return err(line, "invalid_json_line", "This line is not parseable as valid JSON.");
      const { custom_id, method, url, body } = value;
      if (custom_id === undefined || custom_id === null)
        return err(line, "missing_required_parameter", "Missing required parameter: 'custom_id'.", "custom_id");
      if (typeof custom_id !== "string" || custom_id === "")
        return err(line, "invalid_custom_id", "The custom_id for this request must be a non-empty string.", "custom_id");
      if (seen.has(custom_id)) {
        return err(
          line,
          "duplicate_custom_id",
          "The custom_id for this request is a duplicate of another request. The custom_id parameter must be unique for each request in a batch.",
          "custom_id",
        );
      }
      seen.add(custom_id);
      if (method !== "POST")
        return err(line, "invalid_method", `The method for this request must be 'POST', got ${JSON.stringify(method ?? null)}.`, "method");
      if (url !== endpoint)
        return err(
          line,
          "invalid_url",
          `The url for this request (${JSON.stringify(url ?? null)}) does not match the batch endpoint ('${endpoint}').`,
          "url",
        );
      if (!isPlainObject(body)) return err(line, "missing_required_parameter", "Missing required parameter: 'body' (an object).", "body");
      requests.push({ line, custom_id, body });
    });
    return { requests, lineErrors };
  }

  private listBatches(req: BatchRequest): BatchReply {
    const all = [...this.batches.values()].reverse(); // newest first
    const limit = Math.max(1, Math.min(100, Number(req.query.limit) || 20));
    let start = 0;
    if (req.query.after) {
      const i = all.findIndex((b) => b.id === req.query.after);
      start = i < 0 ? all.length : i + 1;
    }
    const page = all.slice(start, start + limit);
    const data = page.map((b) => this.toJSON(b));
    return jsonReply(200, {
      object: "list",
      data,
      first_id: page[0]?.id ?? null,
      last_id: page[page.length - 1]?.id ?? null,
      has_more: start + limit < all.length,
    });
  }

  private pollBatch(id: string): BatchReply {
    const b = this.batches.get(id);
    if (this.throttlePolls > 0) {
      // a rate limiter answers before the id is looked up
      this.throttlePolls--;
      this.throttled++;
      if (b) b.throttled++;
      const ms = Math.max(0, Math.round(this.throttleRetryAfterMs));
      return jsonReply(
        429,
        errorJson(
          `Rate limit reached for batch requests per minute (RPM). Please try again in ${ms}ms.`,
          null,
          "rate_limit_exceeded",
          "requests",
        ),
        { "retry-after-ms": String(ms), "retry-after": String(Math.ceil(ms / 1000)) },
      );
    }
    if (!b) return this.noSuchBatch(id);
    this.advance(b);
    return jsonReply(200, this.toJSON(b));
  }

  private cancelBatch(id: string): BatchReply {
    const b = this.batches.get(id);
    if (!b) return this.noSuchBatch(id);
    if (TERMINAL.has(b.status)) return fail(409, `Cannot cancel a batch with status '${b.status}'.`);
    if (b.status !== "cancelling") {
      b.status = "cancelling";
      b.cancelling_at = now();
      b.seen = 0;
    }
    b.cancels++;
    this.cancels.push(id);
    return jsonReply(200, this.toJSON(b));
  }

  // ------------------------------------------------------------- progress

  /** One poll: moves on through the statuses whose GETs are used up, then counts this GET in the status. */
  private advance(b: BatchRecord): void {
    const before = b.polls++;
    if (TERMINAL.has(b.status)) return;
    const pace = this.pace;
    if (
      pace.expireAfterPolls !== null &&
      pace.expireAfterPolls !== undefined &&
      before >= pace.expireAfterPolls &&
      b.status !== "cancelling"
    ) {
      this.enter(b, "expired");
      return;
    }
    for (;;) {
      const quota = Math.max(0, this.quota(b.status));
      if (b.seen < quota) break;
      b.seen = 0;
      if (b.status === "validating") this.enter(b, b.lineErrors.length ? "failed" : "in_progress");
      else if (b.status === "in_progress") this.enter(b, "finalizing");
      else if (b.status === "finalizing") this.enter(b, "completed");
      else if (b.status === "cancelling") this.enter(b, "cancelled");
      if (TERMINAL.has(b.status)) return;
    }
    b.seen++;
    if (b.status === "in_progress") {
      const polls = Math.max(1, this.quota("in_progress"));
      this.execute(b, Math.floor((b.requests.length * Math.min(b.seen, polls)) / (polls + 1)));
    }
  }

  private quota(status: BatchStatus): number {
    const p = this.pace;
    if (status === "validating") return p.validatingPolls;
    if (status === "in_progress") return p.inProgressPolls;
    if (status === "finalizing") return p.finalizingPolls;
    if (status === "cancelling") return p.cancellingPolls;
    return 0;
  }

  /** Enters a status with its timestamps, executing lines and writing files as that status needs. */
  private enter(b: BatchRecord, status: BatchStatus): void {
    const t = now();
    b.status = status;
    if (status === "in_progress") {
      b.in_progress_at ??= t;
    } else if (status === "finalizing") {
      b.in_progress_at ??= t;
      this.execute(b, b.requests.length);
      b.finalizing_at ??= t;
    } else if (status === "completed") {
      b.in_progress_at ??= t;
      this.execute(b, b.requests.length);
      b.finalizing_at ??= t;
      b.completed_at = t;
      this.writeFiles(b, null);
    } else if (status === "failed") {
      b.failed_at = t;
    } else if (status === "expired") {
      b.expired_at = t;
      this.writeFiles(b, EXPIRED_ERROR);
    } else if (status === "cancelled") {
      b.cancelling_at ??= t;
      b.cancelled_at = t;
      this.writeFiles(b, CANCELLED_ERROR);
    }
  }

  /** Output file: the 200 answers; error file: the others, and (expired/cancelled) the lines never executed. */
  private writeFiles(b: BatchRecord, unexecuted: { code: string; message: string } | null): void {
    if (unexecuted) {
      for (const r of b.requests.slice(b.results.length)) {
        b.results.push({ id: `batch_req_${hex(16)}`, custom_id: r.custom_id, response: null, error: { ...unexecuted } });
      }
    }
    b.output_file_id = this.storeOutput(
      b,
      "output",
      b.results.filter((r) => r.response?.status_code === 200),
    );
    b.error_file_id = this.storeOutput(
      b,
      "error",
      b.results.filter((r) => r.response?.status_code !== 200),
    );
  }

  /** Executes the request lines up to `count` (in input order). */
  private execute(b: BatchRecord, count: number): void {
    const op: ImageOperation = b.endpoint === "/v1/images/edits" ? "edits" : "generations";
    while (b.results.length < Math.min(count, b.requests.length)) {
      const r = b.requests[b.results.length];
      const { status, body } = this.answerLine(op, r.body);
      b.results.push({
        id: `batch_req_${hex(16)}`,
        custom_id: r.custom_id,
        response: { status_code: status, request_id: `req_${hex(16)}`, body },
        error: null,
      });
    }
  }

  private answerLine(op: ImageOperation, body: unknown): { status: number; body: unknown } {
    if (isPlainObject(body) && (body.stream === true || body.stream === "true")) {
      return { status: 400, body: errorJson("Streaming is not supported in the Batch API.", "stream", "invalid_value") };
    }
    let resolved = body;
    if (op === "edits" && isPlainObject(body)) {
      const r = this.resolveFileIds(body);
      if ("error" in r) return { status: 400, body: r.error };
      resolved = r.body;
    }
    const reply = this.answer(op, resolved);
    if (reply.chunks)
      return { status: 500, body: errorJson("The test server answered a batch line with a stream.", null, null, "server_error") };
    let parsed: unknown;
    try {
      parsed = JSON.parse(reply.body.toString("utf8"));
    } catch {
      parsed = reply.body.toString("utf8");
    }
    return { status: reply.status, body: parsed };
  }

  /** `{file_id}` references (images[i], mask, markup) → `{image_url: data URL}` of the uploaded file. */
  private resolveFileIds(body: Record<string, unknown>): { body: Record<string, unknown> } | { error: unknown } {
    const out: Record<string, unknown> = { ...body };
    const resolve = (ref: unknown, param: string): unknown => {
      if (!isPlainObject(ref) || ref.file_id === undefined) return ref;
      const id = ref.file_id;
      const file = typeof id === "string" ? this.files.get(id) : undefined;
      if (!file) throw errorJson(`Invalid '${param}.file_id': no such File object: ${String(id)}.`, `${param}.file_id`, "invalid_value");
      if (!IMAGE_FILE_PURPOSES.includes(file.purpose)) {
        throw errorJson(
          `Invalid '${param}.file_id': the file ${file.id} has purpose '${file.purpose}'; an image file must have purpose 'vision' or 'user_data'.`,
          `${param}.file_id`,
          "invalid_value",
        );
      }
      const { file_id: _ignored, ...rest } = ref;
      return { ...rest, image_url: `data:${sniffMime(file.data, file.contentType)};base64,${file.data.toString("base64")}` };
    };
    try {
      if (Array.isArray(body.images)) out.images = body.images.map((ref, i) => resolve(ref, `images[${i}]`));
      if (body.mask !== undefined) out.mask = resolve(body.mask, "mask");
      if (body.markup !== undefined) out.markup = resolve(body.markup, "markup");
    } catch (error) {
      return { error };
    }
    return { body: out };
  }
}
