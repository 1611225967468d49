/**
 * The HTTP client of one config node: one undici dispatcher (connection pool, proxy from
 * HTTP(S)_PROXY / NO_PROXY), the SDK's retry policy, a whole-request timeout, a shared
 * concurrency limit, and URL downloads that never carry the key to another origin.
 */
import { EventEmitter } from "node:events";
import { Readable } from "node:stream";
import { request, type Dispatcher } from "undici";
import { errorFromAnswer, transportError, tryJson } from "./http-errors";
import { abortedError, formatBytes, ImagesApiError, isImagesApiError } from "../errors";
import { Limiter, type RunHooks } from "./limiter";
import { headerValue, retryDelayMs, retryLoop, type Attempted, type Headers } from "./retry";
import { apiHeaders, apiUrl, authHeaders, endpointFor, modelsUrl, type Endpoint, type EndpointOptions, type Operation } from "./endpoint";
import { openAiList } from "../providers/wire-helpers";
import { providerFor, type Profile } from "../providers";
import { isImageModel } from "../models/table";
import type { ArrayStyle, Multipart } from "../check/multipart";
import { SseParser, type SseEvent } from "./sse";
import { JsonImagesReader } from "../answer/json-images";
import { releaseChunk } from "../answer/release-chunk";
import { RateGate, type Pass } from "./rate-gate";
import { createDispatcher, PROXY_ERROR_CODE, type PoolOptions } from "./proxy-connect";
import { BoundedCache } from "../util/bounded-cache";
import { readAll, readCapped } from "./read-body";
import { downloadImage, type DownloadSetup } from "./download";
import { classifyHost, publicOnlyLookup } from "./address-policy";

/** where to call and how to authenticate (EndpointOptions), plus how to behave */
export interface ClientOptions extends EndpointOptions {
  /** per attempt, body included */
  timeoutMs?: number;
  maxRetries?: number;
  concurrency?: number;
  queueLimit?: number;
  /** largest answer read into memory: a JSON answer, a whole stream, or all downloads of one answer together */
  maxResponseBytes?: number;
  /** largest single image: a decoded b64_json, a streamed event, a download */
  maxImageBytes?: number;
  /**
   * Send an image request again when its outcome is unknown (the time ran out, or the connection was lost after the
   * request had been sent): the first may have made and billed the image. Off by default.
   */
  retryUnknownOutcome?: boolean;
  /** how several edit images go on the wire: repeated image[] (OpenAI) or repeated image (some gateways) */
  arrayStyle?: ArrayStyle;
}

/** the most of an error answer read (its message is in the first few hundred bytes) */
const ERROR_BODY_MAX = 4 * 1024 * 1024;

export const CLIENT_DEFAULTS = {
  timeoutMs: 600_000,
  maxRetries: 2,
  concurrency: 4,
  queueLimit: 1000,
  // sizes a Raspberry Pi with 1 GB survives; the config node's maxAnswerMB / maxImageMB change them
  maxResponseBytes: 200 * 1024 * 1024,
  maxImageBytes: 50 * 1024 * 1024,
} as const;

/** A multipart body is its parts (the images among them as they are), sent one after the other. */
export type RequestBody = { kind: "json"; data: unknown } | ({ kind: "multipart" } & Multipart);

export interface ApiCall extends RunHooks {
  op: Operation;
  model: string;
  body: RequestBody;
  /** called before each HTTP attempt (1-based) */
  onAttempt?: (attempt: number) => void;
  /**
   * called when the next attempt has to wait, with how long and why ("HTTP 429", "network_error", …):
   * before a retry (the server's Retry-After, or the backoff), and while the rate gate holds a request
   * back after a 429 (this request's or another's of the same client)
   */
  onRetryWait?: (wait: { ms: number; reason: string }) => void;
  /** set for streamed requests: receives each server-sent event as it arrives, its data read by a JsonImagesReader */
  onEvent?: (event: SseEvent<JsonImagesReader>) => void;
  /** where an event's data goes as it arrives (undefined: skip it); default: a JsonImagesReader for every event */
  openEvent?: (event: string | undefined) => JsonImagesReader | undefined;
}

export interface RestRequest {
  method: "GET" | "POST" | "DELETE";
  /** below the base URL, e.g. "files" or "batches/batch_abc/cancel" */
  path: string;
  body?: RequestBody;
  /** hand over a 2xx answer's body unread */
  stream?: boolean;
  signal?: AbortSignal;
  onRetryWait?: (wait: { ms: number; reason: string }) => void;
}

