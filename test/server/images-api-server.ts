/**
 * A local OpenAI-compatible Images API server for tests and the offline demo.
 * Real HTTP on 127.0.0.1, real PNG/JPEG/WebP/animated GIF/SVG bytes, OpenAI error envelopes,
 * scriptable failures (status, delays, stalls, dropped sockets, SSE).
 *
 * Main listener routes:
 *   POST /v1/images/generations                                   (JSON)
 *   POST /v1/images/edits                                         (multipart, or JSON edits)
 *   POST /openai/deployments/{deployment}/images/{generations|edits}?api-version=…  (Azure classic)
 *   GET  /files/{id}.{png|jpeg|webp|gif|svg}                      (also on the CDN listener)
 *   GET  /v1/models, /openai/models                               (the model list, for "Test connection")
 *   /v1/files…, /v1/batches…                                      (OpenAI's Files and Batch APIs: batch-api.ts, `server.batch`)
 *
 * The API as of 2026-12-01: GPT image 2 / 2.5 / 2.6 ids, quality xhigh|max (2.5/2.6),
 * custom WxH sizes (2/2.5/2.6), complexity, real animated GIF (frame_count, frame_duration_ms) and SVG
 * (svg {model, reasoning:{effort}}, svg_usage) answers for gpt-image-2.6-*, markup edits, safety_identifier,
 * `style`/`response_format` refused for GPT image models. Retired ids (RETIRED_MODELS) are served by default,
 * like a gateway that still maps them; `retired = "refuse"` answers them 404 model_not_found as api.openai.com
 * does after their shutdown date (judged by `now()`). Prompts matching `blockPrompts` are refused 400
 * moderation_blocked, as OpenAI's safety system refuses them (the demo's batch example shows its failure report so).
 * `onlyListedModels` (the demo) answers any model it does not list 404 model_not_found, as a real server does.
 */
import * as http from "node:http";
import type { Socket } from "node:net";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { encodePng, pngSize } from "./png";
import { encodeGif } from "./gif";
import { encodeSvg } from "./svg";
import { formFields, getBoundary, parseMultipart, type FormPart } from "./multipart";
import { BatchApi } from "./batch-api";

export type { FormPart } from "./multipart";

export interface RecordedRequest {
  method: string;
  /** path without query, e.g. "/v1/images/generations" */
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  /** the exact body bytes */
  raw: Buffer;
  /** parsed when content-type is JSON */
  json?: any;
  /** parsed when multipart */
  form?: FormPart[];
  /**
   * the request parameters as the server reads them: the JSON body (when an object), or the multipart text
   * fields with bracketed names nested (`svg[reasoning][effort]` → params.svg.reasoning.effort)
   */
  params?: Record<string, unknown>;
  /** the bytes of a multipart `markup` file part */
  markup?: Buffer;
  /** Date.now() when the request arrived */
  at: number;
}

/**
 * Rate-limiting mode (set `server.rateLimit`; cleared by reset()): a generation/edit request over the
 * limit is answered 429 (`rate_limit_exceeded`) with `Retry-After` (whole seconds, rounded up) and, unless
 * `retryAfterMs` is false, `retry-after-ms`, without consuming a scripted step. Counted in `rateLimited`.
 */
export interface RateLimit {
  /** at most `max` accepted requests in any `windowMs` (sliding window) */
  max?: number;
  windowMs?: number;
  /** at most this many requests being handled at once (the 429s themselves included while they last) */
  maxConcurrent?: number;
  /** also send retry-after-ms (default true) */
  retryAfterMs?: boolean;
}

export type Step = {
  status?: number;
  headers?: Record<string, string>;
  error?: { message: string; type?: string; code?: string | null; param?: string | null };
  body?: string | Buffer;
  contentType?: string;
  json?: unknown;
  answer?: "b64_json" | "url";
  delayMs?: number;
  stallBodyMs?: number;
  drop?: "before-headers" | "mid-body";
  sse?: { events: Array<{ event?: string; data: string }>; chunkSize?: number; gapMs?: number };
  /** shapes the built-in stream answer (stream: true): pause between events, re-chunk, or end early */
  stream?: {
    gapMs?: number;
    chunkSize?: number;
    endAfterEvents?: number;
    eol?: "\n" | "\r\n" | "\r";
    /**
     * A hostile server (the options below): the stream is made as it is sent, its base64 a slice at a time,
     * so neither a huge event nor thousands of them sit in the server's memory or stall its event loop.
     * The bytes every event carries instead of the rendered image (e.g. a huge PNG).
     */
    image?: Buffer;
    /** this many more partial_image events for the first image, their partial_image_index counting on */
    extraPartials?: number;
    /** this many more completed events after the last image's */
    extraCompleted?: number;
  };
};

export interface StartOptions {
  port?: number;
  host?: string;
  apiKey?: string | null;
}

type Operation = "generations" | "edits";
interface Route {
  op: Operation;
  deployment?: string;
}
interface Reply {
  status: number;
  contentType: string;
  body: Buffer;
  /** when set, the body is sent as these chunks (SSE) without content-length */
  chunks?: Buffer[];
  gapMs?: number;
  /** event names of a built-in stream sent one chunk per event (for sentEvents) */
  events?: string[];
  /** when set, the body is made while it is sent, from these chunks (SSE) */
  source?: () => Iterable<Buffer>;
}
interface StoredFile {
  bytes: Buffer;
  contentType: string;
}

const MAX_BODY_BYTES = 100 * 1024 * 1024;
/**
 * What GET /v1/models lists by default (`server.models`): today's image models (no retired ids), gateway
 * image models and a few others, as a real server would.
 */
export const MODEL_LIST: readonly string[] = Object.freeze([
  "gpt-4o-mini",
  "gpt-5.6-terra",
  "gpt-image-2.6-flare",
  "gpt-image-2.6-sunburst",
  "gpt-image-2.5-flare",
  "gpt-image-2.5-flare-2026-09-08",
  "gpt-image-2.5-sunburst",
  "gpt-image-2.5-sunburst-2026-09-08",
  "gpt-image-2",
  "gpt-image-2-2026-04-21",
  "text-embedding-3-small",
  "flux-kontext-pro",
  "flux-kontext-max",
  "whisper-1",
]);
/** The list of release 0.1.0's test server (with retired ids), for tests that want it: `server.models = [...LEGACY_MODEL_LIST]`. */
export const LEGACY_MODEL_LIST: readonly string[] = Object.freeze([
  "gpt-4o-mini",
  "dall-e-2",
  "dall-e-3",
  "gpt-image-1",
  "gpt-image-1.5",
  "gpt-image-2",
  "text-embedding-3-small",
  "flux-kontext-pro",
  "whisper-1",
]);
/** Shutdown dates (UTC, from 00:00) of retired OpenAI image models; from then on `retired: "refuse"` answers 404. */
export const RETIRED_MODELS: Readonly<Record<string, string>> = Object.freeze({
  "dall-e-2": "2026-05-12",
  "dall-e-3": "2026-05-12",
  "gpt-image-1": "2026-10-23",
  "gpt-image-1.5": "2026-12-01",
  "gpt-image-1.5-2025-12-16": "2026-12-01",
  "gpt-image-1-mini": "2026-12-01",
  "chatgpt-image-latest": "2026-12-01",
});
/** svg_usage.model when the request names no svg.model */
export const DEFAULT_SVG_MODEL = "gpt-5.6-terra";

