/**
 * HTTP(S)_PROXY through proxy-connect.ts: broken proxies (each attempt one connection, one coded error
 * naming the proxy without its password, calm CPU), a hanging proxy (timeout), 407, NO_PROXY, and real
 * images through a working CONNECT proxy to the test Images API server and to an https server.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { request } from "undici";
import { ImagesApiServer } from "../../server/images-api-server";
import { ImagesClient, type ClientOptions } from "../../../src/lib/http/client";
import { readAnswer } from "../../../src/lib/answer/images-response";
import { transportError } from "../../../src/lib/http/http-errors";
import { isImagesApiError, type ErrorCode, type ImagesApiError } from "../../../src/lib/errors";
import { createDispatcher, isProxyError, ProxyRoutes, type ProxyEnv } from "../../../src/lib/http/proxy-connect";
import { sniffImage } from "../../../src/lib/images/sniff";
import { BrokenProxy, TEST_TLS, type BrokenMode } from "./broken-proxy";
import { ForwardProxy, withProxyEnv } from "./forward-proxy";

const KEY = "sk-test-proxy-0123456789";
const PNG = readFileSync(join(__dirname, "..", "..", "fixtures", "photo-256.png"));
const PARAMS = { model: "gpt-image-1", prompt: "a red fox in snow", size: "1024x1024", quality: "low" };
const PROXY_VARS = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"];

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail("expected a rejection");
}

function assertCode(err: unknown, code: ErrorCode): asserts err is ImagesApiError {
  assert.ok(isImagesApiError(err), `expected an ImagesApiError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
}

describe("proxy-connect", function () {
  this.timeout(10_000);
  let server: ImagesApiServer;
  let client: ImagesClient | undefined;
  let proxies: { close(): Promise<void> }[] = [];
  const savedEnv = Object.fromEntries(PROXY_VARS.map((k) => [k, process.env[k]]));

  before(async () => {
    server = await ImagesApiServer.start({ apiKey: KEY });
  });
  after(() => server.close());
  beforeEach(() => server.reset());
  afterEach(async () => {
    await client?.close();
    client = undefined;
    await Promise.all(proxies.map((p) => p.close()));
    proxies = [];
    // the client reads the environment once, while withProxyEnv has it set
    for (const k of PROXY_VARS) assert.equal(process.env[k], savedEnv[k], `${k} restored`);
  });

  async function broken(mode: BrokenMode): Promise<BrokenProxy> {
    const p = await BrokenProxy.start(mode);
    proxies.push(p);
    return p;
  }

  /** an ImagesClient built while exactly these proxy variables are set */
  async function clientWith(env: Parameters<typeof withProxyEnv>[0], o: Partial<ClientOptions> = {}): Promise<ImagesClient> {
    client = await withProxyEnv(env, async () => new ImagesClient({ baseUrl: server.baseUrl, apiKey: KEY, ...o }));
    return client;
  }

  const generate = (c: ImagesClient) => c.call({ op: "generate", model: PARAMS.model, body: { kind: "json", data: PARAMS } });

  /** runs one message and measures its wall time and the process's CPU time meanwhile */
  async function measured(c: ImagesClient): Promise<{ err: unknown; ms: number; cpuMs: number }> {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const err = await rejection(generate(c));
    const cpu = process.cpuUsage(cpu0);
    return { err, ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
  }

  describe("a broken proxy: one connection per attempt, one network_error naming the proxy", () => {
    const cases: { mode: BrokenMode; what: RegExp; auth?: string }[] = [
      { mode: "destroy", what: /closed the connection without answering the CONNECT/, auth: "user:s3cret" },
      { mode: "close", what: /closed the connection without answering the CONNECT/ },
      { mode: "close-at-once", what: /(closed|reset) the connection without answering the CONNECT/ },
      { mode: "reset", what: /reset the connection without answering the CONNECT/ },
      { mode: "407", what: /answered 407 Proxy Authentication Required to the CONNECT .*check the user and password/ },
    ];
    for (const { mode, what, auth } of cases) {
      it(`${mode}${auth ? " (with user:password in the URL)" : ""}`, async () => {
        const proxy = await broken(mode);
        const c = await clientWith({ HTTPS_PROXY: proxy.url(auth), HTTP_PROXY: proxy.url(auth) }, { maxRetries: 2, timeoutMs: 5000 });
        const { err, ms, cpuMs } = await measured(c);
        assertCode(err, "network_error");
        assert.ok(proxy.accepted >= 1 && proxy.accepted <= 3, `the proxy accepted ${proxy.accepted} connections`);
        assert.equal(err.cause.attempts, 3);
        assert.match(err.message, what);
        assert.ok(err.message.includes(`http://127.0.0.1:${proxy.port}`), err.message);
        assert.ok(!err.message.includes("s3cret") && !err.message.includes("user:"), err.message);
        assert.ok(!err.message.includes(KEY));
        // backoff 0.5 s + 1 s (less jitter), nothing else
        assert.ok(ms < 4000, `took ${Math.round(ms)} ms`);
        assert.ok(cpuMs < 1000, `used ${Math.round(cpuMs)} ms of CPU`);
        assert.equal(server.requests.length, 0);
        if (auth) {
          const expected = `Proxy-Authorization: Basic ${Buffer.from(auth).toString("base64")}`;
          assert.ok(proxy.heads.length >= 1 && proxy.heads.every((h) => h.includes(expected)), proxy.heads.join("|"));
          assert.match(proxy.heads[0], new RegExp(`^CONNECT 127\\.0\\.0\\.1:${new URL(server.origin).port} HTTP/1\\.1\\r\\n`));
        }
      });
    }

    it("a proxy that accepts and never answers: timeout at the request's timeout, naming the proxy", async () => {
      const proxy = await broken("hang");
      const c = await clientWith({ HTTP_PROXY: proxy.url() }, { maxRetries: 0, timeoutMs: 1500 });
      const { err, ms, cpuMs } = await measured(c);
      assertCode(err, "timeout");
      assert.match(err.message, new RegExp(`within 1\\.5 s.*the proxy http://127\\.0\\.0\\.1:${proxy.port} did not answer the CONNECT`));
      assert.equal(proxy.accepted, 1);
      assert.ok(ms >= 1400 && ms < 2500, `took ${Math.round(ms)} ms`);
      assert.ok(cpuMs < 500, `used ${Math.round(cpuMs)} ms of CPU`);
    });

    it("a hanging proxy under a long request timeout: the connect timeout ends the attempt", async () => {
      const proxy = await broken("hang");
      const dispatcher = createDispatcher({ connectTimeout: 300 }, { HTTP_PROXY: proxy.url() });
      try {
        const t0 = performance.now();
        const err = await rejection(request(`${server.origin}/v1/models`, { dispatcher }));
        assert.ok(isProxyError(err), String(err));
        assert.match(
          String((err as Error).message),
          new RegExp(`^the proxy http://127\\.0\\.0\\.1:${proxy.port} did not answer the CONNECT to 127\\.0\\.0\\.1:\\d+ within 300 ms$`),
        );
        assert.ok(performance.now() - t0 < 1000);
        assert.equal(proxy.accepted, 1);
        const mapped = transportError(err, false, 600_000, { attempts: 1 });
        assert.equal(mapped.code, "network_error");
        assert.match(mapped.message, /^could not reach the Images API: the proxy http:\/\/127\.0\.0\.1:\d+ did not answer/);
      } finally {
        await dispatcher.destroy();
      }
    });

    it("a proxy that is not listening: network_error saying it refused", async () => {
      const proxy = await BrokenProxy.start("hang");
      await proxy.close();
      const c = await clientWith({ HTTP_PROXY: proxy.url("user:s3cret") }, { maxRetries: 0, timeoutMs: 5000 });
      const { err } = await measured(c);
      assertCode(err, "network_error");
      assert.match(err.message, new RegExp(`the proxy http://127\\.0\\.0\\.1:${proxy.port} refused the connection`));
      assert.ok(!err.message.includes("s3cret"));
    });
  });

  describe("a working CONNECT proxy", () => {
    let forward: ForwardProxy;
    beforeEach(async () => {
      forward = await ForwardProxy.start();
      proxies.push(forward);
    });

    it("carries the request to the Images API and a real image back, with Proxy-Authorization", async () => {
      const url = forward.url.replace("http://", "http://us%40er:p%3Ass@");
      const c = await clientWith({ HTTP_PROXY: url });
      const answer = await generate(c);
      const info = sniffImage(readAnswer(answer, c.redact).images[0].data!);
      assert.equal(info?.mime, "image/png");
      assert.equal(info?.width, 1024);
      assert.equal(forward.seen.length, 1);
      assert.equal(forward.seen[0].kind, "connect");
      assert.equal(forward.seen[0].target, new URL(server.origin).host);
      assert.equal(forward.seen[0].headers["proxy-authorization"], `Basic ${Buffer.from("us@er:p:ss").toString("base64")}`);
      assert.equal(server.requests.length, 1);
      assert.equal(server.requests[0].headers.authorization, `Bearer ${KEY}`);
      assert.equal(server.requests[0].headers["proxy-authorization"], undefined);
    });

    it("NO_PROXY bypasses a (broken) proxy for the listed host", async () => {
      const proxy = await broken("destroy");
      const c = await clientWith({ HTTP_PROXY: proxy.url(), NO_PROXY: "example.com, .internal 127.0.0.1" });
      const answer = await generate(c);
      assert.equal(sniffImage(readAnswer(answer, c.redact).images[0].data!)?.mime, "image/png");
      assert.equal(proxy.accepted, 0);
      assert.equal(server.requests.length, 1);
    });

    describe("https targets (a local https server with a self-signed certificate)", () => {
      let target: https.Server;
      let targetPort: number;
      before(async () => {
        target = https.createServer(TEST_TLS, (req, res) => res.writeHead(200, { "content-type": "image/png" }).end(PNG));
        await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", () => resolve()));
        targetPort = (target.address() as AddressInfo).port;
      });
      after(async () => {
        target.closeAllConnections();
        await new Promise((resolve) => target.close(resolve));
      });

      async function fetchThrough(env: ProxyEnv): Promise<Buffer> {
        const dispatcher = createDispatcher({ tls: { ca: TEST_TLS.cert } }, env);
        try {
          const res = await request(`https://localhost:${targetPort}/image.png`, { dispatcher });
          assert.equal(res.statusCode, 200);
          return Buffer.from(await res.body.arrayBuffer());
        } finally {
          await dispatcher.destroy();
        }
      }

      it("through an http:// proxy: TLS to the target inside the tunnel, certificate checked for localhost", async () => {
        const bytes = await fetchThrough({ HTTPS_PROXY: forward.url });
        assert.ok(bytes.equals(PNG));
        assert.deepEqual(
          forward.seen.map((s) => `${s.kind} ${s.target}`),
          [`connect localhost:${targetPort}`],
        );
      });

      it("through an https:// proxy: TLS to the proxy, then TLS to the target", async () => {
        const secure = await ForwardProxy.start({ tls: TEST_TLS });
        proxies.push(secure);
        assert.match(secure.url, /^https:/);
        const bytes = await fetchThrough({ https_proxy: secure.url.replace("127.0.0.1", "localhost") });
        assert.ok(bytes.equals(PNG));
        assert.deepEqual(
          secure.seen.map((s) => `${s.kind} ${s.target}`),
          [`connect localhost:${targetPort}`],
        );
        assert.equal(forward.seen.length, 0);
      });

      it("a certificate that is not trusted: one clear error, one connection", async () => {
        const dispatcher = createDispatcher({}, { HTTPS_PROXY: forward.url });
        try {
          const err = await rejection(request(`https://localhost:${targetPort}/`, { dispatcher }));
          assert.ok(isProxyError(err), String(err));
          assert.match(
            (err as Error).message,
            /opened a tunnel to localhost:\d+, but the TLS handshake through it failed \(DEPTH_ZERO_SELF_SIGNED_CERT/,
          );
          assert.equal(forward.seen.length, 1);
        } finally {
          await dispatcher.destroy();
        }
      });
    });
  });

  describe("which targets go through which proxy (the environment as undici's EnvHttpProxyAgent reads it)", () => {
    const P = "http://proxy.example:3128";
    const via = (env: ProxyEnv, url: string) => {
      const u = new URL(url);
      return new ProxyRoutes(env).for(u.protocol, u.hostname, Number(u.port) || (u.protocol === "https:" ? 443 : 80))?.name;
    };

    it("HTTP_PROXY for http, HTTPS_PROXY for https (else HTTP_PROXY), lower case first", () => {
      assert.equal(via({ HTTP_PROXY: P }, "http://a.example/"), "http://proxy.example:3128");
      assert.equal(via({ HTTP_PROXY: P }, "https://a.example/"), "http://proxy.example:3128");
      assert.equal(via({ HTTPS_PROXY: "https://s.example" }, "http://a.example/"), undefined);
      assert.equal(via({ HTTPS_PROXY: "https://s.example" }, "https://a.example/"), "https://s.example:443");
      assert.equal(via({ http_proxy: "http://lower:1", HTTP_PROXY: P }, "http://a.example/"), "http://lower:1");
      assert.equal(via({ http_proxy: "", HTTP_PROXY: P }, "http://a.example/"), undefined);
      assert.equal(via({ HTTP_PROXY: "proxy.example:8080" }, "http://a.example/"), "http://proxy.example:8080");
      assert.equal(via({}, "http://a.example/"), undefined);
    });

    it("NO_PROXY: hosts, subdomains, leading dot and *., host:port, * and case", () => {
      const env = (no: string) => ({ HTTPS_PROXY: P, NO_PROXY: no });
      assert.equal(via(env("a.example"), "https://a.example/"), undefined);
      assert.equal(via(env("a.example"), "https://api.a.example/"), undefined);
      assert.equal(via(env("a.example"), "https://xa.example/"), P);
      assert.equal(via(env(".a.example"), "https://api.a.example/"), undefined);
      assert.equal(via(env("*.a.example"), "https://api.a.example/"), undefined);
      assert.equal(via(env("A.Example"), "https://a.EXAMPLE/"), undefined);
      assert.equal(via(env("x.example , a.example:8443"), "https://a.example:8443/"), undefined);
      assert.equal(via(env("a.example:8443"), "https://a.example/"), P);
      assert.equal(via(env("*"), "https://a.example/"), undefined);
      assert.equal(via(env("[::1]:8443 ::1"), "https://[::1]/"), undefined);
      assert.equal(via({ HTTPS_PROXY: P, no_proxy: "", NO_PROXY: "a.example" }, "https://a.example/"), P);
    });

    it("a proxy URL that is not one: invalid_params naming the variable, never the value", () => {
      try {
        new ProxyRoutes({ HTTPS_PROXY: "socks5://user:s3cret@proxy.example:1080" });
        assert.fail("expected a throw");
      } catch (err) {
        assertCode(err, "invalid_params");
        assert.match(err.message, /HTTPS_PROXY/);
        assert.ok(!err.message.includes("s3cret"));
      }
    });
  });
});