export interface RestAnswer {
  status: number;
  headers: Headers;
  requestId?: string;
  /** the parsed body (undefined when it was not JSON) */
  json?: unknown;
  /** with `stream`: the unread body */
  stream?: Readable;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  contentType: string;
  /** how many body bytes arrived */
  size: number;
  /** the body, read as it arrived: JSON with every b64_json already decoded (JsonImagesReader.end()) */
  reader: JsonImagesReader;
  requestId?: string;
  attempts: number;
  /** the answer came as server-sent events (already handed to onEvent); body is empty */
  streamed?: boolean;
}

export class ImagesClient {
  readonly limiter: Limiter;
  /** after a 429, holds every attempt of this client until the server's time, then lets them go one by one */
  readonly gate = new RateGate();
  private requestSeq = 0;
  readonly options: Required<Pick<ClientOptions, keyof typeof CLIENT_DEFAULTS>> & ClientOptions;
  private readonly dispatcher: Dispatcher;
  private readonly pool: PoolOptions;

  constructor(options: ClientOptions) {
    // the key as it is sent (a pasted key or an env value may end in a line break): the key filter looks for that one
    const apiKey = options.apiKey?.trim() || undefined;
    this.options = { ...CLIENT_DEFAULTS, ...stripUndefined({ ...options, apiKey }), baseUrl: options.baseUrl };
    this.profile = providerFor(this.options);
    this.secrets = [apiKey, ...Object.values(options.secretHeaders ?? {})].filter(
      (v): v is string => typeof v === "string" && v.length >= 4,
    );
    const base = parseBaseUrl(options.baseUrl);
    this.downloads.apiOrigin = base.origin;
    this.downloads.timeoutMs = this.options.timeoutMs;
    const t = this.options.timeoutMs;
    // undici's own header/body timeouts (5 min by default) must not cut a long render short:
    // the whole-request timer below is the one that counts.
    this.pool = { headersTimeout: t + 1000, bodyTimeout: t + 1000, keepAliveTimeout: 10_000, connectTimeout: Math.min(10_000, t) };
    // HTTP(S)_PROXY / NO_PROXY are read once, here; a proxy failure ends the attempt in one coded
    // error, within the connect timeout (undici ignores an abort while it connects)
    this.dispatcher = createDispatcher(this.pool);
    this.limiter = new Limiter(Math.max(1, this.options.concurrency), Math.max(0, this.options.queueLimit));
  }

  /** Replaces the API key wherever it might appear in text shown to users. */
  redact = (text: string): string => {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join("***");
    return out;
  };

  /** the key and the secret headers' values, as sent: what redact() hides wherever text leaves the node */
  private readonly secrets: string[];

  /** The config node's provider profile (providers/): paths, auth header, parameter and answer shapes; picked once. */
  readonly profile: Profile;

  endpoint(op: Operation, model: string): Endpoint {
    return endpointFor(this.options, op, model);
  }

  /** Where each (operation, model) goes and with which headers: worked out once, not per request. */
  private readonly routes = new BoundedCache<Route>(64);

  private route(op: Operation, model: string): Route {
    return this.routes.get(`${op}\n${model}`, () => {
      const endpoint = this.endpoint(op, model);
      const url = new URL(endpoint.url);
      return {
        origin: url.origin,
        path: url.pathname + url.search,
        headers: endpoint.headers,
        jsonHeaders: { ...endpoint.headers, "content-type": "application/json" },
      };
    });
  }

  /** Sends one Images API request: queued behind the concurrency limit, retried per the SDK policy. */
  call(call: ApiCall): Promise<ApiAnswer> {
    return this.limiter.run(() => this.withRetries(call), call);
  }

  private withRetries(call: ApiCall): Promise<ApiAnswer> {
    const route = this.route(call.op, call.model);
    // serialised once: every attempt sends the same bytes
    const payload = call.body.kind === "json" ? JSON.stringify(call.body.data) : call.body;
    // the request's age: after a 429, waiting attempts go oldest first
    const order = this.requestSeq++;
    return retryLoop((n) => this.attempt(route, call, payload, n, order), {
      maxRetries: this.options.maxRetries,
      signal: call.signal,
      onRetryWait: call.onRetryWait,
      aborted,
    });
  }

