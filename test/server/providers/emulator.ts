/**
 * The shared base of the provider emulators: one HTTP server on 127.0.0.1 (a free port) per emulator, bounded
 * (bodies ≤ 20 MB, a request timeout, every socket destroyed by close()), recording every request, serving the
 * images it made at its own `filesPrefix`, and answering the routes of one `ProviderSpec` (one module per provider).
 *
 * Order of a request: record → GET of a stored image → route (unknown: the provider's 404) → key (the provider's 401)
 * → a queued "rate_limit" failure (image routes) → the route's handler, which validates and then asks `ctx.moderated()`
 * whether a queued "moderation" failure is due (so an invalid request does not use it up).
 */
import * as http from "node:http";
import type { Socket } from "node:net";
import { randomBytes } from "node:crypto";
import { getBoundary, parseMultipart } from "../multipart";
import { blackPng, makeImage, MIME, sniff, type ImageFormat } from "./images";

export type EmulatorId =
  | "openrouter"
  | "litellm"
  | "together"
  | "xai"
  | "gemini"
  | "deepinfra"
  | "siliconflow"
  | "zhipu"
  | "ark"
  | "ollama"
  | "localai"
  | "sdcpp"
  | "vllm-omni";

export interface EmulatedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  json?: any;
  form?: { name: string; filename?: string; contentType?: string; data: Buffer }[];
  at: number;
}

export type EditsKind = "multipart" | "json-field" | "input_references" | "none";
export type FailureKind = "rate_limit" | "moderation";

export interface ProviderEmulator {
  id: EmulatorId;
  /** what a user types as base URL: the provider's documented base URL, on 127.0.0.1 */
  baseUrl: string;
  /** the key it accepts (Bearer, unless the provider documents another header); wrong/missing key -> its 401 shape */
  apiKey: string;
  /** image model ids it serves (an unknown model -> its own 404/400 shape) */
  imageModels: string[];
  requests: EmulatedRequest[];
  /** the next `times` image requests answer with the provider's own rate-limit answer or content-policy refusal */
  failNext(kind: FailureKind, times?: number): void;
  edits: EditsKind;
  close(): Promise<void>;
}

export interface StartOptions {
  apiKey?: string;
}

