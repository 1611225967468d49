/**
 * Base64Decoder (src/lib/answer/base64.ts) against Node's own decoder: the same bytes for every way the text
 * can be cut into pieces, both alphabets, characters to skip, an early "=", and never more bytes than
 * room() promised.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Base64Decoder } from "../../../src/lib/answer/base64";

/** Decodes `text` cut at the given offsets, each piece into a destination of exactly room() bytes. */
function decodeInPieces(text: string, cuts: number[]): Buffer {
  const src = Buffer.from(text, "latin1");
  const d = new Base64Decoder();
  const out: Buffer[] = [];
  const bounds = [0, ...cuts, src.length];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const room = d.room(bounds[k + 1] - bounds[k]);
    // a guard byte after the room: a write beyond it would show
    const dst = Buffer.alloc(room + 1, 0xaa);
    const end = d.write(src, bounds[k], bounds[k + 1], dst, 0);
    assert.ok(end <= room, `wrote ${end} bytes into a room of ${room}`);
    assert.equal(dst[room], 0xaa, "wrote past the room");
    out.push(dst.subarray(0, end));
  }
  const room = d.room(0);
  const last = Buffer.alloc(room + 1, 0xaa);
  const end = d.end(last, 0);
  assert.ok(end <= room && last[room] === 0xaa, `end() wrote ${end} bytes into a room of ${room}`);
  out.push(last.subarray(0, end));
  return Buffer.concat(out);
}

describe("Base64Decoder: base64 from bytes to bytes", () => {
  it("every length from 0 to 40 bytes, cut at every place: the bytes Node decodes", () => {
    for (let n = 0; n <= 40; n++) {
      const bytes = randomBytes(n);
      for (const text of [bytes.toString("base64"), bytes.toString("base64").replace(/=+$/, "")]) {
        assert.deepEqual(decodeInPieces(text, []), bytes, `${n} bytes whole`);
        for (let cut = 0; cut <= text.length; cut++) {
          assert.deepEqual(decodeInPieces(text, [cut]), bytes, `${n} bytes cut at ${cut}`);
        }
        const everyChar = Array.from({ length: text.length }, (_, i) => i);
        assert.deepEqual(decodeInPieces(text, everyChar), bytes, `${n} bytes one character at a time`);
      }
    }
  });

  it("the URL-safe alphabet (- and _) reads as + and /", () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    assert.deepEqual(decodeInPieces(bytes.toString("base64url"), [7, 100]), bytes);
    assert.deepEqual(decodeInPieces(bytes.toString("base64url"), []), Buffer.from(bytes.toString("base64url"), "base64"));
  });

  it("skips what Node skips (line breaks, spaces, stray characters) and stops where Node stops (the first =)", () => {
    const wrapped = randomBytes(300)
      .toString("base64")
      .replace(/(.{76})/g, "$1\r\n");
    const samples = [wrapped, "QU JD", "QUJD\nRA", "QUJ=D", "QQ==QQ==", "QUJD=RA", "Q", "QQ", "QUI", "Q!U@J#D", "=QUJD", "QUJD===="];
    for (const text of samples) {
      const expected = Buffer.from(text, "base64");
      assert.deepEqual(decodeInPieces(text, []), expected, JSON.stringify(text));
      for (let cut = 0; cut <= text.length; cut++)
        assert.deepEqual(decodeInPieces(text, [cut]), expected, `${JSON.stringify(text)} cut at ${cut}`);
    }
  });

  it("1 MiB in 64 KiB pieces, and again after end(): the decoder starts afresh for the next image", () => {
    const d = new Base64Decoder();
    for (const size of [1024 * 1024 + 1, 1024 * 1024 + 2]) {
      const bytes = randomBytes(size);
      const src = Buffer.from(bytes.toString("base64"), "latin1");
      const dst = Buffer.alloc(size + 4);
      let at = 0;
      for (let i = 0; i < src.length; i += 65536) at = d.write(src, i, Math.min(src.length, i + 65536), dst, at);
      at = d.end(dst, at);
      assert.equal(at, size);
      assert.deepEqual(dst.subarray(0, at), bytes);
    }
  });
});