/** True when `model` is a retired id whose shutdown date is at or before `at`. */
export function isRetired(model: string, at: Date): boolean {
  const date = Object.prototype.hasOwnProperty.call(RETIRED_MODELS, model) ? RETIRED_MODELS[model] : undefined;
  return date !== undefined && at.getTime() >= Date.parse(`${date}T00:00:00Z`);
}

const MAX_SIDE = 3840;
const MAX_PIXELS = 3840 * 2160;
const MIN_CUSTOM_PIXELS = 655_360;
const MAX_FRAME_MS = 655_350;
const MAX_FILES = 500;
const IMAGE_MIME = ["image/png", "image/jpeg", "image/webp"];
const MIME_BY_FORMAT: Record<string, string> = {
  png: "image/png",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
  svg: "image/svg+xml",
};
const RASTER_FORMATS = ["png", "jpeg", "webp"];
const COMPLEXITIES = ["low", "medium", "high"];
const SVG_EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh", "max"];
const REPORTED_QUALITIES = ["low", "medium", "high", "xhigh", "max"];
const STANDARD_SIZES = ["1024x1024", "1536x1024", "1024x1536"];

/** dall-e, GPT image 1.x (1, 1-mini, 1.5, chatgpt-image-latest), 2, 2.5, 2.6, other GPT image ids, or a gateway's model */
type Family = "dall-e" | "1" | "2" | "2.5" | "2.6" | "gpt-other" | "other";
function modelFamily(model: string): Family {
  if (/^gpt-image-2\.6-(flare|sunburst)(-\d{4}-\d{2}-\d{2})?$/.test(model)) return "2.6";
  if (/^gpt-image-2\.5-(flare|sunburst)(-\d{4}-\d{2}-\d{2})?$/.test(model)) return "2.5";
  if (/^gpt-image-2(-\d{4}-\d{2}-\d{2})?$/.test(model)) return "2";
  if (/^(gpt-image-1|chatgpt-image)/.test(model)) return "1";
  if (model.startsWith("dall-e")) return "dall-e";
  return isGptImage(model) ? "gpt-other" : "other";
}
/** the quality values each family takes (no entry: not checked) */
const QUALITIES: Partial<Record<Family, string[]>> = {
  "1": ["low", "medium", "high", "auto"],
  "2": ["low", "medium", "high", "auto"],
  "2.5": ["low", "medium", "high", "xhigh", "max", "auto"],
  "2.6": ["low", "medium", "high", "xhigh", "max", "auto"],
};

let fixtureCache: { jpeg: Buffer; webp: Buffer } | undefined;
function fixtures(): { jpeg: Buffer; webp: Buffer } {
  fixtureCache ??= {
    jpeg: readFileSync(join(__dirname, "..", "fixtures", "photo-256.jpg")),
    webp: readFileSync(join(__dirname, "..", "fixtures", "photo-256-lossy.webp")),
  };
  return fixtureCache;
}

/** The OpenAI error envelope: all four keys always present. */
export function errorBody(e: { message: string; type?: string | null; param?: string | null; code?: string | null }): string {
  return JSON.stringify({ error: { message: e.message, type: e.type ?? null, param: e.param ?? null, code: e.code ?? null } });
}

function jsonReply(status: number, value: unknown): Reply {
  return { status, contentType: "application/json", body: Buffer.from(JSON.stringify(value)) };
}

function errorReply(
  status: number,
  message: string,
  param: string | null = null,
  code: string | null = null,
  type: string | null = "invalid_request_error",
): Reply {
  return { status, contentType: "application/json", body: Buffer.from(errorBody({ message, type, param, code })) };
}

/** Default error for a step that only gives a status ≥ 400. */
function statusErrorReply(status: number): Reply {
  if (status === 401) return errorReply(401, "Incorrect API key provided: sk-****", null, "invalid_api_key");
  if (status === 429)
    return errorReply(429, "Rate limit reached for images per minute. Please try again later.", null, "rate_limit_exceeded", "requests");
  if (status >= 500)
    return errorReply(status, "The server had an error while processing your request. Sorry about that!", null, null, "server_error");
  return errorReply(status, `Simulated error ${status}`);
}

function requestId(): string {
  return `req_${randomBytes(16).toString("hex")}`;
}

const isGptImage = (model: string) => model.startsWith("gpt-image") || model.startsWith("chatgpt-image");
const isImagePartName = (name: string) => /^image(\[\d*\])?$/.test(name);
const present = (v: unknown) => v !== undefined && v !== null;
/** present and not an empty string (an empty multipart field counts as absent) */
const given = (v: unknown) => present(v) && v !== "";
const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
/** 'a', 'b', and 'c' */
const oneOf = (values: string[]) =>
  values.length < 3
    ? values.map((v) => `'${v}'`).join(" and ")
    : `${values
        .slice(0, -1)
        .map((v) => `'${v}'`)
        .join(", ")}, and '${values[values.length - 1]}'`;
const typeName = (v: unknown) =>
  v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : `a ${typeof v}`;