  private async attempt(
    route: Route,
    call: ApiCall,
    payload: string | Multipart,
    attempt: number,
    order: number,
  ): Promise<Attempted<ApiAnswer>> {
    let pass: Pass;
    try {
      const entered = this.gate.enter(order, call.signal);
      if (entered instanceof Promise) {
        // held back by a 429 (this request's or another's): say so while it waits
        call.onRetryWait?.({ ms: this.gate.waitMs(), reason: "HTTP 429" });
        pass = await entered;
      } else pass = entered;
    } catch {
      throw aborted(attempt - 1);
    }
    call.onAttempt?.(attempt);
    // one cheap abort source per attempt for undici (an EventEmitter): the whole-request timer and
    // the caller's signal both fire it (AbortController + AbortSignal.any cost more than the rest of
    // a small request's client-side work)
    const abort = new AttemptAbort();
    const timeout = setTimeout(() => abort.fire(true), this.options.timeoutMs);
    const onCallerAbort = () => abort.fire(false);
    if (call.signal?.aborted) abort.fire(false);
    else call.signal?.addEventListener("abort", onCallerAbort, { once: true });
    // a multipart body says when undici has taken all of it; a JSON body goes with the headers as soon as the
    // connection stands (sentBy): from then on a failure leaves the outcome unknown
    const sent = { done: false };
    try {
      const res = await this.dispatcher.request({
        origin: route.origin,
        path: route.path,
        method: "POST",
        headers: requestHeaders(route, call),
        body: typeof payload === "string" ? payload : bodyWithReceipt(payload, sent),
        signal: abort,
      });
      if (res.statusCode !== 429) pass.release();
      const requestId = headerValue(res.headers, "x-request-id");
      const contentType = headerValue(res.headers, "content-type") ?? "";
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      if (ok && call.onEvent && /^text\/event-stream/i.test(contentType)) {
        const delivered = await this.readEvents(res.body, call, attempt, abort);
        if ("error" in delivered) return delivered;
        return {
          value: {
            status: res.statusCode,
            headers: res.headers,
            contentType,
            size: 0,
            reader: new JsonImagesReader(),
            requestId,
            attempts: attempt,
            streamed: true,
          },
        };
      }
      if (ok) {
        // decoded while it arrives: n large images never sit in memory as base64 text
        const length = Number(headerValue(res.headers, "content-length"));
        const known = Number.isFinite(length) && length <= this.options.maxResponseBytes ? length : undefined;
        const reader = new JsonImagesReader(undefined, known, undefined, this.options.maxImageBytes);
        const size = await readCapped(res.body, this.options.maxResponseBytes, (chunk) => {
          reader.push(chunk);
          if (!reader.holdsChunks) releaseChunk(chunk); // decoded: its bytes are no longer needed
        });
        return { value: { status: res.statusCode, headers: res.headers, contentType, size, reader, requestId, attempts: attempt } };
      }
      const { error, retryable } = this.errorOf({ ...res, body: await readAll(res.body, ERROR_BODY_MAX) }, attempt);
      if (res.statusCode !== 429 || !retryable) return { error, retryable, headers: res.headers };
      // rate-limited: every request of this client holds back until the server's time
      pass.limited(retryDelayMs(res.headers, attempt - 1));
      return { error, retryable, headers: res.headers, gated: true };
    } catch (err) {
      const refused = readingFailure(err, attempt);
      if (refused) return { error: refused, retryable: false };
      const wasSent = typeof payload === "string" ? !failedToConnect(err) : sent.done;
      if (call.signal?.aborted) throw wasSent ? unknownOutcome(aborted(attempt), false) : aborted(attempt);
      const error = transportError(err, abort.timedOut, this.options.timeoutMs, { attempts: attempt });
      if (wasSent && !this.options.retryUnknownOutcome) return { error: unknownOutcome(error, true), retryable: false };
      return { error, retryable: true };
    } finally {
      clearTimeout(timeout);
      call.signal?.removeEventListener("abort", onCallerAbort);
      pass.release(); // no-op once settled
    }
  }

