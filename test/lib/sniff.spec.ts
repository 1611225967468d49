/**
 * sniffImage() on every fixture and on damaged files, describeUnknown() on what is not an image.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describeUnknown, sniffImage, type ImageInfo } from "../../src/lib/sniff";

const FIXTURES = join(__dirname, "..", "fixtures");
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

type Expected = Pick<ImageInfo, "mime" | "ext" | "width" | "height" | "hasAlpha">;

const EXPECTED: Record<string, Expected> = {
  "photo-256.png": { mime: "image/png", ext: "png", width: 256, height: 256, hasAlpha: false },
  "logo-rgba-256.png": { mime: "image/png", ext: "png", width: 256, height: 256, hasAlpha: true },
  "logo-palette-trns-256.png": { mime: "image/png", ext: "png", width: 256, height: 256, hasAlpha: true },
  "original-1024.png": { mime: "image/png", ext: "png", width: 1024, height: 1024, hasAlpha: false },
  "mask-1024.png": { mime: "image/png", ext: "png", width: 1024, height: 1024, hasAlpha: true },
  "mask-256.png": { mime: "image/png", ext: "png", width: 256, height: 256, hasAlpha: true },
  "mask-128-wrong-size.png": { mime: "image/png", ext: "png", width: 128, height: 128, hasAlpha: true },
  "mask-256-no-alpha.png": { mime: "image/png", ext: "png", width: 256, height: 256, hasAlpha: false },
  "wide-384x256.png": { mime: "image/png", ext: "png", width: 384, height: 256, hasAlpha: false },
  "photo-256.jpg": { mime: "image/jpeg", ext: "jpeg", width: 256, height: 256, hasAlpha: false },
  "photo-256-progressive.jpg": { mime: "image/jpeg", ext: "jpeg", width: 256, height: 256, hasAlpha: false },
  "photo-256-lossy.webp": { mime: "image/webp", ext: "webp", width: 256, height: 256, hasAlpha: false },
  "photo-256-lossless.webp": { mime: "image/webp", ext: "webp", width: 256, height: 256, hasAlpha: false },
  "logo-rgba-256.webp": { mime: "image/webp", ext: "webp", width: 256, height: 256, hasAlpha: true },
  "photo-256.gif": { mime: "image/gif", ext: "gif", width: 256, height: 256, hasAlpha: false },
};

/** PNG chunks of a file as [type, whole chunk bytes]. */
function pngChunks(buf: Buffer): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  let pos = 8;
  while (pos + 8 <= buf.length) {
    const len = buf.readUInt32BE(pos);
    out.push([buf.toString("latin1", pos + 4, pos + 8), buf.subarray(pos, pos + 12 + len)]);
    pos += 12 + len;
  }
  return out;
}