export class ImagesApiServer {
  readonly origin: string;
  readonly baseUrl: string;
  readonly cdnOrigin: string;
  requests: RecordedRequest[] = [];
  downloads: RecordedRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  urlOrigin: "same" | "cdn" = "same";
  /** when each event of a built-in stream (sent one event per chunk) was written */
  sentEvents: Array<{ at: number; event: string }> = [];
  /** bytes written of streams made while they are sent (a hostile stream's options): how far a client read */
  streamedBytes = 0;
  /** rate-limiting mode, see RateLimit; null = off */
  rateLimit: RateLimit | null = null;
  /** how many requests the rate-limiting mode answered with 429 */
  rateLimited = 0;
  /** what GET /v1/models and /openai/models list (default: a copy of MODEL_LIST; in "refuse" mode retired ids are left out) */
  models: string[] = [...MODEL_LIST];
  /**
   * Retired ids (RETIRED_MODELS) on the OpenAI routes: "serve" (default) answers them like any model, as a gateway
   * that still maps them would; "refuse" answers 404 model_not_found ("… has been deprecated …") once `now()` is
   * at or past their shutdown date. The Azure deployment route is never affected.
   */
  retired: "serve" | "refuse" = "serve";
  /** the server's clock for the retirement check (default: the real time) */
  now: () => Date = () => new Date();
  /** ids answered 404 model_not_found ("does not exist or you do not have access to it"); on the Azure route, deployments answered 404 DeploymentNotFound */
  unknownModels = new Set<string>();
  /**
   * Answer only the models GET /v1/models lists (`models`), as a real server does: any other id on the OpenAI routes
   * (a typo, a retired id, an implicit default that is not listed) gets 404 model_not_found naming it and listing the
   * models there are. Off by default (tests use many gateway ids); the demo (`npm start`, cli.ts) turns it on.
   */
  onlyListedModels = false;
  /** also enforce the 655,360-pixel floor for custom sizes of gpt-image-2/2.5/2.6 and the GIF frame budget (frame_count × W × H ≤ 8,294,400); off by default so tests can ask for small images */
  strictSizes = false;
  /** the project has "SVG model selection" enabled: output_format svg without svg.model → 400 */
  svgModelRequired = false;
  /**
   * Prompts this matches are refused as OpenAI's safety system refuses a prompt it will not draw: 400
   * moderation_blocked (type image_generation_user_error), after the parameter checks; direct requests and batch
   * lines alike. null (default) = nothing is refused. The demo (`npm start`, cli.ts --block-prompts) sets it.
   */
  blockPrompts: RegExp | null = null;
  /** OpenAI's Files and Batch APIs (/v1/files…, /v1/batches…), see batch-api.ts; each batch line gets the default answer of a direct JSON POST */
  readonly batch = new BatchApi((op, json) =>
    this.defaultAnswer(
      {},
      {
        method: "POST",
        path: `/v1/images/${op}`,
        query: {},
        headers: {},
        raw: Buffer.alloc(0),
        json,
        params: isPlainObject(json) ? json : undefined,
        at: Date.now(),
      },
      { op },
    ),
  );
  private acceptedAt: number[] = [];