  /**
   * Hands each server-sent event to onEvent as it arrives, its data decoded while it arrives. Each event
   * is capped at maxImageBytes, the whole stream at maxResponseBytes. A connection that breaks before the
   * first event may be retried; after that, messages have left the node, so it may not.
   */
  private async readEvents(
    body: AsyncIterable<Buffer>,
    call: ApiCall,
    attempt: number,
    timer: AttemptAbort,
  ): Promise<{ ok: true } | { error: ImagesApiError; retryable: boolean }> {
    const { signal } = call;
    const onEvent = call.onEvent as NonNullable<ApiCall["onEvent"]>;
    const { maxImageBytes, maxResponseBytes } = this.options;
    let delivered = 0;
    const parser = new SseParser<JsonImagesReader>(
      (event) => {
        delivered++;
        try {
          onEvent(event);
        } catch (err) {
          // the event's handling failed, not the connection: never a network_error
          if (isImagesApiError(err)) throw err;
          throw new ImagesApiError(
            "api_error",
            `a streamed event could not be handled: ${err instanceof Error ? err.message : String(err)}`,
            {
              attempts: attempt,
            },
          );
        }
        // an event holds one image as base64 (4/3 of its bytes) and a little JSON: the decoded image is capped inside
      },
      {
        maxEventBytes: Math.ceil((maxImageBytes * 4) / 3) + 64 * 1024,
        capMeaning: `an image over ${formatBytes(maxImageBytes)}, the largest image this client takes, as base64`,
        open: call.openEvent ?? (() => new JsonImagesReader(undefined, undefined, undefined, maxImageBytes)),
      },
    );
    let size = 0;
    try {
      for await (const chunk of body) {
        size += chunk.length;
        if (size > maxResponseBytes) {
          throw new ImagesApiError(
            "api_error",
            `the image stream is larger than ${formatBytes(maxResponseBytes)}, the most this client reads for one answer; refusing to read more`,
            { attempts: attempt },
          );
        }
        parser.push(chunk);
        if (!parser.holdsChunks) releaseChunk(chunk); // decoded: its bytes are no longer needed
      }
      parser.end();
      return { ok: true };
    } catch (err) {
      const refused = readingFailure(err, attempt);
      if (refused) return { error: refused, retryable: false };
      if (signal?.aborted) throw aborted(attempt);
      const error = transportError(err, timer.timedOut, this.options.timeoutMs, { attempts: attempt });
      // the server was answering: the image may have been made and billed
      if (!this.options.retryUnknownOutcome || delivered > 0) return { error: unknownOutcome(error, true), retryable: false };
      return { error, retryable: true };
    }
  }

  /**
   * Downloads an image URL the API answered with (download.ts: the key only to the API's origin, non-public
   * hosts only when the base URL is on one, the bytes must be an image), at most `maxBytes` (the largest image).
   */
  download(url: string, signal?: AbortSignal, maxBytes = this.options.maxImageBytes): Promise<Buffer> {
    return downloadImage(this.downloads, url, maxBytes, signal);
  }

  private readonly downloads: DownloadSetup = {
    apiOrigin: "",
    authHeaders: () => authHeaders(this.options),
    timeoutMs: 0,
    route: () => {
      if (!this.downloadRoute || Date.now() > this.downloadRouteUntil) this.downloadRoute = this.pickDownloadRoute();
      return this.downloadRoute;
    },
  };
  private downloadRoute: ReturnType<DownloadSetup["route"]> | undefined;
  /** until when the route holds: for good once the base URL's host is known, a minute after a DNS failure */
  private downloadRouteUntil = Infinity;
  private downloadDispatcher: Dispatcher | undefined;

  /**
   * Downloads share the API's pool when the base URL is itself on a non-public address (a LocalAI on the LAN);
   * otherwise they get a pool of their own whose connections refuse names that resolve to non-public addresses.
   */
  private async pickDownloadRoute(): Promise<{ dispatcher: Dispatcher; nonPublicAllowed: boolean }> {
    const where = await classifyHost(new URL(this.options.baseUrl).hostname);
    // a name that did not resolve (a DNS hiccup, or no DNS behind a proxy) counts as public, and is asked again in a
    // minute: not before every download, which would wait for DNS each time
    this.downloadRouteUntil = where === "unknown" ? Date.now() + 60_000 : Infinity;
    if (where === "non-public") return { dispatcher: this.dispatcher, nonPublicAllowed: true };
    this.downloadDispatcher ??= createDispatcher({ ...this.pool, lookup: publicOnlyLookup as never });
    return { dispatcher: this.downloadDispatcher, nonPublicAllowed: false };
  }

