/**
 * The undici dispatcher of a client, with HTTP(S)_PROXY / NO_PROXY honoured through a CONNECT tunnel
 * of our own. undici's ProxyAgent reconnects without end when a proxy closes or resets the connection
 * after the CONNECT (it takes that for a recoverable socket error); here every way a proxy can fail is
 * one ProxyError that fails the request, so each attempt costs exactly one connection, within the
 * connect timeout.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import { Agent, buildConnector, type Dispatcher } from "undici";
import { formatDuration, ImagesApiError } from "../errors";

/** `code` of a ProxyError: not UND_ERR_SOCKET / UND_ERR_INFO, so undici fails the request instead of reconnecting */
export const PROXY_ERROR_CODE = "IMAGES_API_PROXY";

/** the largest CONNECT answer head read */
const MAX_HEAD_BYTES = 16 * 1024;

export interface PoolOptions {
  headersTimeout?: number;
  bodyTimeout?: number;
  keepAliveTimeout?: number;
  /** how long opening a connection may take: TCP, the proxy's CONNECT answer and TLS together (default 10 s) */
  connectTimeout?: number;
  /** TLS options for https targets and https proxies (e.g. a test CA) */
  tls?: tls.ConnectionOptions;
  /** resolves names for direct connections (downloads refuse non-public addresses with it); through a proxy, the proxy resolves */
  lookup?: net.LookupFunction;
}

export type ProxyEnv = Record<string, string | undefined>;

/** A proxy that failed to open a tunnel; the message names it without its credentials. */
export class ProxyError extends Error {
  readonly code = PROXY_ERROR_CODE;

  constructor(
    /** the proxy as protocol://host:port */
    readonly proxy: string,
    what: string,
  ) {
    super(`the proxy ${proxy} ${what}`);
    this.name = "ProxyError";
  }
}

export function isProxyError(err: unknown): err is ProxyError {
  return err instanceof Error && (err as { code?: unknown }).code === PROXY_ERROR_CODE;
}

interface Proxy {
  url: URL;
  /** protocol://host:port, no credentials */
  name: string;
  port: number;
  authorization?: string;
}

/** The pool of a client: through the proxy the environment names for a target, else direct. */
export function createDispatcher(pool: PoolOptions, env: ProxyEnv = process.env): Dispatcher {
  const { connectTimeout = 10_000, tls: tlsOptions, lookup, ...agentOptions } = pool;
  const routes = new ProxyRoutes(env);
  const directOptions = { timeout: connectTimeout, ...(lookup ? { lookup } : {}), ...tlsOptions };
  if (!routes.any) return new Agent({ ...agentOptions, connect: directOptions });
  const direct = buildConnector(directOptions);
  const connect: buildConnector.connector = (target, callback) => {
    const proxy = routes.for(target.protocol, target.hostname, portOf(target.protocol, target.port));
    if (proxy) openTunnel(proxy, target, connectTimeout, tlsOptions, callback);
    else direct(target, callback);
  };
  return new Agent({ ...agentOptions, connect });
}

/** Which proxy a target goes through, read from the environment as undici's EnvHttpProxyAgent reads it. */
export class ProxyRoutes {
  private readonly http?: Proxy;
  private readonly https?: Proxy;
  private readonly bypassAll: boolean;
  private readonly bypass: { host: string; port: number }[] = [];

  constructor(env: ProxyEnv) {
    this.http = parseProxy(env.http_proxy ?? env.HTTP_PROXY, "HTTP_PROXY");
    this.https = parseProxy(env.https_proxy ?? env.HTTPS_PROXY, "HTTPS_PROXY") ?? this.http;
    const noProxy = env.no_proxy ?? env.NO_PROXY ?? "";
    this.bypassAll = noProxy.trim() === "*";
    for (const entry of noProxy.split(/[,\s]/)) {
      if (!entry) continue;
      const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry) ?? (entry.split(":").length > 2 ? null : /^(.+?)(?::(\d+))?$/.exec(entry));
      const host = (m ? m[1] : entry).replace(/^\*?\./, "").toLowerCase();
      this.bypass.push({ host, port: m?.[2] ? Number(m[2]) : 0 });
    }
  }

  get any(): boolean {
    return Boolean(this.http || this.https);
  }

  /** the proxy for protocol ("http:"/"https:"), hostname (IPv6 without brackets) and port, or undefined for direct */
  for(protocol: string, hostname: string, port: number): Proxy | undefined {
    const proxy = protocol === "https:" ? this.https : this.http;
    if (!proxy || this.bypassAll) return undefined;
    const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
    const bypassed = this.bypass.some((b) => (!b.port || b.port === port) && (host === b.host || host.endsWith(`.${b.host}`)));
    return bypassed ? undefined : proxy;
  }
}

function parseProxy(value: string | undefined, variable: string): Proxy | undefined {
  if (!value) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname) {
    // the value may hold a password: not quoted
    throw new ImagesApiError(
      "invalid_params",
      `the ${variable} environment variable is not an http:// or https:// proxy URL; set it like http://proxy.example:3128 or remove it`,
      { parameter: variable },
    );
  }
  const port = portOf(url.protocol, url.port);
  const user = url.username || url.password ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined;
  return {
    url,
    name: `${url.protocol}//${url.hostname}:${port}`,
    port,
    authorization: user === undefined ? undefined : `Basic ${Buffer.from(user).toString("base64")}`,
  };
}

function portOf(protocol: string, port: string | number | undefined): number {
  return Number(port) || (protocol === "https:" ? 443 : 80);
}