  private queue: Step[] = [];
  private defaultStep: Step | null = null;
  private files = new Map<string, StoredFile>();
  private apiSockets = new Set<Socket>();
  private cdnSockets = new Set<Socket>();
  private timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly api: http.Server,
    private readonly cdn: http.Server,
    private readonly apiKey: string | null,
    host: string,
  ) {
    const h = host.includes(":") ? `[${host}]` : host;
    this.origin = `http://${h}:${(api.address() as { port: number }).port}`;
    this.cdnOrigin = `http://${h}:${(cdn.address() as { port: number }).port}`;
    this.baseUrl = `${this.origin}/v1`;
    track(api, this.apiSockets);
    track(cdn, this.cdnSockets);
    api.on("request", (req, res) => this.onApiRequest(req, res));
    cdn.on("request", (req, res) => this.onCdnRequest(req, res));
  }

  static async start(opts: StartOptions = {}): Promise<ImagesApiServer> {
    const host = opts.host ?? "127.0.0.1";
    const api = http.createServer();
    const cdn = http.createServer();
    try {
      await listen(api, opts.port ?? 0, host);
      await listen(cdn, 0, host);
    } catch (err) {
      api.close();
      cdn.close();
      throw err;
    }
    return new ImagesApiServer(api, cdn, typeof opts.apiKey === "string" ? opts.apiKey : null, host);
  }

  /** Queue steps; the next API requests (that pass routing and auth) consume them in order. */
  script(...steps: Step[]): void {
    this.queue.push(...steps);
  }

  /** Behaviour when the queue is empty; null = the normal successful answer. */
  setDefault(step: Step | null): void {
    this.defaultStep = step;
  }

  reset(): void {
    this.requests = [];
    this.downloads = [];
    this.queue = [];
    this.defaultStep = null;
    this.files.clear();
    this.urlOrigin = "same";
    this.sentEvents = [];
    this.streamedBytes = 0;
    this.maxInFlight = this.inFlight; // inFlight is a live gauge, not a counter
    this.rateLimit = null;
    this.rateLimited = 0;
    this.acceptedAt = [];
    this.models = [...MODEL_LIST];
    this.retired = "serve";
    this.now = () => new Date();
    this.unknownModels = new Set();
    this.onlyListedModels = false;
    this.strictSizes = false;
    this.svgModelRequired = false;
    this.blockPrompts = null;
    this.batch.reset();
  }

  /** The rate-limiting mode's verdict: the 429 headers when this request is over the limit. */
  private overLimit(): Record<string, string> | undefined {
    const limit = this.rateLimit;
    if (!limit) return undefined;
    const now = Date.now();
    let waitMs = 0;
    if (limit.maxConcurrent !== undefined && this.inFlight > limit.maxConcurrent) waitMs = 50;
    if (!waitMs && limit.max !== undefined) {
      const windowMs = limit.windowMs ?? 1000;
      while (this.acceptedAt.length && this.acceptedAt[0] <= now - windowMs) this.acceptedAt.shift();
      if (this.acceptedAt.length >= limit.max) waitMs = Math.max(1, this.acceptedAt[0] + windowMs - now);
    }
    if (!waitMs) {
      this.acceptedAt.push(now);
      return undefined;
    }
    this.rateLimited++;
    const headers: Record<string, string> = { "retry-after": String(Math.ceil(waitMs / 1000)) };
    if (limit.retryAfterMs !== false) headers["retry-after-ms"] = String(waitMs);
    return headers;
  }

  openSockets(): number {
    return this.apiSockets.size;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const t of this.timers) {
        clearTimeout(t.timer);
        t.resolve();
      }
      this.timers.clear();
      // sockets leave their set on 'close', which can come after the server's close callback
      const closed = [...this.apiSockets, ...this.cdnSockets].map((s) => new Promise((resolve) => s.once("close", resolve)));
      for (const s of [...this.apiSockets, ...this.cdnSockets]) s.destroy();
      await Promise.all([closeServer(this.api), closeServer(this.cdn), ...closed]);
    })();
    return this.closing;
  }

  // ---------------------------------------------------------------- plumbing

  private get closed(): boolean {
    return this.closing !== undefined;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed || !(ms > 0)) return resolve();
      const entry = {
        timer: setTimeout(() => {
          this.timers.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.timers.add(entry);
    });
  }

  private onCdnRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://localhost");
    if ((req.method === "GET" || req.method === "HEAD") && url.pathname.startsWith("/files/")) {
      this.serveFile(req, res, url);
    } else {
      req.resume();
      send(res, errorReply(404, `Invalid URL (${req.method} ${url.pathname})`));
    }
  }

  private onApiRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://localhost");
    if ((req.method === "GET" || req.method === "HEAD") && url.pathname.startsWith("/files/")) {
      this.serveFile(req, res, url);
      return;
    }
    const at = Date.now();
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    // 'close' fires once the response finished or the connection died: every path ends here
    res.once("close", () => this.inFlight--);
    this.handleApi(req, res, url, at).catch((err) => {
      if (!res.headersSent && !res.destroyed) {
        send(res, errorReply(500, `test server error: ${(err as Error).message}`, null, null, "server_error"));
      } else {
        res.destroy();
      }
    });
  }

  private serveFile(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    req.resume();
    this.downloads.push({
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      raw: Buffer.alloc(0),
      at: Date.now(),
    });
    const m = /^\/files\/([A-Za-z0-9_-]+)\.(png|jpeg|webp|gif|svg)$/.exec(url.pathname);
    const file = m ? this.files.get(m[1]) : undefined;
    if (!m || !file || file.contentType !== MIME_BY_FORMAT[m[2]]) {
      send(res, errorReply(404, "File not found", null, "not_found"));
      return;
    }
    res.writeHead(200, { "content-type": file.contentType, "content-length": String(file.bytes.length) });
    res.end(req.method === "HEAD" ? undefined : file.bytes);
  }

  private async handleApi(req: http.IncomingMessage, res: http.ServerResponse, url: URL, at: number): Promise<void> {
    let raw: Buffer;
    let tooLarge: boolean;
    try {
      ({ raw, tooLarge } = await readBody(req));
    } catch {
      return; // the client went away while uploading; res 'close' does the bookkeeping
    }

    const contentType = String(req.headers["content-type"] ?? "");
    const record: RecordedRequest = {
      method: req.method ?? "",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      raw,
      at,
    };
    if (/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(contentType)) {
      try {
        record.json = JSON.parse(raw.toString("utf8"));
      } catch {
        /* left undefined: answered with a JSON parse error */
      }
    }
    let formError: Error | undefined;
    if (/^multipart\/form-data\s*(;|$)/i.test(contentType)) {
      try {
        record.form = parseMultipart(raw, getBoundary(contentType));
      } catch (err) {
        formError = err as Error;
      }
    }
    if (record.form) {
      record.params = formFields(record.form);
      const markup = record.form.find((p) => p.name === "markup" && p.filename !== undefined);
      if (markup) record.markup = markup.data;
    } else if (isPlainObject(record.json)) {
      record.params = record.json;
    }
    this.requests.push(record); // recorded before any step is applied

    if (tooLarge) return this.reply(res, {}, errorReply(413, `Request body larger than ${MAX_BODY_BYTES} bytes`));
    if (this.batch.handles(record.path)) {
      const answer = this.batch.handle(record, this.authorized(req));
      return this.reply(res, { headers: answer.headers }, answer);
    }
    if (record.method === "GET" && (record.path === "/v1/models" || record.path === "/openai/models")) {
      if (!this.authorized(req))
        return this.reply(res, {}, errorReply(401, "Incorrect API key provided: sk-****", null, "invalid_api_key"));
      const data = this.listedModels().map((id) => ({ id, object: "model", created: 0, owned_by: "images-api-test-server" }));
      return this.reply(res, {}, jsonReply(200, { object: "list", data }));
    }
    const route = matchRoute(record);
    if ("notFound" in route) return this.reply(res, {}, route.notFound);
    if (!this.authorized(req)) {
      return this.reply(res, {}, errorReply(401, "Incorrect API key provided: sk-****", null, "invalid_api_key"));
    }

    const limited = this.overLimit();
    if (limited) return this.reply(res, { headers: limited }, statusErrorReply(429));

    const step = this.queue.shift() ?? this.defaultStep ?? {};
    await this.sleep(step.delayMs ?? 0);
    if (this.closed || isGone(res)) return;
    if (step.drop === "before-headers") {
      req.socket.destroy();
      return;
    }
    await this.reply(res, step, this.answerFor(step, record, route, formError));
  }

  private authorized(req: http.IncomingMessage): boolean {
    if (this.apiKey === null) return true;
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "");
    return (bearer !== null && bearer[1].trim() === this.apiKey) || req.headers["api-key"] === this.apiKey;
  }

  /** Precedence: sse > body > json > error > status ≥ 400 > the default answer. */
  private answerFor(step: Step, record: RecordedRequest, route: Route, formError?: Error): Reply {
    if (step.sse) {
      const text = step.sse.events.map(sseRecord).join("");
      const bytes = Buffer.from(text, "utf8");
      const size = step.sse.chunkSize && step.sse.chunkSize > 0 ? step.sse.chunkSize : bytes.length || 1;
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      return { status: step.status ?? 200, contentType: "text/event-stream; charset=utf-8", body: bytes, chunks, gapMs: step.sse.gapMs };
    }
    if (step.body !== undefined) {
      const body = typeof step.body === "string" ? Buffer.from(step.body, "utf8") : step.body;
      const type = step.contentType ?? (typeof step.body === "string" ? "text/plain; charset=utf-8" : "application/octet-stream");
      return { status: step.status ?? 200, contentType: type, body };
    }
    if (step.json !== undefined) {
      return {
        status: step.status ?? 200,
        contentType: step.contentType ?? "application/json",
        body: Buffer.from(JSON.stringify(step.json)),
      };
    }
    if (step.error) return { status: step.status ?? 400, contentType: "application/json", body: Buffer.from(errorBody(step.error)) };
    if (step.status !== undefined && step.status >= 400) return statusErrorReply(step.status);
    const reply = this.defaultAnswer(step, record, route, formError);
    if (reply.status === 200 && step.status !== undefined) reply.status = step.status;
    return reply;
  }

  private async reply(res: http.ServerResponse, step: Step, reply: Reply): Promise<void> {
    if (isGone(res)) return;
    const headers: Record<string, string> = { "content-type": reply.contentType, "x-request-id": requestId() };
    if (!reply.chunks && !reply.source) headers["content-length"] = String(reply.body.length);
    for (const [k, v] of Object.entries(step.headers ?? {})) headers[k.toLowerCase()] = v;
    res.writeHead(reply.status, headers);

    let chunks = reply.chunks ?? [reply.body];
    const split = (step.stallBodyMs ?? 0) > 0 || step.drop === "mid-body";
    if (split && chunks.length < 2) {
      const half = Math.floor(reply.body.length / 2);
      chunks = [reply.body.subarray(0, half), reply.body.subarray(half)];
    }
    if (split || reply.chunks || reply.source) res.flushHeaders();
    if (reply.source) {
      for (const chunk of reply.source()) {
        if (this.closed || isGone(res)) return;
        await write(res, chunk);
        this.streamedBytes += chunk.length;
      }
      if (!isGone(res)) res.end();
      return;
    }
    const cut = split ? Math.ceil(chunks.length / 2) : -1;

    for (let i = 0; i < chunks.length; i++) {
      if (i === cut) {
        if (step.drop === "mid-body") {
          res.socket?.destroy();
          return;
        }
        await this.sleep(step.stallBodyMs ?? 0);
      } else if (i > 0 && reply.gapMs) {
        await this.sleep(reply.gapMs);
      }
      if (this.closed || isGone(res)) return;
      if (reply.events && reply.events.length === chunks.length) this.sentEvents.push({ at: Date.now(), event: reply.events[i] });
      await write(res, chunks[i]);
    }
    if (!isGone(res)) res.end();
  }

  // ------------------------------------------------------- the default answer

  private defaultAnswer(step: Step, record: RecordedRequest, route: Route, formError?: Error): Reply {
    const { op } = route;
    let params: Record<string, unknown>;
    let firstImage: Buffer | undefined;
    const form = record.form;

    if (op === "edits" && form) {
      params = record.params ?? formFields(form);
    } else if (formError) {
      return errorReply(400, `Could not parse multipart form: ${formError.message}`);
    } else if (isPlainObject(record.json)) {
      params = record.json;
    } else {
      return errorReply(
        400,
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
      );
    }

    const model =
      route.deployment ?? (typeof params.model === "string" && params.model ? params.model : op === "edits" ? "gpt-image-1.5" : "dall-e-2");
    const refusal = this.modelRefusal(model, route);
    if (refusal) return refusal;

    let hasMask = false;
    let markup: FormPart | undefined;
    if (op === "edits" && form) {
      const images = form.filter((p) => isImagePartName(p.name) && p.filename !== undefined);
      if (images.length === 0) return errorReply(400, "Missing required parameter: 'image'.", "image", "missing_required_parameter");
      for (const p of form.filter((f) => f.filename !== undefined)) {
        const mime = (p.contentType ?? "").split(";")[0].trim().toLowerCase();
        if (p.name === "markup") {
          if (mime !== "image/png") {
            return errorReply(
              400,
              `Invalid file 'markup': unsupported mimetype ('${mime || "application/octet-stream"}'). Supported file formats are 'image/png'.`,
              "markup",
              "unsupported_file_mimetype",
            );
          }
        } else if (!IMAGE_MIME.includes(mime)) {
          return errorReply(
            400,
            `Invalid file '${p.name.replace(/\[\d*\]$/, "")}': unsupported mimetype ('${mime || "application/octet-stream"}'). Supported file formats are 'image/jpeg', 'image/png', and 'image/webp'.`,
            "image",
            "unsupported_file_mimetype",
          );
        }
      }
      firstImage = images[0].data;
      hasMask = form.some((p) => p.name === "mask");
      markup = form.find((p) => p.name === "markup");
    } else if (op === "edits") {
      const images = params.images;
      if (!Array.isArray(images) || images.length === 0)
        return errorReply(400, "Missing required parameter: 'images'.", "images", "missing_required_parameter");
      const dataUrl = /^data:image\/png;base64,(.*)$/s.exec(String((images[0] as { image_url?: unknown })?.image_url ?? ""));
      if (dataUrl) firstImage = Buffer.from(dataUrl[1], "base64");
      hasMask = present(params.mask);
    }

    const gpt = isGptImage(model);
    const dalle = model.startsWith("dall-e");
    const family = modelFamily(model);

    if (present(params.response_format) && gpt) {
      return errorReply(400, "Unknown parameter: 'response_format'.", "response_format", "unknown_parameter");
    }
    if (present(params.style) && gpt) return errorReply(400, "Unknown parameter: 'style'.", "style", "unknown_parameter");
    if (present(params.response_format) && params.response_format !== "url" && params.response_format !== "b64_json") {
      return errorReply(
        400,
        `Invalid value: '${params.response_format}'. Supported values are: 'url' and 'b64_json'.`,
        "response_format",
        "invalid_value",
      );
    }
    const prompt = params.prompt;
    if (!present(prompt)) return errorReply(400, "Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter");
    if (typeof prompt !== "string") return errorReply(400, "Invalid type for 'prompt': expected a string.", "prompt", "invalid_type");
    if (prompt === "")
      return errorReply(
        400,
        "Invalid 'prompt': empty string. Expected a string with minimum length 1, but got an empty string instead.",
        "prompt",
        "empty_string",
      );

    const n = given(params.n) ? Number(params.n) : 1;
    if (!Number.isInteger(n) || n < 1 || n > 10)
      return errorReply(400, `Invalid 'n': expected an integer between 1 and 10, got ${JSON.stringify(params.n)}.`, "n", "invalid_value");

    const qualities = QUALITIES[family];
    if (qualities && given(params.quality) && !qualities.includes(String(params.quality))) {
      return errorReply(
        400,
        `Invalid value: '${String(params.quality)}'. Supported values are: ${oneOf(qualities)}.`,
        "quality",
        "invalid_value",
      );
    }

    const format = given(params.output_format) ? String(params.output_format) : "png";
    const formats = family === "2.6" ? [...RASTER_FORMATS, "gif", "svg"] : RASTER_FORMATS;
    if (!formats.includes(format))
      return errorReply(400, `Invalid value: '${format}'. Supported values are: ${oneOf(formats)}.`, "output_format", "invalid_value");
    const animated = format === "gif";
    const vector = format === "svg";

    if (given(params.complexity) && !COMPLEXITIES.includes(String(params.complexity))) {
      return errorReply(
        400,
        `Invalid value: '${String(params.complexity)}'. Supported values are: ${oneOf(COMPLEXITIES)}.`,
        "complexity",
        "invalid_value",
      );
    }
    for (const name of ["frame_count", "frame_duration_ms"] as const) {
      if (given(params[name]) && !animated)
        return errorReply(400, `'${name}' is only supported when 'output_format' is 'gif'.`, name, "invalid_value");
    }
    const frames = given(params.frame_count) ? Number(params.frame_count) : 9;
    if (!Number.isInteger(frames) || frames < 2 || frames > 16) {
      return errorReply(
        400,
        `Invalid 'frame_count': expected an integer between 2 and 16, got ${JSON.stringify(params.frame_count)}.`,
        "frame_count",
        "invalid_value",
      );
    }
    const frameDurationMs = given(params.frame_duration_ms) ? Number(params.frame_duration_ms) : 200;
    if (!Number.isFinite(frameDurationMs) || frameDurationMs < 20) {
      return errorReply(
        400,
        `Invalid 'frame_duration_ms': expected a number greater than or equal to 20, got ${JSON.stringify(params.frame_duration_ms)}.`,
        "frame_duration_ms",
        "invalid_value",
      );
    }
    let svg: SvgParams | undefined;
    if (present(params.svg)) {
      if (!vector) return errorReply(400, "'svg' is only supported when 'output_format' is 'svg'.", "svg", "invalid_value");
      const checked = checkSvgParams(params.svg);
      if (typeof checked === "string")
        return errorReply(
          400,
          checked,
          /'(svg[\w.]*)'/.exec(checked)?.[1] ?? "svg",
          checked.startsWith("Unknown") ? "unknown_parameter" : checked.startsWith("Invalid type") ? "invalid_type" : "invalid_value",
        );
      svg = checked;
    }
    if (vector && this.svgModelRequired && !svg?.model)
      return errorReply(400, "SVG generation requires 'svg.model'.", "svg.model", "missing_required_parameter");
    if (vector && n !== 1)
      return errorReply(400, `Invalid 'n': output_format 'svg' supports only n=1, got ${JSON.stringify(params.n)}.`, "n", "invalid_value");
    const streaming = params.stream === true || params.stream === "true";
    if ((animated || vector) && streaming)
      return errorReply(400, `Streaming is not supported when 'output_format' is '${format}'.`, "stream", "invalid_value");
    if ((animated || vector) && given(params.output_compression)) {
      return errorReply(
        400,
        `'output_compression' is not supported when 'output_format' is '${format}'.`,
        "output_compression",
        "invalid_value",
      );
    }
    if (animated && hasMask) return errorReply(400, "'mask' is not supported when 'output_format' is 'gif'.", "mask", "invalid_value");
    if (hasMask && (markup || (op === "edits" && !form && present(params.markup)))) {
      return errorReply(400, "'markup' cannot be used together with 'mask'.", "markup", "invalid_value");
    }
    if (markup) {
      const markupSize = pngSize(markup.data);
      if (!markupSize) return errorReply(400, "Invalid file 'markup': the file is not a valid PNG image.", "markup", "invalid_value");
      const imageSize = firstImage ? pngSize(firstImage) : undefined;
      if (imageSize && (imageSize.width !== markupSize.width || imageSize.height !== markupSize.height)) {
        return errorReply(
          400,
          `Invalid file 'markup': it must have the same dimensions as the first image (${imageSize.width}x${imageSize.height}), got ${markupSize.width}x${markupSize.height}.`,
          "markup",
          "invalid_value",
        );
      }
    }
    if (present(params.safety_identifier) && typeof params.safety_identifier !== "string") {
      return errorReply(
        400,
        `Invalid type for 'safety_identifier': expected a string, but got ${typeName(params.safety_identifier)} instead.`,
        "safety_identifier",
        "invalid_type",
      );
    }

    // gateways take their own size spellings ("16:9", "2k"): only OpenAI models get the WxH check
    const openAiModel = /^(dall-e|gpt-image|chatgpt-image)/.test(String(params.model ?? "dall-e-2"));
    const customSizes = family === "2" || family === "2.5" || family === "2.6";
    const size = resolveSize(openAiModel || /^\d+x\d+$/.test(String(params.size)) ? params.size : "auto", firstImage, {
      custom: customSizes,
      minPixels: this.strictSizes ? MIN_CUSTOM_PIXELS : 1,
      frames: animated && this.strictSizes ? frames : undefined,
    });
    if (typeof size === "string") return errorReply(400, size, "size", "invalid_value");
    const { width, height } = size;

    if (this.blockPrompts?.test(prompt)) {
      return errorReply(
        400,
        "Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.",
        null,
        "moderation_blocked",
        "image_generation_user_error",
      );
    }

    const transparent = params.background === "transparent";
    const quality = REPORTED_QUALITIES.includes(String(params.quality)) ? String(params.quality) : "medium";

    const images: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      if (format === "png") images.push(encodePng(width, height, { alpha: transparent, seed: i }));
      else if (animated)
        images.push(encodeGif(width, height, { frames, frameDurationMs: Math.min(MAX_FRAME_MS, frameDurationMs), seed: i, transparent }));
      else if (vector) images.push(encodeSvg(width, height, { seed: i, transparent, title: prompt }));
      else images.push(format === "jpeg" ? fixtures().jpeg : fixtures().webp);
    }
    const imageInputs =
      op === "edits" ? Math.max(1, form ? form.filter((p) => isImagePartName(p.name)).length : (params.images as unknown[]).length) : 0;
    const usage = makeUsage(prompt, imageInputs, quality, width, height, n * (animated ? frames : 1));
    const meta = { background: transparent ? "transparent" : "opaque", output_format: format, size: `${width}x${height}`, quality };
    const safetyIdentifier = [params.safety_identifier, params.user].find((v): v is string => typeof v === "string" && v !== "");
    const completedExtra: Record<string, string> = gpt && safetyIdentifier !== undefined ? { safety_identifier: safetyIdentifier } : {};

    if (streaming) {
      const partials = given(params.partial_images) ? Number(params.partial_images) : 0;
      if (!Number.isInteger(partials) || partials < 0 || partials > 3) {
        return errorReply(
          400,
          `Invalid 'partial_images': expected an integer between 0 and 3, got ${JSON.stringify(params.partial_images)}.`,
          "partial_images",
          "invalid_value",
        );
      }
      return defaultStream(op === "edits" ? "image_edit" : "image_generation", images, partials, meta, usage, step.stream, completedExtra);
    }

    const answerForm = step.answer ?? (dalle ? ((params.response_format as "url" | "b64_json" | undefined) ?? "url") : "b64_json");
    const data = images.map((bytes) => {
      const item: Record<string, string> =
        answerForm === "url" ? { url: this.storeFile(bytes, format) } : { b64_json: bytes.toString("base64") };
      if (model.startsWith("dall-e-3")) item.revised_prompt = `Revised: ${prompt}`;
      return item;
    });
    const body: Record<string, unknown> = { created: Math.floor(Date.now() / 1000), data };
    if (gpt) Object.assign(body, meta, { usage }, completedExtra);
    if (gpt && vector) body.svg_usage = makeSvgUsage(prompt, svg, images[0]);
    return jsonReply(200, body);
  }

  /** The model checks a real server makes before anything else: gateway-unknown ids, and (mode "refuse") retired ids. */
  private modelRefusal(model: string, route: Route): Reply | undefined {
    if (route.deployment !== undefined) {
      if (!this.unknownModels.has(route.deployment)) return undefined;
      return errorReply(
        404,
        "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.",
        null,
        "DeploymentNotFound",
        null,
      );
    }
    if (this.unknownModels.has(model))
      return errorReply(404, `The model \`${model}\` does not exist or you do not have access to it.`, null, "model_not_found");
    if (this.retired === "refuse" && isRetired(model, this.now())) {
      return errorReply(
        404,
        `The model \`${model}\` has been deprecated, learn more here: https://platform.openai.com/docs/deprecations`,
        null,
        "model_not_found",
      );
    }
    if (this.onlyListedModels) {
      const listed = this.listedModels();
      if (!listed.includes(model)) {
        return errorReply(
          404,
          `The model \`${model}\` does not exist or you do not have access to it. This server has: ${listed.join(", ")}.`,
          null,
          "model_not_found",
        );
      }
    }
    return undefined;
  }

  /** What GET /v1/models lists: `models`, without the retired ids in "refuse" mode. */
  private listedModels(): string[] {
    const now = this.now();
    return this.models.filter((id) => !(this.retired === "refuse" && isRetired(id, now)));
  }

  private storeFile(bytes: Buffer, format: string): string {
    const id = randomBytes(12).toString("hex");
    if (this.files.size >= MAX_FILES) this.files.delete(this.files.keys().next().value as string);
    this.files.set(id, { bytes, contentType: MIME_BY_FORMAT[format] });
    return `${this.urlOrigin === "cdn" ? this.cdnOrigin : this.origin}/files/${id}.${format}`;
  }
}