  /**
   * Checks the connection and the key: GET the server's model list. Resolves with the image
   * models it offers; rejects with the same coded errors as image requests (auth_failed, …).
   */
  async listModels(timeoutMs = 15_000): Promise<{ imageModels: string[]; total: number; noList?: string }> {
    const profile = this.profile;
    const url = modelsUrl(this.options);
    // a provider without a model list: nothing to ask (the dialog says so; image requests still work)
    if (!url) return { imageModels: [], total: 0, noList: profile.name };
    const signal = AbortSignal.timeout(timeoutMs);
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, { method: "GET", dispatcher: this.dispatcher, headers: apiHeaders(this.options), signal });
    } catch (err) {
      throw transportError(err, signal.aborted, timeoutMs, { attempts: 1 });
    }
    const body = await readAll(res.body, ERROR_BODY_MAX);
    if (res.statusCode !== 200) {
      const hint = res.statusCode === 404 ? modelListMissing(url, profile.auth === "api-key") : undefined;
      throw this.errorOf({ ...res, body }, 1, hint).error;
    }
    const json = tryJson(body);
    const list = profile.models?.read ? profile.models.read(json) : openAiList(json);
    const images = list.imageIds ?? list.ids.filter(isImageModel);
    return { imageModels: [...images].sort(), total: list.ids.length };
  }

  /** An error answer as a coded error, with the profile's own words for a refusal. */
  errorOf(answer: Parameters<typeof errorFromAnswer>[0], attempts: number, hint?: string): ReturnType<typeof errorFromAnswer> {
    return errorFromAnswer(answer, attempts, this.redact, hint, this.profile.refusals);
  }

  /**
   * Any other request to the API (Files, Batches): `path` below the base URL ("files", "batches/ID"). Retried
   * like image requests (408/409/429/5xx and connection errors, the server's Retry-After honoured), outside
   * the image queue. With `stream`, a 2xx answer's body is handed over unread (a large file's content);
   * otherwise the body is read (capped) and JSON-parsed. Non-2xx answers throw the usual coded errors.
   */
  async rest(req: RestRequest): Promise<RestAnswer> {
    const url = new URL(apiUrl(this.options, req.path));
    const headers: Record<string, string> = { ...apiHeaders(this.options), ...(req.body ? contentHeaders(req.body) : {}) };
    if (req.stream) headers.accept = "*/*";
    const payload = req.body ? (req.body.kind === "json" ? JSON.stringify(req.body.data) : req.body) : undefined;
    const once = async (attempt: number): Promise<Attempted<RestAnswer>> => {
      const timer = new AbortController();
      const timeout = setTimeout(() => timer.abort(), this.options.timeoutMs);
      const signal = req.signal ? AbortSignal.any([req.signal, timer.signal]) : timer.signal;
      try {
        const res = await request(url, {
          method: req.method,
          dispatcher: this.dispatcher,
          headers,
          body: payload === undefined ? undefined : bodyOf(payload),
          signal,
        });
        const requestId = headerValue(res.headers, "x-request-id");
        if (res.statusCode < 200 || res.statusCode >= 300) {
          return {
            ...this.errorOf({ ...res, body: await readAll(res.body, ERROR_BODY_MAX) }, attempt),
            headers: res.headers,
          };
        }
        const answer = { status: res.statusCode, headers: res.headers, requestId };
        if (req.stream) {
          // handed over unread: the caller's own reading is not bounded by this attempt's timer
          clearTimeout(timeout);
          return { value: { ...answer, stream: res.body } };
        }
        return { value: { ...answer, json: tryJson(await readAll(res.body, this.options.maxResponseBytes)) } };
      } catch (err) {
        if (isImagesApiError(err)) throw err;
        if (req.signal?.aborted) throw aborted(attempt);
        return { error: transportError(err, timer.signal.aborted, this.options.timeoutMs, { attempts: attempt }), retryable: true };
      } finally {
        clearTimeout(timeout);
      }
    };
    return retryLoop(once, { maxRetries: this.options.maxRetries, signal: req.signal, onRetryWait: req.onRetryWait, aborted });
  }

  /** Closes the pool: in-flight requests end with an error, idle sockets are closed. */
  async close(): Promise<void> {
    this.gate.close(aborted(0));
    await this.dispatcher.destroy().catch(() => undefined);
    if (this.downloadDispatcher && this.downloadDispatcher !== this.dispatcher)
      await this.downloadDispatcher.destroy().catch(() => undefined);
  }
}

