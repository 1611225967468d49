import { strict as assert } from "node:assert";
import { ImagesApiServer } from "./images-api-server";
import { DEFAULT_PACE } from "./batch-api";
import { encodePng, pngSize } from "./png";

const KEY = "sk-batch-test";
const AUTH = { authorization: `Bearer ${KEY}` };

interface Line {
  custom_id: string;
  method?: string;
  url?: string;
  body?: unknown;
}

const GEN = "/v1/images/generations";
const EDITS = "/v1/images/edits";
const jsonl = (lines: Array<Line | string>) =>
  lines.map((l) => (typeof l === "string" ? l : JSON.stringify({ method: "POST", url: GEN, ...l }))).join("\n") + "\n";
const genLines = (n: number, extra: Record<string, unknown> = {}): Line[] =>
  Array.from({ length: n }, (_, i) => ({
    custom_id: `req-${i}`,
    body: { model: "gpt-image-1", prompt: `picture ${i}`, size: "64x48", ...extra },
  }));

describe("Images API test server: Files and Batch APIs", () => {
  let server: ImagesApiServer;

  const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = AUTH) =>
    fetch(`${server.origin}${path}`, {
      method,
      headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const upload = async (content: string | Buffer, purpose = "batch", filename = "input.jsonl", type = "application/jsonl") => {
    const form = new FormData();
    form.append("purpose", purpose);
    form.append("file", new Blob([typeof content === "string" ? content : new Uint8Array(content)], { type }), filename);
    return fetch(`${server.baseUrl}/files`, { method: "POST", headers: AUTH, body: form });
  };
  const uploadOk = async (content: string | Buffer, purpose = "batch", filename?: string, type?: string): Promise<string> => {
    const res = await upload(content, purpose, filename, type);
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()).id;
  };
  const create = (input_file_id: string, endpoint = GEN, extra: Record<string, unknown> = {}) =>
    api("POST", "/v1/batches", { input_file_id, endpoint, completion_window: "24h", ...extra });
  const createOk = async (fileId: string, endpoint = GEN, extra: Record<string, unknown> = {}) => {
    const res = await create(fileId, endpoint, extra);
    assert.equal(res.status, 200, await res.clone().text());
    return res.json();
  };
  const poll = async (id: string) => {
    const res = await api("GET", `/v1/batches/${id}`);
    assert.equal(res.status, 200, await res.clone().text());
    return res.json();
  };
  const content = async (fileId: string) => {
    const res = await api("GET", `/v1/files/${fileId}/content`);
    assert.equal(res.status, 200);
    return { res, text: await res.text() };
  };
  const parse = (text: string) => {
    assert.ok(text === "" || text.endsWith("\n"), "every line ends with \\n");
    return text
      .split("\n")
      .slice(0, -1)
      .map((l) => JSON.parse(l));
  };

  before(async () => {
    server = await ImagesApiServer.start({ apiKey: KEY });
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  it("uploads, creates, polls through every status and serves the output with every custom_id once, out of order", async () => {
    server.batch.contentChunkBytes = 1024;
    const lines = genLines(6);
    const upRes = await upload(jsonl(lines));
    assert.equal(upRes.status, 200);
    const file = await upRes.json();
    assert.match(file.id, /^file-[0-9a-f]+$/);
    assert.deepEqual(
      { ...file, id: 0, created_at: 0 },
      { id: 0, object: "file", bytes: Buffer.byteLength(jsonl(lines)), created_at: 0, filename: "input.jsonl", purpose: "batch" },
    );
    assert.ok(Math.abs(file.created_at - Date.now() / 1000) < 5);
    assert.equal(server.batch.uploads.length, 1);
    assert.deepEqual(
      server.batch.uploads[0].lines?.map((l) => (l as Line).custom_id),
      lines.map((l) => l.custom_id),
    );
    assert.deepEqual(await (await api("GET", `/v1/files/${file.id}`)).json(), file);
    assert.equal((await content(file.id)).text, jsonl(lines));

    const batch = await createOk(file.id, GEN, { metadata: { flow: "f1" } });
    assert.match(batch.id, /^batch_[0-9a-f]+$/);
    assert.deepEqual(
      { ...batch, id: 0, created_at: 0, expires_at: 0 },
      {
        id: 0,
        object: "batch",
        endpoint: GEN,
        errors: null,
        input_file_id: file.id,
        completion_window: "24h",
        status: "validating",
        output_file_id: null,
        error_file_id: null,
        created_at: 0,
        in_progress_at: null,
        expires_at: 0,
        finalizing_at: null,
        completed_at: null,
        failed_at: null,
        expired_at: null,
        cancelling_at: null,
        cancelled_at: null,
        request_counts: { total: 6, completed: 0, failed: 0 },
        metadata: { flow: "f1" },
      },
    );
    assert.equal(batch.expires_at, batch.created_at + 86400);

    const seen: Array<[string, number]> = [];
    let b = batch;
    for (let i = 0; i < 5; i++) {
      b = await poll(batch.id);
      seen.push([b.status, b.request_counts.completed]);
    }
    assert.deepEqual(seen, [
      ["validating", 0],
      ["in_progress", 2],
      ["in_progress", 4],
      ["finalizing", 6],
      ["completed", 6],
    ]);
    assert.equal(server.batch.polls(batch.id), 5);
    assert.deepEqual(b.request_counts, { total: 6, completed: 6, failed: 0 });
    for (const t of ["in_progress_at", "finalizing_at", "completed_at"]) assert.equal(typeof b[t], "number", t);
    assert.equal(b.error_file_id, null);
    assert.match(b.output_file_id, /^file-/);
    assert.equal((await poll(batch.id)).status, "completed", "stays completed");

    const outFile = await (await api("GET", `/v1/files/${b.output_file_id}`)).json();
    assert.equal(outFile.purpose, "batch_output");
    const { res, text } = await content(b.output_file_id);
    assert.equal(res.headers.get("content-type"), "application/jsonl");
    assert.equal(res.headers.get("transfer-encoding"), "chunked");
    assert.ok(text.length > 1024 * 3, "several chunks' worth");
    assert.equal(outFile.bytes, Buffer.byteLength(text));
    const out = parse(text);
    const ids = out.map((l) => l.custom_id);
    assert.deepEqual([...ids].sort(), lines.map((l) => l.custom_id).sort(), "every custom_id exactly once");
    assert.notDeepEqual(
      ids,
      lines.map((l) => l.custom_id),
      "out of order",
    );
    for (const l of out) {
      assert.match(l.id, /^batch_req_[0-9a-f]+$/);
      assert.equal(l.error, null);
      assert.equal(l.response.status_code, 200);
      assert.match(l.response.request_id, /^req_[0-9a-f]+$/);
      assert.deepEqual(pngSize(Buffer.from(l.response.body.data[0].b64_json, "base64")), { width: 64, height: 48 });
      assert.equal(l.response.body.size, "64x48");
    }
    assert.deepEqual(
      server.batch.output(batch.id).output.map((l) => l.custom_id),
      ids,
    );

    const list = await (await api("GET", "/v1/batches")).json();
    assert.equal(list.object, "list");
    assert.equal(list.has_more, false);
    assert.deepEqual(
      list.data.map((x: { id: string }) => x.id),
      [batch.id],
    );

    const recorded = server.requests.map((r) => `${r.method} ${r.path}`);
    assert.equal(recorded[0], "POST /v1/files");
    assert.equal(server.requests[0].form?.find((p) => p.name === "purpose")?.value, "batch");
    const createReq = server.requests.find((r) => r.path === "/v1/batches" && r.method === "POST");
    assert.equal(createReq?.json.input_file_id, file.id);
    assert.equal(recorded.filter((r) => r === `GET /v1/batches/${batch.id}`).length, 6);
  });

  it("the shuffle is deterministic for a seed", async () => {
    const order = async () => {
      const b = await createOk(await uploadOk(jsonl(genLines(8))));
      server.batch.completeAll();
      return parse((await content((await poll(b.id)).output_file_id)).text).map((l) => l.custom_id);
    };
    const first = await order();
    server.reset();
    assert.deepEqual(await order(), first);
    server.reset();
    server.batch.outputOrder = "input";
    assert.deepEqual(
      await order(),
      genLines(8).map((l) => l.custom_id),
    );
  });

  it("answers each line as a direct request would: a bad body gives a 400 line in the error file", async () => {
    const lines = [
      ...genLines(2),
      { custom_id: "bad-size", body: { model: "gpt-image-1", prompt: "x", size: "huge" } },
      { custom_id: "no-prompt", body: { model: "gpt-image-1" } },
    ];
    const direct = await api("POST", GEN, lines[2].body);
    assert.equal(direct.status, 400);
    const directBody = await direct.json();
    server.batch.pace = { ...DEFAULT_PACE, validatingPolls: 0, inProgressPolls: 0, finalizingPolls: 0 };
    const b = await createOk(await uploadOk(jsonl(lines)));
    const done = await poll(b.id);
    assert.equal(done.status, "completed");
    assert.deepEqual(done.request_counts, { total: 4, completed: 2, failed: 2 });
    assert.match(done.error_file_id, /^file-/);
    const errors = parse((await content(done.error_file_id)).text);
    assert.deepEqual(errors.map((l) => l.custom_id).sort(), ["bad-size", "no-prompt"]);
    const bad = errors.find((l) => l.custom_id === "bad-size");
    assert.equal(bad.error, null);
    assert.equal(bad.response.status_code, 400);
    assert.match(bad.response.request_id, /^req_/);
    assert.deepEqual(bad.response.body, directBody);
    assert.equal(bad.response.body.error.param, "size");
    assert.equal(errors.find((l) => l.custom_id === "no-prompt").response.body.error.code, "missing_required_parameter");
    assert.equal(parse((await content(done.output_file_id)).text).length, 2);
    // line execution does not consume scripted steps
    server.script({ status: 500 });
    const b2 = await createOk(await uploadOk(jsonl(genLines(1))));
    assert.equal((await poll(b2.id)).request_counts.completed, 1);
    assert.equal((await api("POST", GEN, { prompt: "x" })).status, 500);
  });

  it("resolves {file_id} images of JSON edits to the uploaded file's bytes", async () => {
    const png = encodePng(48, 32, { seed: 3 });
    const imgRes = await upload(png, "vision", "photo.png", "image/png");
    const img = await imgRes.json();
    assert.equal(img.purpose, "vision");
    assert.equal(img.bytes, png.length);
    const got = await content(img.id);
    assert.equal(got.res.headers.get("content-type"), "application/octet-stream");
    assert.deepEqual(Buffer.from(await (await api("GET", `/v1/files/${img.id}/content`)).arrayBuffer()), png);
    const input = await uploadOk(
      jsonl([
        { custom_id: "by-file", url: EDITS, body: { model: "gpt-image-1", prompt: "edit", images: [{ file_id: img.id }] } },
        {
          custom_id: "by-url",
          url: EDITS,
          body: {
            model: "gpt-image-1",
            prompt: "edit",
            images: [{ image_url: `data:image/png;base64,${encodePng(40, 24).toString("base64")}` }],
          },
        },
        { custom_id: "missing", url: EDITS, body: { model: "gpt-image-1", prompt: "edit", images: [{ file_id: "file-nope" }] } },
        { custom_id: "wrong-purpose", url: EDITS, body: { model: "gpt-image-1", prompt: "edit", images: [{ file_id: "INPUT" }] } },
      ]),
    );
    // a batch input file is no image: point the last line at the input file itself
    const stored = server.batch.files.get(input);
    assert.ok(stored);
    stored.data = Buffer.from(stored.data.toString("utf8").replace('"INPUT"', JSON.stringify(input)));
    const b = await createOk(input, EDITS);
    server.batch.completeAll();
    const done = await poll(b.id);
    assert.deepEqual(done.request_counts, { total: 4, completed: 2, failed: 2 });
    const byId = Object.fromEntries(
      [...parse((await content(done.output_file_id)).text), ...parse((await content(done.error_file_id)).text)].map((l) => [
        l.custom_id,
        l,
      ]),
    );
    assert.deepEqual(pngSize(Buffer.from(byId["by-file"].response.body.data[0].b64_json, "base64")), { width: 48, height: 32 });
    assert.equal(byId["by-file"].response.body.usage.input_tokens_details.image_tokens, 194);
    assert.deepEqual(pngSize(Buffer.from(byId["by-url"].response.body.data[0].b64_json, "base64")), { width: 40, height: 24 });
    assert.equal(byId.missing.response.status_code, 400);
    assert.equal(byId.missing.response.body.error.param, "images[0].file_id");
    assert.match(byId["wrong-purpose"].response.body.error.message, /purpose 'batch'/);
  });

  it("cancels: cancelling, then cancelled on the next poll, with what was done in the output", async () => {
    server.batch.pace = { ...DEFAULT_PACE, inProgressPolls: 3 };
    const b = await createOk(await uploadOk(jsonl(genLines(8))));
    assert.equal((await poll(b.id)).status, "validating");
    assert.equal((await poll(b.id)).request_counts.completed, 2);
    assert.equal((await poll(b.id)).request_counts.completed, 4);
    const res = await api("POST", `/v1/batches/${b.id}/cancel`);
    assert.equal(res.status, 200);
    const cancelling = await res.json();
    assert.equal(cancelling.status, "cancelling");
    assert.equal(typeof cancelling.cancelling_at, "number");
    assert.deepEqual(server.batch.cancels, [b.id]);
    const cancelled = await poll(b.id);
    assert.equal(cancelled.status, "cancelled");
    assert.equal(typeof cancelled.cancelled_at, "number");
    assert.deepEqual(cancelled.request_counts, { total: 8, completed: 4, failed: 4 });
    const out = parse((await content(cancelled.output_file_id)).text);
    assert.deepEqual(out.map((l) => l.custom_id).sort(), ["req-0", "req-1", "req-2", "req-3"]);
    const errors = parse((await content(cancelled.error_file_id)).text);
    assert.deepEqual(errors.map((l) => l.custom_id).sort(), ["req-4", "req-5", "req-6", "req-7"]);
    for (const l of errors) assert.deepEqual([l.response, l.error.code], [null, "batch_cancelled"]);
    const again = await api("POST", `/v1/batches/${b.id}/cancel`);
    assert.equal(again.status, 409);
    assert.match((await again.json()).error.message, /status 'cancelled'/);

    server.batch.pace.cancellingPolls = 1;
    const b2 = await createOk(await uploadOk(jsonl(genLines(2))));
    assert.equal((await (await api("POST", `/v1/batches/${b2.id}/cancel`)).json()).status, "cancelling");
    assert.equal((await poll(b2.id)).status, "cancelling");
    const c2 = await poll(b2.id);
    assert.equal(c2.status, "cancelled");
    assert.equal(c2.output_file_id, null);
    assert.equal(server.batch.get(b2.id).cancels, 1);
    assert.equal((await api("POST", "/v1/batches/batch_nope/cancel")).status, 404);
  });

  it("expires after expireAfterPolls with the rest as batch_expired error lines", async () => {
    server.batch.pace.expireAfterPolls = 2;
    const b = await createOk(await uploadOk(jsonl(genLines(3))));
    assert.equal((await poll(b.id)).status, "validating");
    assert.equal((await poll(b.id)).request_counts.completed, 1);
    const expired = await poll(b.id);
    assert.equal(expired.status, "expired");
    assert.equal(typeof expired.expired_at, "number");
    assert.deepEqual(expired.request_counts, { total: 3, completed: 1, failed: 2 });
    assert.equal(parse((await content(expired.output_file_id)).text).length, 1);
    const errors = parse((await content(expired.error_file_id)).text);
    assert.equal(errors.length, 2);
    for (const l of errors) {
      assert.equal(l.response, null);
      assert.deepEqual(l.error, {
        code: "batch_expired",
        message: "This request could not be executed before the completion window expired.",
      });
    }
  });

  it("answers scripted 429s on polling with retry-after-ms / retry-after, without counting them as polls", async () => {
    const b = await createOk(await uploadOk(jsonl(genLines(1))));
    server.batch.throttlePolls = 2;
    for (let i = 0; i < 2; i++) {
      const res = await api("GET", `/v1/batches/${b.id}`);
      assert.equal(res.status, 429);
      assert.equal(res.headers.get("retry-after-ms"), "50");
      assert.equal(res.headers.get("retry-after"), "1");
      const body = await res.json();
      assert.equal(body.error.code, "rate_limit_exceeded");
      assert.equal(body.error.type, "requests");
    }
    assert.equal((await poll(b.id)).status, "validating");
    assert.equal(server.batch.polls(b.id), 1);
    assert.equal(server.batch.throttled, 2);
    assert.equal(server.batch.get(b.id).throttled, 2);
    assert.equal(server.batch.throttlePolls, 0);
  });

  it("unsupported mode: every Files/Batch path answers 404 Invalid URL, the images routes still work", async () => {
    server.batch.unsupported = true;
    const res = await upload(jsonl(genLines(1)));
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), {
      error: { message: "Invalid URL (POST /v1/files)", type: "invalid_request_error", param: null, code: null },
    });
    assert.equal((await create("file-x")).status, 404);
    const get = await api("GET", "/v1/batches/batch_x", undefined, {});
    assert.equal(get.status, 404, "404 even without a key");
    assert.equal((await get.json()).error.message, "Invalid URL (GET /v1/batches/batch_x)");
    assert.equal((await api("POST", GEN, { prompt: "still here" })).status, 200);
    assert.equal(server.batch.uploads.length, 0);
  });

  it("needs the API key and answers unknown ids and paths with 404", async () => {
    const res = await api("GET", "/v1/batches", undefined, {});
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.code, "invalid_api_key");
    assert.equal((await api("GET", "/v1/files/file-x", undefined, { authorization: "Bearer wrong" })).status, 401);
    const nf = await api("GET", "/v1/files/file-nope");
    assert.equal(nf.status, 404);
    assert.deepEqual(await nf.json(), {
      error: { message: "No such File object: file-nope", type: "invalid_request_error", param: "id", code: null },
    });
    assert.equal((await api("GET", "/v1/files/file-nope/content")).status, 404);
    assert.equal((await api("GET", "/v1/batches/batch_nope")).status, 404);
    assert.equal((await api("PUT", "/v1/batches")).status, 404);
    const id = await uploadOk("x\n", "user_data", "notes.txt", "text/plain");
    assert.deepEqual(await (await api("DELETE", `/v1/files/${id}`)).json(), { id, object: "file", deleted: true });
    assert.equal((await api("GET", `/v1/files/${id}`)).status, 404);
    assert.deepEqual(server.batch.deletedFiles, [id]);
  });

  it("refuses bad uploads and bad batch requests with 400", async () => {
    const badPurpose = await upload("x", "pictures");
    assert.equal(badPurpose.status, 400);
    assert.equal((await badPurpose.json()).error.param, "purpose");
    const noFile = await fetch(`${server.baseUrl}/files`, {
      method: "POST",
      headers: AUTH,
      body: (() => {
        const f = new FormData();
        f.append("purpose", "batch");
        return f;
      })(),
    });
    assert.equal(noFile.status, 400);
    assert.equal((await noFile.json()).error.param, "file");

    const input = await uploadOk(jsonl(genLines(1)));
    const image = await uploadOk(encodePng(8, 8), "vision", "a.png", "image/png");
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ input_file_id: input, endpoint: GEN, completion_window: "1h" }, "completion_window"],
      [{ endpoint: GEN, completion_window: "24h" }, "input_file_id"],
      [{ input_file_id: "file-nope", endpoint: GEN, completion_window: "24h" }, "input_file_id"],
      [{ input_file_id: image, endpoint: GEN, completion_window: "24h" }, "input_file_id"],
      [{ input_file_id: input, endpoint: "/v1/chat/completions", completion_window: "24h" }, "endpoint"],
      [{ input_file_id: input, endpoint: GEN, completion_window: "24h", metadata: { n: 1 } }, "metadata.n"],
    ];
    for (const [body, param] of cases) {
      const res = await api("POST", "/v1/batches", body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal((await res.json()).error.param, param, JSON.stringify(body));
    }
    const notJson = await fetch(`${server.baseUrl}/batches`, {
      method: "POST",
      headers: { ...AUTH, "content-type": "application/json" },
      body: "{",
    });
    assert.equal(notJson.status, 400);
    assert.equal(server.batch.batches.size, 0);
  });

  it("fails a batch with line errors after validating: duplicate custom_id, wrong url, bad JSON, missing body", async () => {
    const input = await uploadOk(
      jsonl([
        { custom_id: "a", body: { prompt: "x" } },
        { custom_id: "a", body: { prompt: "y" } },
        { custom_id: "b", url: EDITS, body: { prompt: "z" } },
        "{not json",
        { custom_id: "c" },
        { custom_id: "d", method: "GET", body: { prompt: "w" } },
      ]),
    );
    assert.equal(server.batch.uploads[0].lines?.[3], undefined, "the unparsable line is recorded as undefined");
    const b = await createOk(input);
    assert.equal(b.status, "validating");
    assert.equal(b.errors, null);
    assert.equal(b.request_counts.total, 6);
    assert.equal((await poll(b.id)).status, "validating");
    const failed = await poll(b.id);
    assert.equal(failed.status, "failed");
    assert.equal(typeof failed.failed_at, "number");
    assert.equal(failed.output_file_id, null);
    assert.deepEqual(
      failed.errors.data.map((e: { code: string; line: number }) => [e.code, e.line]),
      [
        ["duplicate_custom_id", 2],
        ["invalid_url", 3],
        ["invalid_json_line", 4],
        ["missing_required_parameter", 5],
        ["invalid_method", 6],
      ],
    );
    assert.equal((await poll(b.id)).status, "failed", "stays failed");

    const empty = await createOk(await uploadOk("\n"));
    server.batch.completeAll();
    const e = await poll(empty.id);
    assert.equal(e.status, "failed");
    assert.equal(e.errors.data[0].code, "empty_file");
  });

  it("records every cancel and delete; stallCleanupMs makes them hang mid-body (nothing done) until reset", async () => {
    const fileId = await uploadOk(jsonl(genLines(2)));
    const b = await createOk(fileId);
    server.batch.stallCleanupMs = 60_000;
    const stalled = await api("POST", `/v1/batches/${b.id}/cancel`, undefined);
    assert.equal(stalled.status, 200, "the headers come");
    const reading = stalled.text().then(
      () => "read",
      () => "failed",
    );
    const outcome = await Promise.race([reading, new Promise((r) => setTimeout(() => r("stalled"), 300))]);
    assert.equal(outcome, "stalled", "the body does not end");
    assert.deepEqual(server.batch.cancels, [], "nothing cancelled");
    assert.deepEqual(server.batch.cleanupRequests, [`CANCEL ${b.id}`]);
    server.reset();
    assert.equal(server.batch.stallCleanupMs, 0);
    assert.deepEqual(server.batch.cleanupRequests, []);
    const f = await uploadOk(jsonl(genLines(1)));
    assert.equal((await api("DELETE", `/v1/files/${f}`)).status, 200);
    assert.equal((await api("DELETE", `/v1/files/${f}`)).status, 404);
    assert.deepEqual(server.batch.cleanupRequests, [`DELETE ${f}`, `DELETE ${f}`]);
    assert.deepEqual(server.batch.deletedFiles, [f]);
  });

  it("setStatus forces a status; completeAll ends every batch; reset clears everything", async () => {
    const a = await createOk(await uploadOk(jsonl(genLines(3))));
    const b = await createOk(await uploadOk(jsonl(genLines(2))));
    server.batch.setStatus(a.id, "finalizing");
    const fa = await poll(a.id);
    assert.equal(fa.status, "finalizing");
    assert.equal(fa.request_counts.completed, 3);
    server.batch.setStatus(b.id, "expired");
    assert.equal((await poll(b.id)).status, "expired");
    assert.equal(server.batch.output(b.id).errors.length, 2);
    server.batch.setStatus(b.id, "in_progress");
    assert.equal(server.batch.json(b.id).status, "in_progress");
    server.batch.completeAll();
    assert.equal(server.batch.json(a.id).status, "completed");
    assert.equal((await poll(b.id)).status, "completed");
    assert.equal(server.batch.output(a.id).output.length, 3);

    server.batch.throttlePolls = 3;
    server.batch.unsupported = true;
    server.batch.pace.validatingPolls = 9;
    server.reset();
    assert.equal(server.batch.batches.size, 0);
    assert.equal(server.batch.files.size, 0);
    assert.equal(server.batch.throttlePolls, 0);
    assert.equal(server.batch.unsupported, false);
    assert.deepEqual(server.batch.pace, DEFAULT_PACE);
    assert.equal(server.requests.length, 0);
  });
});
