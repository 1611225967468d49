/**
 * Broken CONNECT proxies on 127.0.0.1 for tests, each failing one way, counting the connections they
 * accept and keeping the CONNECT heads they read; and a self-signed certificate for 127.0.0.1/localhost.
 */
import * as net from "node:net";

export type BrokenMode =
  /** reads the CONNECT, then destroys the socket */
  | "destroy"
  /** reads the CONNECT, then ends the socket (FIN) */
  | "close"
  /** closes each connection as soon as it is accepted */
  | "close-at-once"
  /** reads the CONNECT, then resets the connection (RST) */
  | "reset"
  /** accepts and reads, never answers */
  | "hang"
  /** answers 407 Proxy Authentication Required */
  | "407";

/** after this many connections it stops listening, so a reconnect storm ends by itself */
const MAX_ACCEPTS = 1000;

/**
 * "by-host": one proxy for every way of failing, chosen by the first label of the CONNECT target
 * (CONNECT reset.example.test:80 → "reset"); for a process whose HTTP_PROXY is fixed when it starts.
 * "close-at-once" cannot be told apart there: the head must be read first.
 */
export type ProxyMode = BrokenMode | "by-host";

export class BrokenProxy {
  accepted = 0;
  /** by-host: the connections that failed each way */
  readonly byMode: Partial<Record<BrokenMode, number>> = {};
  /** the CONNECT request heads read, as text */
  readonly heads: string[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  /** http://127.0.0.1:PORT, or with `auth` ("user:pass") in it */
  url(auth?: string): string {
    return `http://${auth ? `${auth}@` : ""}127.0.0.1:${this.port}`;
  }

  static async start(mode: ProxyMode): Promise<BrokenProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const proxy = new BrokenProxy(server, (server.address() as net.AddressInfo).port);
    server.on("connection", (s) => proxy.onConnection(s, mode));
    return proxy;
  }

  private onConnection(s: net.Socket, how: ProxyMode): void {
    let mode = how;
    this.accepted++;
    if (this.accepted >= MAX_ACCEPTS) this.server.close();
    this.sockets.add(s);
    s.once("close", () => this.sockets.delete(s));
    s.on("error", () => undefined);
    if (mode === "close-at-once") {
      s.end();
      return;
    }
    let head = "";
    s.on("data", (chunk: Buffer) => {
      if (head.includes("\r\n\r\n")) return;
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      this.heads.push(head);
      if (mode === "by-host") mode = (/^CONNECT ([a-z0-9-]+)\./i.exec(head)?.[1] ?? "destroy") as BrokenMode;
      this.byMode[mode] = (this.byMode[mode] ?? 0) + 1;
      if (mode === "destroy") s.destroy();
      else if (mode === "close") s.end();
      else if (mode === "reset") s.resetAndDestroy();
      else if (mode === "407")
        s.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A self-signed certificate (P-256, until 2126) for localhost and 127.0.0.1: the test CA and the server key at once. */
export const TEST_TLS = {
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg0jejNPJceeyAgZ//
0x9BefRefTPVgGAce9Kb4hoR5VWhRANCAASrPlHVwIo+RuIt+vzFazhYqJ4myg6X
ctn3VCK5a7oSXB4OEzrxfuOvaUab2paMeqGLzqk2fA6gAB0auuCwdAoF
-----END PRIVATE KEY-----`,
  cert: `-----BEGIN CERTIFICATE-----
MIIBmjCCAUGgAwIBAgIUQzMgjfCHQP07yPba7GqmtVf8CwowCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwNDIzMDEwNVoYDzIxMjYxMTEw
MjMwMTA1WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASrPlHVwIo+RuIt+vzFazhYqJ4myg6Xctn3VCK5a7oSXB4OEzrxfuOv
aUab2paMeqGLzqk2fA6gAB0auuCwdAoFo28wbTAdBgNVHQ4EFgQUBMNQwcyGJq/V
px7chAkZMTZy14cwHwYDVR0jBBgwFoAUBMNQwcyGJq/Vpx7chAkZMTZy14cwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
zj0EAwIDRwAwRAIgUHnb3Fwk/Y2nizXvU9E6F15R5zpO9W5uguoXArTWkSwCIHmi
FhYngdUtk0PolRON0Dno/NL8C3a657bbnvW0geOG
-----END CERTIFICATE-----`,
};