/** An endpoint ready for undici: origin and path apart, the usual JSON headers built once. */
interface Route {
  origin: string;
  path: string;
  headers: Record<string, string>;
  jsonHeaders: Record<string, string>;
}

function requestHeaders(route: Route, call: ApiCall): Record<string, string> {
  if (call.body.kind === "json" && !call.onEvent) return route.jsonHeaders;
  return {
    ...route.headers,
    ...(call.onEvent ? { accept: "text/event-stream" } : {}),
    ...contentHeaders(call.body),
  };
}

/**
 * What a 404 of the model list means: nothing at that URL, which is about the base URL (or, on Azure, the
 * resource endpoint and api-version), not about a model or deployment; and some gateways list no models at all.
 */
function modelListMissing(url: string, azure: boolean): string {
  const where = azure
    ? "check the resource endpoint (https://<resource>.openai.azure.com) and the api-version"
    : "check the base URL: OpenAI's is https://api.openai.com/v1, and most gateways' end in /v1";
  return `GET ${url} found no model list: ${where}. Some gateways offer no model list at all; image requests may still work there`;
}

/** The content headers of a body: JSON, or multipart with its boundary and length (sent as parts, so undici cannot count it). */
function contentHeaders(body: RequestBody): Record<string, string> {
  return body.kind === "json"
    ? { "content-type": "application/json" }
    : { "content-type": body.contentType, "content-length": String(body.length) };
}

/**
 * What undici sends for a body: JSON text as it is; a multipart body as its parts one after the other, a fresh
 * pass over the same Buffers for every attempt (undici waits for the socket to drain between them, and checks
 * the bytes sent against the content-length).
 */
function bodyOf(payload: string | Multipart): string | Readable {
  return typeof payload === "string" ? payload : Readable.from(payload.parts, { objectMode: false });
}

/** A multipart body as a stream that says when undici has taken all of it (`sent.done`). */
function bodyWithReceipt(payload: Multipart, sent: { done: boolean }): Readable {
  const body = Readable.from(payload.parts, { objectMode: false });
  body.once("end", () => {
    sent.done = true;
  });
  return body;
}

/** errors of a connection that never stood: nothing of the request reached the server */
const CONNECT_FAILURES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
  PROXY_ERROR_CODE,
]);

function failedToConnect(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } } | undefined;
  return CONNECT_FAILURES.has(e?.code ?? "") || CONNECT_FAILURES.has(e?.cause?.code ?? "");
}

/** An error of a request whose outcome is unknown: it says the image may have been billed, and why it is not sent again. */
function unknownOutcome(error: ImagesApiError, tellOption: boolean): ImagesApiError {
  const why = tellOption ? ' (the config node\'s "retry when the outcome is unknown" allows that)' : "";
  return new ImagesApiError(
    error.code,
    `${error.message}; the request had been sent, so the image may have been made and billed: it is not sent again${why}`,
    { ...error.cause, outcomeUnknown: true, retryable: false },
  );
}

/**
 * The `signal` undici gets for one attempt: undici takes an EventEmitter with `aborted` and an
 * "abort" event. `timedOut` tells the whole-request timer from the caller's cancel.
 */
class AttemptAbort extends EventEmitter {
  aborted = false;
  timedOut = false;

  fire(timedOut: boolean): void {
    if (this.aborted) return;
    this.aborted = true;
    this.timedOut = timedOut;
    this.emit("abort");
  }
}

/**
 * A failure of our own while reading an answer, not of the connection: a coded error (a refused event,
 * an answer too large) or a RangeError (a size cap of the readers). Never retried.
 */
function readingFailure(err: unknown, attempts: number): ImagesApiError | undefined {
  if (isImagesApiError(err)) return err;
  if (err instanceof RangeError) return new ImagesApiError("api_error", err.message, { attempts });
  return undefined;
}

const aborted = abortedError;

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== "")) as Partial<T>;
}

export function parseBaseUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new ImagesApiError("invalid_params", `base URL ${JSON.stringify(baseUrl)} is not a URL; use e.g. https://api.openai.com/v1`, {
      parameter: "baseUrl",
    });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ImagesApiError("invalid_params", `base URL must start with http:// or https://, got ${url.protocol}`, {
      parameter: "baseUrl",
    });
  }
  return url;
}
