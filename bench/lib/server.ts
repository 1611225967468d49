/**
 * The benchmark's servers, in a child process of their own so that their CPU and memory never
 * count against the client being measured. Run by bench/run.ts (IPC) as:
 *   node --import tsx bench/lib/server.ts
 *
 * - the local Images API test server (test/server/images-api-server.ts), unchanged; the bench only
 *   picks its answers (`setDefault` / `script` with pre-built `body` steps) and switches on its
 *   rate-limiting mode (`server.rateLimit`, 429 with Retry-After / retry-after-ms);
 * - a minimal upload sink on its own port for the 16 × 20 MB edit: the test server buffers bodies
 *   and caps them at 100 MiB, so the sink reads the multipart body, counts and discards it, checks
 *   that it is complete (content-length when given, and the closing boundary), and answers with a
 *   tiny b64_json image.
 *
 * Commands (process.send → reply {id, ok, result | error}):
 *   {cmd: "tiny"}                          every answer: one tiny PNG
 *   {cmd: "script", steps: ["tiny"|"large"|"uhd"|"gif16", …]}   the next answers, in order (then tiny again)
 *   {cmd: "rateLimit", perSecond, retryAfterMs}   at most perSecond accepted per sliding second
 *   {cmd: "reset"}                         forget requests, rate limit off, tiny answers
 *   {cmd: "largeInfo", kind?}              builds a large answer once (default "large": n = 10; "uhd": one
 *                                          3840×2160 PNG; "gif16": one 16-frame GIF): {imageBytes, bodyBytes, count}
 *   {cmd: "stats"}                         {requests, rateLimited, maxInFlight, uploads}
 *   {cmd: "batchOutput", lines, width}     writes a batch output file (JSONL) of `lines` answers to a temporary
 *                                          file, served by the sink as GET /v1/files/bench-output-<lines>x<width>/content, streamed
 *                                          from disk: {fileId, bytes, lines, imageBytes, largestLineImageBytes}
 */
import { createReadStream, mkdtempSync, rmSync, statSync, writeSync, openSync, closeSync } from "node:fs";
import * as http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { ImagesApiServer, type Step } from "../../test/server/images-api-server";
import { answerBody, API_KEY, noiseGif, noisePng, TINY_PNG } from "./payloads";

interface Command {
  id: number;
  cmd: "tiny" | "script" | "rateLimit" | "reset" | "stats" | "largeInfo" | "batchOutput";
  lines?: number;
  width?: number;
  steps?: string[];
  kind?: string;
  perSecond?: number;
  retryAfterMs?: boolean;
}

const LARGE_COUNT = 10;
const tinyStep: Step = { body: answerBody([TINY_PNG]), contentType: "application/json" };

/** The large answers the bench asks for, by name; each built once, on first use. */
const LARGE_IMAGES: Record<string, () => Buffer[]> = {
  /** n = 10 answers of 1024×1024 noise PNGs (≈ 3 MB each) */
  large: () => Array.from({ length: LARGE_COUNT }, () => noisePng(1024, 1024)),
  /** one 3840×2160 noise PNG (≈ 24 MB), the largest custom size */
  uhd: () => [noisePng(3840, 2160)],
  /** one 16-frame 1024×1024 GIF of noise (≈ 10 MB) */
  gif16: () => [noiseGif(1024, 1024, 16)],
};
const built = new Map<string, { step: Step; imageBytes: number; bodyBytes: number; count: number }>();

function largeAnswer(kind = "large") {
  let answer = built.get(kind);
  if (!answer) {
    const make = LARGE_IMAGES[kind];
    if (!make) throw new Error(`no large answer "${kind}"`);
    const images = make();
    const body = answerBody(images, kind === "gif16" ? "gif" : "png");
    answer = {
      step: { body, contentType: "application/json" },
      imageBytes: images.reduce((n, i) => n + i.length, 0),
      bodyBytes: body.length,
      count: images.length,
    };
    built.set(kind, answer);
  }
  return answer;
}

interface Upload {
  bytes: number;
  complete: boolean;
  parts: number;
}

const tmp = mkdtempSync(join(tmpdir(), "images-api-bench-"));
/** file id → path of the batch output files written */
const batchOutputs = new Map<string, string>();

/**
 * A batch output file as the Batch API writes it: one line per request, `response.body` the Images answer. Every
 * fourth line holds two images, the others one (noise PNGs `width` px square, each line its own pixels).
 */
