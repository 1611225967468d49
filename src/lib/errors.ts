/**
 * Errors with a stable `code` that flows can branch on (msg.error.code) and the details in
 * `cause` (msg.error.cause): Node-RED copies only message, code, stack and cause onto msg.error.
 */

export type ErrorCode =
  | "invalid_params"
  | "invalid_image"
  | "image_too_large"
  | "mask_mismatch"
  | "no_config"
  | "auth_failed"
  | "not_found"
  | "model_retired"
  | "batch_unsupported"
  | "batch_expired"
  | "batch_cancelled"
  | "rate_limited"
  | "quota_exceeded"
  | "moderation_blocked"
  | "queue_full"
  | "timeout"
  | "aborted"
  | "network_error"
  | "stream_incomplete"
  | "download_failed"
  | "budget_exceeded"
  | "api_error";

export interface ErrorDetails {
  /** HTTP status of the last answer, when there was one */
  statusCode?: number;
  /** the API's own error message (key-filtered), type, code and param */
  apiMessage?: string;
  type?: string;
  apiCode?: string;
  param?: string;
  /** x-request-id of the last answer */
  requestId?: string;
  /** how many HTTP attempts were made */
  attempts?: number;
  /** whether trying again later may succeed */
  retryable?: boolean;
  /** the parameter that was refused before sending */
  parameter?: string;
  /** the request had been sent when the connection failed or the time ran out: the image may have been made and billed */
  outcomeUnknown?: boolean;
}

export class ImagesApiError extends Error {
  readonly code: ErrorCode;
  declare readonly cause: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = "ImagesApiError";
    this.code = code;
    // own, enumerable property so Node-RED copies it onto msg.error.cause
    Object.defineProperty(this, "cause", { value: details, enumerable: true, writable: true });
  }
}

export function isImagesApiError(err: unknown): err is ImagesApiError {
  return err instanceof Error && typeof (err as ImagesApiError).code === "string" && err.name === "ImagesApiError";
}

/** A request cancelled because its node was stopped or redeployed, after `attempts` attempts. */
export function abortedError(attempts: number): ImagesApiError {
  return new ImagesApiError("aborted", "the request was cancelled (the node was stopped or redeployed)", { attempts });
}

export function invalidParams(parameter: string, message: string): ImagesApiError {
  return new ImagesApiError("invalid_params", message, { parameter });
}

/** Join allowed values as "a, b or c". */
export function listOr(values: readonly (string | number)[]): string {
  const v = values.map(String);
  return v.length <= 1 ? v.join("") : `${v.slice(0, -1).join(", ")} or ${v[v.length - 1]}`;
}

/** Quote a user value for an error message, shortened so huge inputs don't flood logs (the editor's browser code quotes with it too). */
export function show(value: unknown): string {
  let s: string;
  if (typeof value === "string") s = JSON.stringify(value);
  else if (typeof Buffer !== "undefined" && Buffer.isBuffer(value)) s = `a Buffer of ${value.length} bytes`;
  else if (Array.isArray(value)) s = `an array of ${value.length}`;
  else if (value === null) s = "null";
  else if (typeof value === "object") {
    const kind = Object.getPrototypeOf(value)?.constructor?.name;
    s = kind && kind !== "Object" ? `a ${kind}` : "an object";
  } else s = String(value);
  return s.length > 80 ? `${s.slice(0, 60)}…" (${String(value).length} characters)` : s;
}

/** "1000 bytes", "12.5 kB", "3.2 MB" */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** "400 ms", "2.5 s", "600 s" */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}
