/**
 * 6. Peak extra memory while a batch's output file is read: the path batch delivery takes (Files API
 * `GET /files/{id}/content` as a stream → readBatchLines, each chunk freed once read (fileLines) → imagesFromBody per line), each line's images
 * dropped once delivered (counted and checked to be PNGs), as a node that sends them on does. In a fresh
 * process, started with --expose-gc. What matters is the ratio to the images of the largest single line:
 * the file itself (hundreds of MB of base64) must never be held.
 *
 * With `collect`, a full gc() runs after each line: what is then left at the peak is what the reader holds
 * (one line), not garbage waiting for the collector; it shows where the peak of the plain run goes.
 *
 *   node --import tsx --expose-gc bench/batchread.ts <sinkUrl> <fileId> [plain|collect]
 */
import { measurePeak } from "./lib/peak";
import { report } from "./lib/proc";
import { ours } from "./lib/ours";
import { API_KEY } from "./lib/payloads";

const [baseUrl, fileId, mode = "plain"] = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc;
const { ImagesClient, fileLines, imagesFromBody } = ours;

async function main() {
  const client = new ImagesClient({ baseUrl, apiKey: API_KEY });
  // warm-up: modules, JIT and the connection, on the first lines of the same file
  for await (const line of await fileLines(client, fileId)) {
    imagesFromBody(line.body, 200, { attempts: 1 }, client.redact);
    break;
  }
  let lines = 0;
  let images = 0;
  let imageBytes = 0;
  let pngs = true;
  const { extra, baseline, wallMs } = await measurePeak(async () => {
    for await (const line of await fileLines(client, fileId)) {
      const result = imagesFromBody(line.body, line.statusCode ?? 0, { attempts: 1 }, client.redact);
      lines++;
      for (const image of result.images) {
        images++;
        imageBytes += image.data?.length ?? 0;
        pngs &&= image.data?.subarray(1, 4).toString("latin1") === "PNG";
      }
      if (mode === "collect") gc?.();
    }
  });
  await client.close();
  return { mode, lines, images, imageBytes, pngs, wallMs, extra, baseline };
}

report(main);
