/**
 * The real Portkey AI Gateway (npm @portkey-ai/gateway, devDependency) as a child process on 127.0.0.1.
 *
 * Facts found with @portkey-ai/gateway 1.15.2 (pinned) on Node 20.20.2 and 22.23.5 (the package declares no engines;
 * nothing in it needs Node 22); test/server/portkey.spec.ts asserts each of them:
 * - Start: its bin is build/start-server.js, one ESM bundle that runs `serve({ fetch, port })` of @hono/node-server at
 *   import; it exports nothing. Flags: `--port=N` (only that form; default 8787) and `--headless` (no /public UI). It
 *   has no host option and listens on all interfaces, so BOOT below makes its one listen() bind 127.0.0.1 (port 0 =
 *   a free one, sent back over IPC). It starts offline: no connect() at start (strace); Redis only with
 *   REDIS_CONNECTION_STRING. Ready in ~0.3 s. 127.0.0.1 and localhost are allowed custom hosts by default
 *   (TRUSTED_CUSTOM_HOSTS replaces that list).
 * - POST /v1/images/generations with x-portkey-provider: openai, x-portkey-custom-host: <base URL incl. /v1> and
 *   Authorization: Bearer <key> reaches <custom host>/images/generations with that Authorization and returns the
 *   upstream JSON unchanged (200), plus x-portkey-* response headers.
 * - It rebuilds the JSON body from its OpenAI parameter list: only prompt, model (default dall-e-2), n, quality,
 *   response_format, size, style and user go on; anything else is dropped silently (tested: output_format, background,
 *   moderation, output_compression, an unknown key).
 * - Upstream headers are its own fetch()'s: content-type, authorization (as sent) and undici's defaults (accept,
 *   accept-language, sec-fetch-mode, user-agent "node", accept-encoding); no x-portkey-*, no x-custom, no
 *   openai-organization, unless named in `x-portkey-forward-headers: a, b`.
 * - No x-portkey-config / x-portkey-provider header: 400
 *   {"status":"failure","message":"Either x-portkey-config or x-portkey-provider header is required"}, nothing sent on.
 * - Multipart POST /v1/images/edits: the form goes upstream as is (image[] with filename and image/png byte for byte,
 *   prompt, model; new boundary), and the upstream answers 200, but the client gets 500
 *   {"status":"failure","message":"Something went wrong"} with x-portkey-gateway-exception: true; it logs
 *   "tryTargetsRecursively error: immutable ... TypeError: immutable at ru.updateHeaders": it appends its x-portkey-*
 *   headers to the upstream fetch() Response's immutable headers (@hono/node-server 1.19.19's Response keeps them).
 * - Upstream errors keep their status, the error object gets "openai error: " before its message and the body gets
 *   "provider":"openai"; no retries by default (x-portkey-retry-attempt-count: 0), retry-after is passed back. 429:
 *   {"error":{"message":"openai error: Rate limit reached…","type":"requests","param":null,"code":"rate_limit_exceeded"},
 *   "provider":"openai"}; 400 moderation_blocked likewise (type image_generation_user_error, param null).
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { pause } from "./wait";

export interface Portkey {
  /** http://127.0.0.1:<port> (the gateway's routes are under /v1) */
  url: string;
  /** the gateway's stdout and stderr so far */
  log(): string;
  close(): Promise<void>;
}

const GATEWAY = join(dirname(require.resolve("@portkey-ai/gateway/package.json")), "build", "start-server.js");

/**
 * Runs in the child before the gateway's bundle: its one listen() binds 127.0.0.1 (the bundle has no host option),
 * the port it got goes to the parent over IPC, and the child ends when the parent goes away.
 */
const BOOT = `
import net from "node:net";
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (port, _host, callback) {
  net.Server.prototype.listen = listen;
  this.once("listening", () => process.send({ port: this.address().port }));
  return listen.call(this, { port, host: "127.0.0.1" }, callback);
};
process.on("disconnect", () => process.exit(0));
process.argv = [process.argv[0], ${JSON.stringify(GATEWAY)}, "--port=0", "--headless"];
await import(${JSON.stringify(pathToFileURL(GATEWAY).href)});
`;

/** Starts the gateway on a free 127.0.0.1 port; resolves once GET / answers (at most `timeoutMs`). */
export async function startPortkey(timeoutMs = 30_000): Promise<Portkey> {
  const env = { ...process.env };
  for (const name of ["REDIS_CONNECTION_STRING", "TRUSTED_CUSTOM_HOSTS", "HTTP_PROXY", "HTTPS_PROXY", "NODE_OPTIONS"]) delete env[name];
  // its own process group (detached), so close() can kill the gateway and anything it starts
  const child = spawn(process.execPath, ["--input-type=module", "-e", BOOT], {
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", (err) => ((output += `${err}\n`), resolve()));
  });
  let alive = true;
  void exited.then(() => (alive = false));

  const close = async (): Promise<void> => {
    if (alive) {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {}
      await exited;
    }
  };
  const fail = async (why: string): Promise<never> => {
    await close();
    throw new Error(`Portkey gateway: ${why}\n--- its output ---\n${output}`);
  };

  const deadline = Date.now() + timeoutMs;
  const port = await new Promise<number>((resolve) => {
    const timer = setTimeout(() => resolve(-1), timeoutMs);
    child.once("message", (m: { port: number }) => (clearTimeout(timer), resolve(m.port)));
    void exited.then(() => (clearTimeout(timer), resolve(0)));
  });
  if (port <= 0) return fail(port === 0 ? `exited (code ${child.exitCode}) before listening` : `not listening after ${timeoutMs} ms`);
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok && (await res.text()).includes("AI Gateway")) break;
    } catch {}
    if (!alive) return fail(`exited (code ${child.exitCode}) before answering`);
    if (Date.now() > deadline) return fail(`no answer on ${url} after ${timeoutMs} ms`);
    await pause(50);
  }
  return { url, log: () => output, close };
}