// ------------------------------------------------------------------ helpers

function matchRoute(record: RecordedRequest): Route | { notFound: Reply } {
  const invalid = { notFound: errorReply(404, `Invalid URL (${record.method} ${record.path})`) };
  if (record.method !== "POST") return invalid;
  const openai = /^\/v1\/images\/(generations|edits)$/.exec(record.path);
  if (openai) return { op: openai[1] as Operation };
  const azure = /^\/openai\/deployments\/([^/]+)\/images\/(generations|edits)$/.exec(record.path);
  if (azure) {
    if (!record.query["api-version"]) return { notFound: errorReply(404, "Resource not found", null, "404") };
    return { op: azure[2] as Operation, deployment: decodeURIComponent(azure[1]) };
  }
  return invalid;
}

interface SizeRules {
  /** the gpt-image-2/2.5/2.6 custom-size rules: multiples of 16, ratio ≤ 3:1, edge ≤ 3840, pixels ≤ 8,294,400 */
  custom?: boolean;
  /** the pixel floor for custom sizes (655,360 at OpenAI) */
  minPixels?: number;
  /** a GIF's frame count: frames × width × height must fit the 8,294,400-pixel budget */
  frames?: number;
}

/** {width,height}, or an error message. */
function resolveSize(size: unknown, firstImage: Buffer | undefined, rules: SizeRules = {}): { width: number; height: number } | string {
  if (!present(size) || size === "" || size === "auto") {
    const fromImage = firstImage ? pngSize(firstImage) : undefined;
    if (
      fromImage &&
      fromImage.width >= 1 &&
      fromImage.height >= 1 &&
      fromImage.width <= MAX_SIDE &&
      fromImage.height <= MAX_SIDE &&
      fromImage.width * fromImage.height <= MAX_PIXELS
    ) {
      return fromImage;
    }
    if (rules.frames !== undefined) {
      // the largest square (multiple of 16, at most 1024) that fits the frame budget
      const side = Math.min(1024, Math.floor(Math.sqrt(MAX_PIXELS / rules.frames) / 16) * 16);
      return { width: side, height: side };
    }
    return { width: 1024, height: 1024 };
  }
  const m = /^(\d{1,5})x(\d{1,5})$/.exec(String(size));
  if (!m) return `Invalid value: '${String(size)}'. Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'.`;
  const width = Number(m[1]);
  const height = Number(m[2]);
  if (rules.custom) {
    const bad = (why: string) => `Invalid size '${String(size)}'. ${why}`;
    if (width < 1 || height < 1) return bad("Width and height must be positive.");
    if (width % 16 !== 0 || height % 16 !== 0) return bad("Width and height must be multiples of 16.");
    if (Math.max(width, height) > 3 * Math.min(width, height)) return bad("The aspect ratio must be between 1:3 and 3:1.");
    if (Math.max(width, height) > MAX_SIDE) return bad(`The longest edge must be at most ${MAX_SIDE} pixels.`);
    const minPixels = STANDARD_SIZES.includes(`${width}x${height}`) ? 1 : (rules.minPixels ?? 1);
    if (width * height > MAX_PIXELS || width * height < minPixels) {
      return bad(
        minPixels > 1
          ? `The total number of pixels must be between ${minPixels} and ${MAX_PIXELS}.`
          : `The total number of pixels must be at most ${MAX_PIXELS}.`,
      );
    }
  } else if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS) {
    return `Invalid value: '${String(size)}'. Sizes must be between 1x1 and 3840x2160 pixels.`;
  }
  if (rules.frames !== undefined && rules.frames * width * height > MAX_PIXELS) {
    return `Invalid size '${String(size)}' for ${rules.frames} frames: frame_count × width × height must be at most ${MAX_PIXELS} pixels.`;
  }
  return { width, height };
}