/**
 * Opens a socket to the proxy, asks it for a tunnel to the target, and hands the tunnel (TLS-wrapped for
 * an https target) to undici; any failure, or no tunnel within timeoutMs, is one ProxyError.
 */
function openTunnel(
  proxy: Proxy,
  target: buildConnector.Options,
  timeoutMs: number,
  tlsOptions: tls.ConnectionOptions | undefined,
  callback: buildConnector.Callback,
): void {
  const hostname = target.hostname.replace(/^\[|\]$/g, "");
  const port = portOf(target.protocol, target.port);
  const authority = net.isIPv6(hostname) ? `[${hostname}]:${port}` : `${hostname}:${port}`;
  const proxyHost = proxy.url.hostname.replace(/^\[|\]$/g, "");
  const secureProxy = proxy.url.protocol === "https:";
  let phase: "connect" | "answer" | "tls" = "connect";
  let settled = false;
  let head: Buffer = Buffer.alloc(0);
  let targetTls: tls.TLSSocket | undefined;

  const socket: net.Socket = secureProxy
    ? tls.connect({
        ...tlsOptions,
        host: proxyHost,
        port: proxy.port,
        servername: net.isIP(proxyHost) ? undefined : proxyHost,
        ALPNProtocols: ["http/1.1"],
      })
    : net.connect({ host: proxyHost, port: proxy.port });
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 60_000);

  const finish = (err: ProxyError | null, handed?: net.Socket) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.off("data", onData).off("end", onEnd).off("error", onError);
    if (err) {
      // a ProxyError fails the queued request: undici does not reconnect for it
      socket.on("error", noop).destroy();
      targetTls?.on("error", noop).destroy();
      callback(err, null);
    } else callback(null, handed!);
  };
  const fail = (what: string) => finish(new ProxyError(proxy.name, what));

  const timer = setTimeout(() => {
    const within = formatDuration(timeoutMs);
    if (phase === "connect") fail(`could not be reached within ${within}`);
    else if (phase === "answer") fail(`did not answer the CONNECT to ${authority} within ${within}`);
    else fail(`opened a tunnel to ${authority}, but the TLS handshake through it did not finish within ${within}`);
  }, timeoutMs);

  const onError = (err: NodeJS.ErrnoException) => {
    const code = err.code ?? "error";
    if (phase === "connect" && code === "ECONNREFUSED") fail("refused the connection (ECONNREFUSED)");
    else if (phase === "connect" && (code === "ENOTFOUND" || code === "EAI_AGAIN")) fail(`could not be found (${code})`);
    else if (phase === "connect") fail(`could not be reached (${code}: ${err.message})`);
    else if (code === "ECONNRESET") fail(`reset the connection without answering the CONNECT to ${authority}`);
    else if (code === "EPIPE") fail(`closed the connection without answering the CONNECT to ${authority}`);
    else fail(`failed while answering the CONNECT to ${authority} (${code}: ${err.message})`);
  };
  const onEnd = () =>
    fail(
      head.length
        ? `closed the connection in the middle of its answer to the CONNECT to ${authority}`
        : `closed the connection without answering the CONNECT to ${authority}`,
    );
  const onData = (chunk: Buffer) => {
    head = head.length ? Buffer.concat([head, chunk]) : chunk;
    const end = head.indexOf("\r\n\r\n");
    if (end < 0 ? head.length > MAX_HEAD_BYTES : end + 4 > MAX_HEAD_BYTES) {
      return fail(`answered the CONNECT with a head larger than ${MAX_HEAD_BYTES / 1024} KiB`);
    }
    if (end < 0) return;
    const statusLine = head.subarray(0, head.indexOf("\r\n")).toString("latin1");
    const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
    if (!m) return fail(`answered the CONNECT with something that is not HTTP (${JSON.stringify(statusLine.slice(0, 40))})`);
    const status = Number(m[1]);
    if (status < 200 || status > 299) {
      const text = (m[2] ?? "")
        .replace(/[^\x20-\x7e]/g, "")
        .trim()
        .slice(0, 80);
      const hint = status === 407 ? " (check the user and password in the proxy URL)" : "";
      return fail(`answered ${status}${text ? ` ${text}` : ""} to the CONNECT to ${authority}${hint}`);
    }
    tunnelOpen(head.subarray(end + 4));
  };

  const tunnelOpen = (early: Buffer) => {
    socket.off("data", onData).pause();
    if (target.protocol !== "https:") {
      if (early.length) socket.unshift(early);
      return finish(null, socket);
    }
    // the client speaks first in TLS: a proxy that already sent bytes is not a clean tunnel
    if (early.length) return fail(`sent data through the tunnel to ${authority} before it was used`);
    phase = "tls";
    socket.on("error", noop); // the TLS socket reports its failures
    const servername = target.servername || (net.isIP(hostname) ? undefined : hostname);
    targetTls = tls.connect({ ...tlsOptions, socket, servername, ALPNProtocols: ["http/1.1"] });
    targetTls.once("secureConnect", () => finish(null, targetTls));
    targetTls.once("error", (err: NodeJS.ErrnoException) =>
      fail(`opened a tunnel to ${authority}, but the TLS handshake through it failed (${err.code ?? "error"}: ${err.message})`),
    );
  };

  socket.once(secureProxy ? "secureConnect" : "connect", () => {
    phase = "answer";
    const auth = proxy.authorization ? `Proxy-Authorization: ${proxy.authorization}\r\n` : "";
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`);
  });
  socket.on("data", onData);
  socket.on("end", onEnd);
  socket.on("error", onError);
}

function noop(): void {}