/** An HTTP answer: JSON (`json`), text (`text`) or bytes (`body`). */
export interface Reply {
  status: number;
  json?: unknown;
  text?: string;
  body?: Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Ctx {
  req: EmulatedRequest;
  /** the JSON body when it is an object, else {} */
  body: Record<string, unknown>;
  /** the multipart parts, [] when not multipart */
  parts: NonNullable<EmulatedRequest["form"]>;
  /** the text fields of a multipart body (a later part with the same name wins) */
  fields: Record<string, string>;
  /** regexp groups of the matched route */
  params: string[];
  /** http://127.0.0.1:PORT */
  origin: string;
  /** keeps an image and gives the absolute URL the emulator serves it at (GET, no key needed) */
  store(data: Buffer, format: ImageFormat): string;
  /** a fresh seed, so images of one emulator differ */
  seed(): number;
  /** true (and used up) when a "moderation" failure is queued: the handler then answers with its refusal */
  moderated(): boolean;
}

export interface Route {
  method: "GET" | "POST";
  /** the full path (query excluded) */
  path: string | RegExp;
  /** a generation/edit route: queued failures apply */
  image?: boolean;
  /** default true */
  auth?: boolean;
  handle(ctx: Ctx): Reply | Promise<Reply>;
}

export interface ProviderSpec {
  id: EmulatorId;
  /** the path part of the documented base URL, e.g. "/api/v1" */
  basePath: string;
  defaultKey: string;
  imageModels: string[];
  edits: EditsKind;
  /** where stored images are served, default "/files/" */
  filesPrefix?: string;
  /** "none": the provider ignores the key (local servers) */
  auth: "bearer" | "none";
  routes: Route[];
  unauthorized(missing: boolean, key: string): Reply;
  notFound(method: string, path: string): Reply;
  /** the provider's 400-style error, used for malformed bodies too */
  error(status: number, message: string, param?: string): Reply;
  rateLimited(): Reply;
}

export const MAX_BODY_BYTES = 20 * 1024 * 1024;
export const REQUEST_TIMEOUT_MS = 30_000;
/** the largest side an emulator draws (bounded work per request) */
export const MAX_SIDE = 4096;

export const json = (status: number, body: unknown, headers?: Record<string, string>): Reply => ({ status, json: body, headers });

/** "1024x768" → {width, height}; undefined when not WxH or a side is outside 1..max. */
export function parseSize(value: unknown, max = MAX_SIDE): { width: number; height: number } | undefined {
  const m = typeof value === "string" ? /^(\d{1,5})x(\d{1,5})$/.exec(value) : null;
  if (!m) return undefined;
  const [width, height] = [Number(m[1]), Number(m[2])];
  return width >= 1 && height >= 1 && width <= max && height <= max ? { width, height } : undefined;
}

/** A `data:image/…;base64,…` URI holding real PNG/JPEG/WebP bytes → its bytes, else undefined. */
export function decodeDataUri(value: unknown): Buffer | undefined {
  const m = typeof value === "string" ? /^data:image\/(png|jpeg|jpg|webp);base64,([A-Za-z0-9+/=]+)$/.exec(value) : null;
  if (!m) return undefined;
  const data = Buffer.from(m[2], "base64");
  return sniff(data) ? data : undefined;
}

/** A data URI with an image, or an http(s) URL (not fetched: the emulator never goes out). */
export function isImageRef(value: unknown): boolean {
  return decodeDataUri(value) !== undefined || (typeof value === "string" && /^https?:\/\/\S+$/.test(value));
}

/** `n` images of one size; `black`: all-black PNGs, what a diffusers safety checker hands back for a flagged image. */
export function draw(ctx: Ctx, n: number, size: { width: number; height: number }, format: ImageFormat = "png", black = false): Buffer[] {
  return Array.from({ length: n }, () =>
    black ? blackPng(size.width, size.height) : makeImage(format, size.width, size.height, ctx.seed()),
  );
}

/** "16:9" with a long side → {width, height} (the long side kept, the short one rounded); undefined when not "W:H". */
export function aspectSize(ratio: unknown, longSide: number): { width: number; height: number } | undefined {
  const m = typeof ratio === "string" ? /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(ratio) : null;
  if (!m || Number(m[1]) <= 0 || Number(m[2]) <= 0) return undefined;
  const [w, h] = [Number(m[1]), Number(m[2])];
  return w >= h
    ? { width: longSide, height: Math.max(1, Math.round((longSide * h) / w)) }
    : { width: Math.max(1, Math.round((longSide * w) / h)), height: longSide };
}

export const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

export const isInt = (v: unknown, min: number, max: number): v is number =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

class Emulator implements ProviderEmulator {
  readonly id: EmulatorId;
  readonly imageModels: string[];
  readonly edits: EditsKind;
  readonly requests: EmulatedRequest[] = [];
  readonly apiKey: string;
  baseUrl = "";
  private origin = "";
  private readonly server = http.createServer();
  private readonly sockets = new Set<Socket>();
  private readonly files = new Map<string, { data: Buffer; format: ImageFormat }>();
  private readonly failures: FailureKind[] = [];
  private seedCounter = 0;

  constructor(
    private readonly spec: ProviderSpec,
    opts: StartOptions,
  ) {
    this.id = spec.id;
    this.imageModels = [...spec.imageModels];
    this.edits = spec.edits;
    this.apiKey = opts.apiKey ?? spec.defaultKey;
    this.server.requestTimeout = REQUEST_TIMEOUT_MS;
    this.server.headersTimeout = 10_000;
    this.server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.once("close", () => this.sockets.delete(s));
    });
    this.server.on("request", (req, res) => {
      this.serve(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.send(res, { status: 500, text: `emulator error: ${String(err)}` });
        else res.destroy();
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = this.server.address() as { port: number };
    this.origin = `http://127.0.0.1:${port}`;
    this.baseUrl = this.origin + this.spec.basePath;
  }

  failNext(kind: FailureKind, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push(kind);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.origin);
    const method = req.method ?? "GET";
    const { raw, tooLarge } = await readBody(req);
    const rec: EmulatedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...req.headers },
      at: Date.now(),
    };
    this.requests.push(rec);
    if (tooLarge) return this.send(res, this.spec.error(413, `Request body larger than ${MAX_BODY_BYTES} bytes`), true);
    const parsed = parseBody(method, req.headers["content-type"], raw, rec); // recorded even when refused below