function makeUsage(prompt: string, imageInputs: number, quality: string, width: number, height: number, n: number) {
  const textTokens = Math.max(1, Math.ceil(prompt.length / 4));
  const imageTokens = imageInputs * 194;
  const perImage = ({ low: 272, medium: 1056, high: 4160, xhigh: 8320, max: 16640 } as Record<string, number>)[quality] ?? 1056;
  const outputTokens = Math.max(1, Math.round((perImage * width * height) / (1024 * 1024))) * n;
  const inputTokens = textTokens + imageTokens;
  return {
    input_tokens: inputTokens,
    output_tokens: outputTokens,
    total_tokens: inputTokens + outputTokens,
    input_tokens_details: { text_tokens: textTokens, image_tokens: imageTokens },
    output_tokens_details: { image_tokens: outputTokens, text_tokens: 0 },
  };
}

interface SvgParams {
  model?: string;
  reasoning?: { effort?: string | null } | null;
}

/** Checks the `svg` object ({model, reasoning: {effort}}); the checked copy, or an error message naming the field. */
function checkSvgParams(value: unknown): SvgParams | string {
  if (!isPlainObject(value)) return `Invalid type for 'svg': expected an object, but got ${typeName(value)} instead.`;
  const out: SvgParams = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === "model") {
      if (!present(v)) continue;
      if (typeof v !== "string") return `Invalid type for 'svg.model': expected a string, but got ${typeName(v)} instead.`;
      if (v === "") return "Invalid 'svg.model': empty string. Expected a string with minimum length 1, but got an empty string instead.";
      out.model = v;
    } else if (key === "reasoning") {
      if (!present(v)) continue;
      if (!isPlainObject(v)) return `Invalid type for 'svg.reasoning': expected an object, but got ${typeName(v)} instead.`;
      out.reasoning = {};
      for (const [rkey, effort] of Object.entries(v)) {
        if (rkey !== "effort") return `Unknown parameter: 'svg.reasoning.${rkey}'.`;
        if (!present(effort)) continue;
        if (typeof effort !== "string" || !SVG_EFFORTS.includes(effort))
          return `Invalid value: '${String(effort)}' for 'svg.reasoning.effort'. Supported values are: ${oneOf(SVG_EFFORTS)}.`;
        out.reasoning.effort = effort;
      }
    } else {
      return `Unknown parameter: 'svg.${key}'.`;
    }
  }
  return out;
}

