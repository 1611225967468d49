/**
 * A minimal forward HTTP proxy on 127.0.0.1 for tests (or an https:// one, given a key and certificate):
 * CONNECT tunnels and absolute-form requests (GET http://host/path), counting what it saw.
 */
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";

export interface ProxySeen {
  kind: "connect" | "absolute";
  /** host:port for CONNECT, the absolute URL otherwise */
  target: string;
  /** the request's headers (for absolute-form requests these are the proxied request's headers) */
  headers: http.IncomingHttpHeaders;
}

export class ForwardProxy {
  readonly seen: ProxySeen[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    /** host names the proxy resolves itself (name → address), as a proxy with its own DNS would */
    private readonly hosts: Record<string, string>,
  ) {}

  static async start(opts: { tls?: { key: string; cert: string }; hosts?: Record<string, string> } = {}): Promise<ForwardProxy> {
    const server: http.Server = opts.tls ? https.createServer(opts.tls) : http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as net.AddressInfo;
    const proxy = new ForwardProxy(server, `${opts.tls ? "https" : "http"}://127.0.0.1:${port}`, opts.hosts ?? {});
    server.on(opts.tls ? "secureConnection" : "connection", (s: net.Socket) => proxy.track(s));
    server.on("request", (req, res) => proxy.onRequest(req, res));
    server.on("connect", (req, socket, head) => proxy.onConnect(req, socket as net.Socket, head));
    return proxy;
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.once("close", () => this.sockets.delete(s));
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const target = req.url ?? "";
    if (!/^https?:\/\//.test(target)) {
      res.writeHead(400, { "content-type": "text/plain" }).end("not a proxy request");
      return;
    }
    this.seen.push({ kind: "absolute", target, headers: req.headers });
    const url = new URL(target);
    const headers = { ...req.headers };
    delete headers["proxy-connection"];
    delete headers["proxy-authorization"];
    const upstream = http.request(
      {
        host: this.hosts[url.hostname] ?? url.hostname,
        port: url.port || 80,
        path: url.pathname + url.search,
        method: req.method,
        headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  }

  private onConnect(req: http.IncomingMessage, client: net.Socket, head: Buffer): void {
    const target = req.url ?? "";
    this.seen.push({ kind: "connect", target, headers: req.headers });
    const [host, port] = target.split(":");
    const upstream = net.connect(Number(port), this.hosts[host] ?? host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    this.track(upstream);
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const PROXY_VARS = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"] as const;

/** Runs fn with exactly these proxy variables set (all others of PROXY_VARS cleared), then restores them. */
export async function withProxyEnv<T>(vars: Partial<Record<(typeof PROXY_VARS)[number], string>>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(PROXY_VARS.map((k) => [k, process.env[k]]));
  try {
    for (const k of PROXY_VARS) delete process.env[k];
    Object.assign(process.env, vars);
    return await fn();
  } finally {
    for (const k of PROXY_VARS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}
