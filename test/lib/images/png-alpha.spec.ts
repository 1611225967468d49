/**
 * pngHasTransparentPixel(): the same verdicts as the synchronous check on real and encoded PNGs
 * (all filter types, interlacing, palettes, broken files), and on 4096x4096 RGBA PNGs (64 MB of
 * pixels) the event loop is never held 50 ms, little memory is kept, and a transparent pixel near
 * the start ends the decoding early.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { pngHasTransparentPixel } from "../../../src/lib/images/png-alpha";
import { gc } from "../../support/gc";
import { assertStallBudget, measureStall } from "../../support/stall";
import { bigRgba, encodePng, filteredRows, pngChunk, pngFile } from "./png-encoder";

const fixture = (name: string) => readFileSync(join(__dirname, "..", "..", "fixtures", name));

/** w x h samples of `channels` bytes from f(x, y, channel) */
function samples(w: number, h: number, channels: number, f: (x: number, y: number, c: number) => number): Buffer {
  const out = Buffer.alloc(w * h * channels);
  for (let y = 0, i = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < channels; c++) out[i++] = f(x, y, c);
  return out;
}
const noise = (x: number, y: number, c: number) => (x * 73 + y * 151 + c * 29 + ((x * y) >> 2)) & 0xff;
/** RGBA noise, opaque but for the holes: [x, y, alpha (default 0)] */
function rgba(w: number, h: number, holes: Array<[number, number, number?]> = []): Buffer {
  const out = samples(w, h, 4, (x, y, c) => (c < 3 ? noise(x, y, c) : 255));
  for (const [x, y, alpha] of holes) out[(y * w + x) * 4 + 3] = alpha ?? 0;
  return out;
}

async function verdict(png: Buffer, expected: boolean | undefined, what: string): Promise<void> {
  assert.equal(await pngHasTransparentPixel(png), expected, what);
}

