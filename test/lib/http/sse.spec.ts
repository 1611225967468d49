import assert from "node:assert/strict";
import { SseParser, type SseSink } from "../../../src/lib/http/sse";

interface TextEvent {
  event?: string;
  data: string;
  id?: string;
}

/** the events as text (the default sink) */
function parse(chunks: Array<string | Buffer>, max?: number): TextEvent[] {
  const events: TextEvent[] = [];
  const p = new SseParser(({ data, ...rest }) => events.push({ ...rest, data: data?.text ?? "" }), { maxEventBytes: max });
  for (const c of chunks) p.push(Buffer.isBuffer(c) ? c : Buffer.from(c, "utf8"));
  p.end();
  return events;
}

/** every split of `text` into chunks of `size` bytes */
function chunked(text: string, size: number): Buffer[] {
  const b = Buffer.from(text, "utf8");
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out;
}

describe("SSE parser", () => {
  const stream =
    ": a comment\n" +
    "event: image_generation.partial_image\n" +
    'data: {"a":1}\n\n' +
    "event: image_generation.completed\n" +
    "data: line one\n" +
    "data: line two\n" +
    "id: 7\n\n" +
    "data: [DONE]\n\n";
  const expected: TextEvent[] = [
    { event: "image_generation.partial_image", data: '{"a":1}' },
    { event: "image_generation.completed", data: "line one\nline two", id: "7" },
    { data: "[DONE]" },
  ];

  it("parses events, comments, multi-line data and ids", () => {
    assert.deepEqual(parse([stream]), expected);
  });

  for (const eol of ["\r\n", "\r"]) {
    it(`takes ${JSON.stringify(eol)} line ends`, () => {
      assert.deepEqual(parse([stream.replace(/\n/g, eol)]), expected);
    });
  }

  it("gives the same events whatever the chunk boundaries (every size from 1 byte, all line-end styles)", () => {
    for (const eol of ["\n", "\r\n", "\r"]) {
      const text = stream.replace(/\n/g, eol);
      for (let size = 1; size <= 12; size++) {
        assert.deepEqual(parse(chunked(text, size)), expected, `eol ${JSON.stringify(eol)}, ${size}-byte chunks`);
      }
    }
  });

  it("a CRLF split between two chunks is one line end, not two", () => {
    assert.deepEqual(parse(["data: x\r", "\ndata: y\r\n\r\n"]), [{ data: "x\ny" }]);
  });

  it("a UTF-8 character split between chunks survives", () => {
    const bytes = Buffer.from("data: 🦊 Füchse\n\n", "utf8");
    assert.deepEqual(parse([bytes.subarray(0, 8), bytes.subarray(8)]), [{ data: "🦊 Füchse" }]);
  });

  it("strips one space after the colon only, and takes fields without a value", () => {
    assert.deepEqual(parse(["data:  two spaces\nevent\ndata\n\n"]), [{ event: "", data: " two spaces\n" }]);
  });

  it("delivers a last event that lacks its blank line when the stream ends", () => {
    assert.deepEqual(parse(["event: x\ndata: tail"]), [{ event: "x", data: "tail" }]);
  });

  it("a large base64 line split over many chunks is rebuilt exactly, in linear time", () => {
    const b64 = Buffer.alloc(6 * 1024 * 1024, 7).toString("base64");
    const text = `event: image_generation.completed\ndata: {"b64_json":"${b64}"}\n\n`;
    const chunks = chunked(text, 16 * 1024);
    const started = process.hrtime.bigint();
    const events = parse(chunks);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(events.length, 1);
    assert.equal(JSON.parse(events[0].data).b64_json, b64);
    // quadratic string building over 500+ chunks of an 8 MB line takes seconds; linear takes milliseconds
    assert.ok(ms < 2000, `parsing took ${ms} ms`);
  });

  it("streams a data line's bytes into the event's sink as they arrive: nothing waits for the line's end", () => {
    const seen: string[] = [];
    const opened: Array<string | undefined> = [];
    const sink = (): SseSink & { parts: string[] } => {
      const parts: string[] = [];
      seen.push("open");
      return { parts, push: (b: Buffer) => parts.push(b.toString("utf8")) };
    };
    let current: ReturnType<typeof sink> | undefined;
    const events: string[][] = [];
    const p = new SseParser<ReturnType<typeof sink>>((e) => events.push(e.data?.parts ?? []), {
      open: (name) => {
        opened.push(name);
        current = sink();
        return current;
      },
    });
    p.push(Buffer.from("event: image_generation.completed\r\nda"));
    p.push(Buffer.from('ta: {"b64_json":"AAAA'));
    assert.deepEqual(current?.parts.join(""), '{"b64_json":"AAAA', "the first bytes arrived before the line ended");
    p.push(Buffer.from('BBBB"}\r\ndata: second\r\n\r\n'));
    assert.deepEqual(opened, ["image_generation.completed"], "opened once, with the event name");
    assert.equal(events.length, 1);
    assert.equal(events[0].join(""), '{"b64_json":"AAAABBBB"}\nsecond');
  });

  it("an event whose sink is declined is delivered as skipped, its data never read", () => {
    const events: Array<{ event?: string; skipped?: true; data?: unknown }> = [];
    const p = new SseParser<SseSink>((e) => events.push(e), { open: (name) => (name === "skip" ? undefined : { push: () => undefined }) });
    p.push(Buffer.from(`event: skip\ndata: ${"x".repeat(100_000)}\n\nevent: keep\ndata: y\n\n`));
    p.end();
    assert.deepEqual(
      events.map((e) => [e.event, e.skipped === true, e.data !== undefined]),
      [
        ["skip", true, false],
        ["keep", false, true],
      ],
    );
  });

  it("a 40 MB data line in 64 kB chunks: no step holds the loop (the line is never joined)", () => {
    const chunk = Buffer.alloc(65536, "A");
    let bytes = 0;
    const p = new SseParser<SseSink>(() => undefined, {
      maxEventBytes: 64 * 1024 * 1024,
      open: () => ({ push: (b) => (bytes += b.length) }),
    });
    p.push(Buffer.from("event: x\ndata: "));
    let longest = 0;
    for (let i = 0; i < 640; i++) {
      const t = process.hrtime.bigint();
      p.push(chunk);
      longest = Math.max(longest, Number(process.hrtime.bigint() - t) / 1e6);
    }
    p.push(Buffer.from("\n\n"));
    assert.equal(bytes, 640 * 65536);
    assert.ok(longest < 20, `one chunk took ${longest} ms`);
  });

  it("refuses an event larger than the limit instead of buffering it", () => {
    assert.throws(() => parse([`data: ${"x".repeat(5000)}\n\n`], 999), /larger than 999 bytes/);
  });
});