    const prefix = this.spec.filesPrefix ?? "/files/";
    const file = method === "GET" && url.pathname.startsWith(prefix) ? this.files.get(url.pathname.slice(prefix.length)) : undefined;
    if (file) return this.send(res, { status: 200, body: file.data, contentType: MIME[file.format] });

    let params: string[] = [];
    const route = this.spec.routes.find((r) => {
      if (r.method !== method) return false;
      if (typeof r.path === "string") return r.path === url.pathname;
      const m = r.path.exec(url.pathname);
      params = m ? m.slice(1) : [];
      return m !== null;
    });
    if (!route) return this.send(res, this.spec.notFound(method, url.pathname));

    if (route.auth !== false && this.spec.auth === "bearer") {
      const header = req.headers.authorization;
      const key = typeof header === "string" && /^Bearer /i.test(header) ? header.slice(7).trim() : undefined;
      if (key !== this.apiKey) return this.send(res, this.spec.unauthorized(key === undefined, key ?? ""));
    }

    const ctx: Ctx = { req: rec, body: {}, parts: [], fields: {}, params, origin: this.origin, ...this.helpers() };
    if (parsed.error !== undefined) return this.send(res, this.spec.error(400, parsed.error));
    if (rec.json !== undefined) ctx.body = rec.json as Record<string, unknown>;
    if (rec.form) ctx.parts = rec.form;
    for (const p of ctx.parts) if (p.filename === undefined) ctx.fields[p.name] = p.data.toString("utf8");

    if (route.image && this.failures[0] === "rate_limit") {
      this.failures.shift();
      return this.send(res, this.spec.rateLimited());
    }
    this.send(res, await route.handle(ctx));
  }

  private helpers(): Pick<Ctx, "store" | "seed" | "moderated"> {
    return {
      store: (data, format) => {
        const name = `${randomBytes(8).toString("hex")}.${format === "jpeg" ? "jpg" : format}`;
        this.files.set(name, { data, format });
        return `${this.origin}${this.spec.filesPrefix ?? "/files/"}${name}`;
      },
      seed: () => ++this.seedCounter,
      moderated: () => {
        if (this.failures[0] !== "moderation") return false;
        this.failures.shift();
        return true;
      },
    };
  }

  private send(res: http.ServerResponse, reply: Reply, closeConnection = false): void {
    let body: Buffer;
    let type: string;
    if (reply.body) [body, type] = [reply.body, reply.contentType ?? "application/octet-stream"];
    else if (reply.text !== undefined) [body, type] = [Buffer.from(reply.text), reply.contentType ?? "text/plain; charset=utf-8"];
    else [body, type] = [Buffer.from(JSON.stringify(reply.json ?? null)), reply.contentType ?? "application/json"];
    const headers: Record<string, string | number> = { "content-type": type, "content-length": body.length, ...reply.headers };
    if (closeConnection) headers.connection = "close";
    res.writeHead(reply.status, headers);
    res.end(body);
  }
}

/** Fills rec.json (a JSON object) or rec.form (multipart); `error` says why the body is malformed. */
function parseBody(method: string, contentType: string | undefined, raw: Buffer, rec: EmulatedRequest): { error?: string } {
  const type = (contentType ?? "").toLowerCase();
  if (method !== "POST") return {};
  if (type.startsWith("application/json")) {
    try {
      rec.json = JSON.parse(raw.toString("utf8"));
    } catch {
      return { error: "Invalid JSON body" };
    }
    const ok = rec.json !== null && typeof rec.json === "object" && !Array.isArray(rec.json);
    return ok ? {} : { error: "The body must be a JSON object" };
  }
  if (type.startsWith("multipart/form-data")) {
    try {
      rec.form = parseMultipart(raw, getBoundary(contentType));
    } catch (err) {
      return { error: (err as Error).message };
    }
  }
  return {};
}

async function readBody(req: http.IncomingMessage): Promise<{ raw: Buffer; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  return { raw: Buffer.concat(chunks), tooLarge: total > MAX_BODY_BYTES };
}

export async function startSpec(spec: ProviderSpec, opts: StartOptions = {}): Promise<ProviderEmulator> {
  const emulator = new Emulator(spec, opts);
  await emulator.listen();
  return emulator;
}