describe("pngHasTransparentPixel()", () => {
  describe("verdicts on encoded PNGs (real files: test/lib/images/sniff.spec.ts)", () => {
    it("RGBA with filter types 0–4 row by row: opaque → false; alpha 0 or 254 in any row → true", async () => {
      const o = { width: 37, height: 23, colorType: 6 } as const;
      await verdict(encodePng({ ...o, samples: rgba(37, 23) }), false, "opaque");
      for (const [x, y, a] of [
        [0, 0],
        [36, 22],
        [18, 11, 254],
        [1, 1],
        [0, 2],
        [5, 3],
        [36, 4],
      ] as Array<[number, number, number?]>) {
        await verdict(encodePng({ ...o, samples: rgba(37, 23, [[x, y, a]]) }), true, `hole at ${x},${y} (row filter ${y % 5})`);
      }
    });

    it("the image data in 17-byte IDAT chunks, and interlaced (a hole in each Adam7 pass)", async () => {
      const o = { width: 19, height: 17, colorType: 6 } as const;
      await verdict(encodePng({ ...o, samples: rgba(19, 17), idatSize: 17 }), false, "split, opaque");
      await verdict(encodePng({ ...o, samples: rgba(19, 17, [[18, 16]]), idatSize: 17 }), true, "split, hole at the end");
      await verdict(encodePng({ ...o, samples: rgba(19, 17), interlace: true }), false, "interlaced, opaque");
      for (const [x, y] of [
        [0, 0],
        [4, 0],
        [0, 4],
        [2, 0],
        [0, 2],
        [1, 0],
        [0, 1],
        [17, 15],
      ]) {
        await verdict(encodePng({ ...o, samples: rgba(19, 17, [[x, y]]), interlace: true }), true, `interlaced, hole at ${x},${y}`);
      }
    });

    it("grey + alpha; palette with tRNS (entry used or not); grey and RGB with or without a tRNS key", async () => {
      const ga = (hole: boolean) => samples(9, 9, 2, (x, y, c) => (c === 0 ? noise(x, y, 0) : hole && x === 8 && y === 8 ? 3 : 255));
      await verdict(encodePng({ width: 9, height: 9, colorType: 4, samples: ga(false) }), false, "grey + alpha, opaque");
      await verdict(encodePng({ width: 9, height: 9, colorType: 4, samples: ga(true) }), true, "grey + alpha, one pixel at 3");
      const palette = { width: 11, height: 7, colorType: 3, plte: Buffer.alloc(9, 40), trns: Buffer.from([255, 255, 0]) } as const;
      await verdict(
        encodePng({ ...palette, samples: samples(11, 7, 1, (x, y) => (x + y) % 2) }),
        false,
        "palette, transparent entry unused",
      );
      await verdict(
        encodePng({ ...palette, samples: samples(11, 7, 1, (x, y) => (x === 6 && y === 6 ? 2 : (x + y) % 2)) }),
        true,
        "palette, transparent entry used once",
      );
      await verdict(encodePng({ ...palette, trns: undefined, samples: samples(11, 7, 1, () => 2) }), false, "palette without tRNS");
      const grey = (key: boolean) => samples(8, 8, 1, (x, y) => (key && x === 3 && y === 7 ? 200 : (x * 9 + y) % 100));
      await verdict(
        encodePng({ width: 8, height: 8, colorType: 0, samples: grey(true), trns: Buffer.from([0, 200]) }),
        true,
        "grey, key colour used",
      );
      await verdict(
        encodePng({ width: 8, height: 8, colorType: 0, samples: grey(false), trns: Buffer.from([0, 200]) }),
        false,
        "grey, key colour unused",
      );
      await verdict(encodePng({ width: 8, height: 8, colorType: 2, samples: samples(8, 8, 3, noise) }), false, "RGB, no alpha channel");
    });

    it("what cannot be decoded → undefined: not a PNG, a bad zlib stream, an unknown filter type, too little or too much data", async () => {
      await verdict(fixture("photo-256.jpg"), undefined, "a JPEG");
      await verdict(Buffer.alloc(0), undefined, "empty");
      const o = { width: 16, height: 16, colorType: 6 } as const;
      const rows = filteredRows({ ...o, samples: rgba(16, 16), filter: () => 0 });
      // the signature and IHDR of such a PNG, then this image data
      const withData = (data: Buffer) =>
        Buffer.concat([pngFile(o, Buffer.alloc(0)).subarray(0, 33), pngChunk("IDAT", data), pngChunk("IEND")]);
      await verdict(withData(deflateSync(rows)), false, "the control: these rows are fine");
      await verdict(withData(Buffer.from("not deflate at all")), undefined, "not zlib");
      await verdict(withData(deflateSync(rows).subarray(0, 300)), undefined, "cut off");
      const badFilter = Buffer.from(rows);
      badFilter[15 * 65] = 5;
      await verdict(withData(deflateSync(badFilter)), undefined, "filter type 5");
      await verdict(withData(deflateSync(rows.subarray(0, rows.length - 1))), undefined, "one byte short");
      await verdict(withData(deflateSync(Buffer.concat([rows, Buffer.alloc(100)]))), false, "100 bytes of padding after the rows");
      await verdict(withData(deflateSync(Buffer.concat([rows, Buffer.alloc(5000)]))), undefined, "5000 bytes more than the image holds");
      const bomb = withData(deflateSync(Buffer.alloc(1024 * 1024)));
      bomb.writeUInt32BE(30000, 16);
      bomb.writeUInt32BE(30000, 20);
      assert.equal(await pngHasTransparentPixel(bomb), undefined, "30000x30000: not decoded");
    });

    it("a transparent pixel decoded before the data breaks off → true", async () => {
      const o = { width: 16, height: 16, colorType: 6 } as const;
      const data = deflateSync(filteredRows({ ...o, samples: rgba(16, 16, [[3, 0]]) }));
      const cut = Buffer.concat([pngFile(o, Buffer.alloc(0)).subarray(0, 33), pngChunk("IDAT", data.subarray(0, 200)), pngChunk("IEND")]);
      assert.equal(await pngHasTransparentPixel(cut), true);
    });
  });

  describe("4096x4096 RGBA (64 MB of pixels)", function () {
    this.timeout(60000);
    let opaque: Buffer;
    let holeAtEnd: Buffer;
    let holeAtStart: Buffer;
    before(() => {
      // built before anything is measured: this takes a second or two
      const big = bigRgba(4096);
      opaque = big.opaque;
      holeAtEnd = big.withHole(4095, 4095);
      holeAtStart = big.withHole(7, 0);
    });

    /** the verdict, the longest the event loop was held meanwhile (ms) and the time taken (ms) */
    async function measured(png: Buffer): Promise<{ found: boolean | undefined; maxDelayMs: number; ms: number }> {
      let ms = 0;
      const { result, stallMs } = await measureStall(async () => {
        const start = performance.now();
        const found = await pngHasTransparentPixel(png);
        ms = performance.now() - start;
        return found;
      });
      return { found: result, maxDelayMs: stallMs, ms };
    }

    it("fully opaque → false, and the event loop is never held 50 ms (best of 3 runs)", async () => {
      const delays: number[] = [];
      for (let i = 0; i < 3; i++) {
        const { found, maxDelayMs } = await measured(opaque);
        assert.equal(found, false);
        delays.push(maxDelayMs);
      }
      assertStallBudget(delays, 50, "opaque 4096×4096 PNG");
    });

    it("one transparent pixel, the very last one (in a Paeth-filtered row) → true, under 50 ms of stall (best of 3 runs)", async () => {
      const delays: number[] = [];
      for (let i = 0; i < 3; i++) {
        const { found, maxDelayMs } = await measured(holeAtEnd);
        assert.equal(found, true);
        delays.push(maxDelayMs);
      }
      assertStallBudget(delays, 50, "4096×4096 PNG, last pixel transparent");
    });

    it("a transparent pixel in the first row ends the decoding early", async () => {
      const full = await measured(opaque);
      const early = await measured(holeAtStart);
      assert.equal(early.found, true);
      assert.ok(early.ms < full.ms / 4, `first row: ${early.ms.toFixed(1)} ms, whole image: ${full.ms.toFixed(1)} ms`);
    });

    it("keeps two rows and zlib's buffers, never the 64 MB: live ArrayBuffer memory grows less than 8 MB", async function () {
      if (!gc()) this.skip();
      const live = () => {
        gc();
        return process.memoryUsage().arrayBuffers;
      };
      const base = live();
      let peak = 0;
      // each sample is a full collection, which takes long in a process whose heap is large (the whole suite ran
      // before this test): the next sample waits twice as long as the last one took, so the decoding goes on
      let timer: NodeJS.Timeout | undefined;
      const sample = () => {
        const started = performance.now();
        peak = Math.max(peak, live() - base);
        timer = setTimeout(sample, Math.max(40, 2 * (performance.now() - started)));
      };
      timer = setTimeout(sample, 40);
      try {
        assert.equal(await pngHasTransparentPixel(opaque), false);
      } finally {
        clearTimeout(timer);
      }
      assert.ok(peak < 8 * 1024 * 1024, `peak ${(peak / 1024 / 1024).toFixed(1)} MB`);
    });
  });
});