describe("sniffImage()", () => {
  it("every image fixture is in the table (and nothing else is)", () => {
    const images = readdirSync(FIXTURES).filter((f) => /\.(png|jpe?g|webp|gif)$/.test(f) && f !== "truncated.png");
    assert.deepEqual(images.sort(), Object.keys(EXPECTED).sort());
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name} → ${expected.mime} ${expected.width}x${expected.height}${expected.hasAlpha ? " with alpha" : ""}`, () => {
      const info = sniffImage(fixture(name));
      assert.deepEqual(info, expected);
    });
  }

  it("the file's first bytes decide, not its name", () => {
    // the same bytes whatever they are called; a PNG never comes back as JPEG
    assert.equal(sniffImage(fixture("photo-256.jpg"))?.mime, "image/jpeg");
    assert.equal(sniffImage(Buffer.concat([Buffer.from("x"), fixture("photo-256.png")])), undefined);
  });

  describe("damaged files", () => {
    it("truncated.png (the first 100 bytes of a PNG) → problem: truncated", () => {
      const info = sniffImage(fixture("truncated.png"));
      assert.equal(info?.mime, "image/png");
      assert.equal(info?.width, 256);
      assert.equal(info?.height, 256);
      assert.match(info?.problem ?? "", /truncated/);
    });

    it("a PNG cut inside its image data → truncated (chunk cut off)", () => {
      const full = fixture("photo-256.png");
      const info = sniffImage(full.subarray(0, full.length - 200));
      assert.match(info?.problem ?? "", /the PNG is truncated/);
    });

    it("a PNG without its IEND chunk → truncated", () => {
      const full = fixture("photo-256.png");
      const info = sniffImage(full.subarray(0, full.length - 12));
      assert.match(info?.problem ?? "", /truncated \(no IEND chunk\)/);
    });

    it("a PNG with IHDR and IEND but no IDAT → no image data", () => {
      const chunks = pngChunks(fixture("photo-256.png"));
      const keep = chunks.filter(([type]) => type !== "IDAT").map(([, bytes]) => bytes);
      const info = sniffImage(Buffer.concat([fixture("photo-256.png").subarray(0, 8), ...keep]));
      assert.equal(info?.problem, "the PNG has no image data");
    });

    it("a PNG with a short IHDR → corrupt header", () => {
      const ihdr = Buffer.alloc(12 + 4);
      ihdr.writeUInt32BE(4, 0);
      ihdr.write("IHDR", 4, "latin1");
      const info = sniffImage(Buffer.concat([fixture("photo-256.png").subarray(0, 8), ihdr]));
      assert.equal(info?.problem, "the PNG header is corrupt");
    });

    it("a baseline JPEG cut in half → truncated", () => {
      const full = fixture("photo-256.jpg");
      const info = sniffImage(full.subarray(0, Math.floor(full.length / 2)));
      assert.equal(info?.mime, "image/jpeg");
      assert.equal(info?.width, 256);
      assert.match(info?.problem ?? "", /the JPEG is truncated/);
    });

    it("a progressive JPEG cut in half → truncated", () => {
      const full = fixture("photo-256-progressive.jpg");
      const info = sniffImage(full.subarray(0, Math.floor(full.length / 2)));
      assert.match(info?.problem ?? "", /the JPEG is truncated/);
    });

    it("a JPEG cut inside its headers → truncated", () => {
      const info = sniffImage(fixture("photo-256.jpg").subarray(0, 30));
      assert.match(info?.problem ?? "", /truncated/);
    });

    it("a JPEG with garbage where a marker belongs → corrupt", () => {
      const info = sniffImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0x12, 0x34, 0x56, 0x78]));
      assert.equal(info?.problem, "the JPEG is corrupt (bad marker)");
    });

    it("a WebP shorter than its RIFF size says → truncated", () => {
      const full = fixture("photo-256-lossy.webp");
      const info = sniffImage(full.subarray(0, 40));
      assert.equal(info?.mime, "image/webp");
      assert.equal(info?.problem, "the WebP is truncated");
    });

    it("a WebP whose RIFF holds nothing but the WEBP tag → problem", () => {
      const buf = Buffer.concat([Buffer.from("RIFF", "latin1"), Buffer.from([4, 0, 0, 0]), Buffer.from("WEBP", "latin1")]);
      const info = sniffImage(buf);
      assert.equal(info?.mime, "image/webp");
      assert.ok(info?.problem, "expected a problem");
    });

    it("a WebP with an unknown first chunk → corrupt", () => {
      const full = Buffer.from(fixture("photo-256-lossy.webp"));
      full.write("XXXX", 12, "latin1");
      assert.equal(sniffImage(full)?.problem, "the WebP is corrupt (unknown first chunk)");
    });

    it("undamaged fixtures have no problem", () => {
      for (const name of Object.keys(EXPECTED)) assert.equal(sniffImage(fixture(name))?.problem, undefined, name);
    });
  });

  describe("not images", () => {
    for (const [name, buf] of [
      ["text", fixture("not-an-image.txt")],
      ["empty", Buffer.alloc(0)],
      ["7 bytes of a PNG signature", fixture("photo-256.png").subarray(0, 7)],
      ["2 bytes of a JPEG", Buffer.from([0xff, 0xd8])],
      ["RIFF but WAVE", Buffer.from("RIFF\x24\0\0\0WAVEfmt ", "latin1")],
      ["HEIC", Buffer.from("\0\0\0\x18ftypheic\0\0\0\0mif1heic", "latin1")],
      ["BMP", Buffer.from("BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00\x00\x00", "latin1")],
    ] as Array<[string, Buffer]>) {
      it(`${name} → undefined`, () => assert.equal(sniffImage(buf), undefined));
    }
  });
});

describe("describeUnknown()", () => {
  it("text shows its beginning", () => {
    const text = fixture("not-an-image.txt");
    const d = describeUnknown(text);
    assert.match(d, /^text \(/);
    assert.ok(d.includes(JSON.stringify(text.toString("utf8", 0, 24))), d);
  });

  it("an empty buffer", () => {
    assert.equal(describeUnknown(Buffer.alloc(0)), "empty data (0 bytes)");
  });

  it("a HEIC header", () => {
    const heic = Buffer.from("\0\0\0\x18ftypheic\0\0\0\0mif1heic", "latin1");
    assert.equal(describeUnknown(heic), "a HEIC/HEIF image (not accepted: convert it to PNG, JPEG or WebP)");
  });

  it("an AVIF header", () => {
    const avif = Buffer.from("\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf", "latin1");
    assert.equal(describeUnknown(avif), "an AVIF image (not accepted: convert it to PNG, JPEG or WebP)");
  });

  it("an MP4 is an ISO media file with its brand", () => {
    const mp4 = Buffer.from("\0\0\0\x20ftypisom\0\0\x02\0isomiso2", "latin1");
    assert.equal(describeUnknown(mp4), "an ISO media file (isom)");
  });

  it("a BMP", () => {
    const bmp = Buffer.alloc(54);
    bmp.write("BM", 0, "latin1");
    bmp.writeUInt32LE(54, 2);
    assert.equal(describeUnknown(bmp), "a BMP image (not accepted: convert it to PNG, JPEG or WebP)");
  });

  it("a PDF and a TIFF", () => {
    assert.equal(describeUnknown(Buffer.from("%PDF-1.7\n%\xe2\xe3", "latin1")), "a PDF document");
    assert.match(describeUnknown(Buffer.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0])), /^a TIFF image/);
    assert.match(describeUnknown(Buffer.from([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8])), /^a TIFF image/);
  });

  it("other binary shows its first bytes in hex", () => {
    assert.equal(describeUnknown(Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])), "unknown data starting with 00 01 02 03 04 05 06 07");
  });
});
