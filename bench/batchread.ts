/**
 * 6. Peak extra memory while a batch's output file is read: the path batch delivery takes (Files API
 * `GET /files/{id}/content` as a stream → readBatchLines, each chunk freed once read (readFileLines) → imagesFromBody per line), each line's images
 * dropped once delivered (counted and checked to be PNGs), as a node that sends them on does. In a fresh
 * process, started with --expose-gc. What matters is the ratio to the images of the largest single line:
 * the file itself (hundreds of MB of base64) must never be held.
 *
 * With `collect`, a full gc() runs after each line (from a task of its own, once the line is let go): what
 * is then left at the peak is what the reader holds (one line), not garbage waiting for the collector; it
 * shows where the peak of the plain run goes.
 *
 *   node --import tsx --expose-gc bench/batchread.ts <sinkUrl> <fileId> [plain|collect]
 */
import { measurePeak } from "./lib/peak";
import { report } from "./lib/proc";
import { ours } from "./lib/ours";
import { API_KEY } from "./lib/payloads";

const [baseUrl, fileId, mode = "plain"] = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc;
const { ImagesClient, readFileLines, imagesFromBody } = ours;

async function main() {
  const client = new ImagesClient({ baseUrl, apiKey: API_KEY });
  // warm-up: modules, JIT and the connection, on the first line of the same file (then the download is aborted)
  const warm = new AbortController();
  await readFileLines(
    client,
    fileId,
    (line) => (imagesFromBody(line.body, 200, { attempts: 1 }, client.redact), warm.abort()),
    warm.signal,
  ).catch(() => undefined);
  let lines = 0;
  let images = 0;
  let imageBytes = 0;
  let pngs = true;
  const { extra, baseline, wallMs } = await measurePeak(() =>
    readFileLines(client, fileId, (line) => {
      const result = imagesFromBody(line.body, line.statusCode ?? 0, { attempts: 1 }, client.redact);
      lines++;
      for (const image of result.images) {
        images++;
        imageBytes += image.data?.length ?? 0;
        pngs &&= image.data?.subarray(1, 4).toString("latin1") === "PNG";
      }
      // once this line is let go, before the next one is read
      if (mode === "collect") setImmediate(() => gc?.());
    }),
  );
  await client.close();
  return { mode, lines, images, imageBytes, pngs, wallMs, extra, baseline };
}

report(main);