/** svg_usage: the SVG author's tokens, billed separately from the reference image */
function makeSvgUsage(prompt: string, svg: SvgParams | undefined, document: Buffer) {
  const effort = svg?.reasoning?.effort ?? "medium";
  const reasoningTokens =
    ({ none: 0, minimal: 64, low: 256, medium: 1024, high: 4096, xhigh: 8192, max: 16384 } as Record<string, number>)[effort] ?? 1024;
  const inputTokens = Math.max(1, Math.ceil(prompt.length / 4)) + 1056; // the prompt and the reference image
  const outputTokens = Math.ceil(document.length / 4) + reasoningTokens;
  return {
    model: svg?.model ?? DEFAULT_SVG_MODEL,
    input_tokens: inputTokens,
    output_tokens: outputTokens,
    reasoning_tokens: reasoningTokens,
    total_tokens: inputTokens + outputTokens,
  };
}

function sseRecord(e: { event?: string; data: string }): string {
  const lines = e.data
    .split("\n")
    .map((l) => `data: ${l}\n`)
    .join("");
  return `${e.event !== undefined ? `event: ${e.event}\n` : ""}${lines}\n`;
}

/** The default stream: per image, `partials` partial_image events then one completed event. */
function defaultStream(
  prefix: string,
  images: Buffer[],
  partials: number,
  meta: Record<string, string>,
  usage: unknown,
  shape: Step["stream"] = {},
  completedExtra: Record<string, string> = {},
): Reply {
  const created_at = Math.floor(Date.now() / 1000);
  if (shape.image || shape.extraPartials || shape.extraCompleted) {
    return hostileStream(
      prefix,
      shape.image ? images.map(() => shape.image as Buffer) : images,
      partials,
      { created_at, ...meta },
      usage,
      shape,
    );
  }
  const events: Array<{ event: string; data: string }> = [];
  for (const img of images) {
    const b64_json = img.toString("base64");
    for (let p = 0; p < partials; p++) {
      const type = `${prefix}.partial_image`;
      events.push({ event: type, data: JSON.stringify({ type, b64_json, created_at, ...meta, partial_image_index: p }) });
    }
    const type = `${prefix}.completed`;
    events.push({ event: type, data: JSON.stringify({ type, b64_json, created_at, ...meta, usage, ...completedExtra }) });
  }
  const kept = shape.endAfterEvents !== undefined ? events.slice(0, shape.endAfterEvents) : events;
  const eol = shape.eol ?? "\n";
  let chunks = kept.map((e) => Buffer.from(sseRecord(e).replace(/\n/g, eol), "utf8"));
  const body = Buffer.concat(chunks);
  if (shape.chunkSize && shape.chunkSize > 0) {
    chunks = [];
    for (let i = 0; i < body.length; i += shape.chunkSize) chunks.push(body.subarray(i, i + shape.chunkSize));
  }
  return {
    status: 200,
    contentType: "text/event-stream; charset=utf-8",
    body,
    chunks,
    gapMs: shape.gapMs,
    events: kept.map((e) => e.event),
  };
}

