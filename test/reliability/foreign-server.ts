/**
 * A second origin for the secret and trust tests: an image host (a "CDN" on another port) that records
 * every request with its headers and can serve an image, a huge file, a body that stalls, or a redirect.
 *   GET /image.png          the given PNG
 *   GET /big.bin?mb=N       N MB of zeros after a PNG signature, streamed
 *   GET /stall.png          headers and half the PNG, then nothing until close()
 *   GET /redirect?to=URL    302 to URL
 */
import * as http from "node:http";
import type { Socket } from "node:net";

export interface ForeignRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
}

export class ForeignServer {
  /** the text of GET /secret */
  static readonly SECRET = "internal-only: db password hunter2";
  readonly origin: string;
  requests: ForeignRequest[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: http.Server,
    private readonly png: Buffer,
  ) {
    this.origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.once("close", () => this.sockets.delete(s));
    });
    server.on("request", (req, res) => this.handle(req, res));
  }

  static async start(png: Buffer): Promise<ForeignServer> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return new ForeignServer(server, png);
  }

  openSockets(): number {
    return this.sockets.size;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? "/", this.origin);
    this.requests.push({ path: url.pathname, headers: req.headers });
    req.resume();
    if (url.pathname === "/image.png") {
      res.writeHead(200, { "content-type": "image/png", "content-length": String(this.png.length) });
      res.end(this.png);
    } else if (url.pathname === "/secret") {
      // an internal page that a hostile answer might point Node-RED at
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(ForeignServer.SECRET);
    } else if (url.pathname === "/big.bin") {
      const total = Number(url.searchParams.get("mb") ?? "8") * 1024 * 1024;
      // chunked=1: no content-length, so only counting the bytes can stop it
      const length: Record<string, string> = url.searchParams.has("chunked") ? {} : { "content-length": String(total) };
      res.writeHead(200, { "content-type": "image/png", ...length });
      const chunk = Buffer.alloc(64 * 1024);
      this.png.copy(chunk, 0, 0, 8);
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      res.on("close", () => (sent = total));
      pump();
    } else if (url.pathname === "/stall.png") {
      res.writeHead(200, { "content-type": "image/png", "content-length": String(this.png.length) });
      res.write(this.png.subarray(0, this.png.length >> 1));
      // …and never the rest: close() destroys the socket
    } else if (url.pathname === "/redirect") {
      res.writeHead(302, { location: url.searchParams.get("to") ?? "/" });
      res.end();
    } else {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found");
    }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