function writeBatchOutput(lines: number, width: number) {
  const fileId = `bench-output-${lines}x${width}`;
  const path = join(tmp, `${fileId}.jsonl`);
  batchOutputs.set(fileId, path);
  const fd = openSync(path, "w");
  let imageBytes = 0;
  let largestLineImageBytes = 0;
  try {
    for (let i = 0; i < lines; i++) {
      const images = Array.from({ length: i % 4 === 0 ? 2 : 1 }, () => noisePng(width, width));
      const bytes = images.reduce((n, b) => n + b.length, 0);
      imageBytes += bytes;
      largestLineImageBytes = Math.max(largestLineImageBytes, bytes);
      // the answer body as it is, inside the line's JSON
      writeSync(fd, `{"id":"batch_req_${i}","custom_id":"req-${i}","response":{"status_code":200,"request_id":"req_${i}","body":`);
      writeSync(fd, answerBody(images));
      writeSync(fd, `},"error":null}\n`);
    }
  } finally {
    closeSync(fd);
  }
  return { fileId, bytes: statSync(path).size, lines, imageBytes, largestLineImageBytes };
}

/** The edit sink: counts the body, checks it is whole, answers one tiny image; also serves the batch output file. */
function startSink(uploads: Upload[]): Promise<http.Server> {
  const reply = answerBody([TINY_PNG]);
  const server = http.createServer(async (req, res) => {
    const file = /^\/v1\/files\/([\w-]+)\/content$/.exec(req.url ?? "")?.[1];
    if (req.method === "GET" && file && batchOutputs.has(file)) {
      const path = batchOutputs.get(file) as string;
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(statSync(path).size) });
      createReadStream(path).pipe(res);
      return;
    }
    const type = String(req.headers["content-type"] ?? "");
    const boundary = /boundary=("?)([^";]+)\1/i.exec(type)?.[2];
    const closing = boundary ? Buffer.from(`--${boundary}--`) : undefined;
    const partMark = boundary ? Buffer.from(`--${boundary}\r\n`) : undefined;
    let bytes = 0;
    let parts = 0;
    // fewer bytes than a mark, kept from the previous chunk: a mark split across chunks is still
    // found, and none is counted twice
    let tail = Buffer.alloc(0);
    let last = Buffer.alloc(0);
    try {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        if (!partMark) continue;
        const window = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
        for (let i = window.indexOf(partMark); i !== -1; i = window.indexOf(partMark, i + 1)) parts++;
        tail = Buffer.from(window.subarray(Math.max(0, window.length - partMark.length + 1)));
        last = Buffer.from(Buffer.concat([last, chunk.subarray(Math.max(0, chunk.length - 256))]).subarray(-256));
      }
    } catch {
      return;
    }
    const declared = req.headers["content-length"] !== undefined ? Number(req.headers["content-length"]) : undefined;
    const complete =
      closing !== undefined &&
      (declared === undefined || declared === bytes) &&
      last.toString("latin1").trimEnd().endsWith(closing.toString("latin1"));
    uploads.push({ bytes, complete, parts });
    res.writeHead(complete ? 200 : 400, { "content-type": "application/json", "content-length": String(reply.length) });
    res.end(reply);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function main(): Promise<void> {
  const api = await ImagesApiServer.start({ apiKey: API_KEY });
  const uploads: Upload[] = [];
  const sink = await startSink(uploads);
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/v1`;
  const tiny = () => api.setDefault(tinyStep);
  tiny();

  process.on("message", (m: Command) => {
    try {
      let result: unknown = {};
      switch (m.cmd) {
        case "tiny":
          tiny();
          break;
        case "script":
          api.script(...(m.steps ?? []).map((s) => (s === "tiny" ? tinyStep : largeAnswer(s).step)));
          break;
        case "largeInfo": {
          const { imageBytes, bodyBytes, count } = largeAnswer(m.kind);
          result = { imageBytes, bodyBytes, count };
          break;
        }
        case "batchOutput":
          result = writeBatchOutput(m.lines ?? 100, m.width ?? 1024);
          break;
        case "rateLimit":
          api.rateLimit = { max: m.perSecond, windowMs: 1000, retryAfterMs: m.retryAfterMs !== false };
          break;
        case "reset":
          api.reset();
          uploads.length = 0;
          tiny();
          break;
        case "stats":
          result = { requests: api.requests.length, rateLimited: api.rateLimited, maxInFlight: api.maxInFlight, uploads: [...uploads] };
          break;
      }
      process.send?.({ id: m.id, ok: true, result });
    } catch (err) {
      process.send?.({ id: m.id, ok: false, error: (err as Error).stack });
    }
  });
  process.on("disconnect", () => {
    rmSync(tmp, { recursive: true, force: true });
    sink.close();
    sink.closeAllConnections();
    void api.close().then(() => process.exit(0));
  });
  process.send?.({ ready: true, baseUrl: api.baseUrl, sinkUrl });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