/** The default stream with a hostile server's extras, made while it is sent: events in chunks of at least 64 kB. */
function hostileStream(
  prefix: string,
  images: Buffer[],
  partials: number,
  meta: Record<string, unknown>,
  usage: unknown,
  shape: NonNullable<Step["stream"]>,
): Reply {
  const partial = `${prefix}.partial_image`;
  const completed = `${prefix}.completed`;
  function* event(type: string, image: Buffer, extra: Record<string, unknown>): Generator<Buffer> {
    yield Buffer.from(`event: ${type}\ndata: {"type":"${type}","b64_json":"`);
    // 48 kB of image (a multiple of 3) is 64 kB of base64 that joins with the next slice's
    for (let at = 0; at < image.length; at += 49152) yield Buffer.from(image.subarray(at, at + 49152).toString("base64"));
    yield Buffer.from(`",${JSON.stringify({ ...meta, ...extra }).slice(1)}\n\n`);
  }
  function* events(): Generator<Buffer> {
    for (let i = 0; i < images.length; i++) {
      const more = i === 0 ? (shape.extraPartials ?? 0) : 0;
      for (let p = 0; p < partials + more; p++) yield* event(partial, images[i], { partial_image_index: p });
      yield* event(completed, images[i], { usage });
    }
    for (let k = 0; k < (shape.extraCompleted ?? 0); k++) yield* event(completed, images[images.length - 1], { usage });
  }
  function* source(): Generator<Buffer> {
    let pending: Buffer[] = [];
    let size = 0;
    for (const piece of events()) {
      pending.push(piece);
      size += piece.length;
      if (size >= 65536) {
        yield Buffer.concat(pending, size);
        pending = [];
        size = 0;
      }
    }
    if (size > 0) yield Buffer.concat(pending, size);
  }
  return { status: 200, contentType: "text/event-stream; charset=utf-8", body: Buffer.alloc(0), source };
}

/** True once the client connection is gone (or the response was destroyed). */
function isGone(res: http.ServerResponse): boolean {
  return res.destroyed || res.socket?.destroyed === true;
}

/** Writes a chunk and waits until it is flushed or the connection closes. */
function write(res: http.ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("close", done);
      resolve();
    };
    res.once("close", done);
    res.write(chunk, () => done());
  });
}

function send(res: http.ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, {
    "content-type": reply.contentType,
    "content-length": String(reply.body.length),
    "x-request-id": requestId(),
  });
  res.end(reply.body);
}

async function readBody(req: http.IncomingMessage): Promise<{ raw: Buffer; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  const tooLarge = total > MAX_BODY_BYTES;
  return { raw: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge };
}

function track(server: http.Server, sockets: Set<Socket>): void {
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
