/**
 * Downloads an image URL that an answer gave, trusting nothing about it: only http(s) (a `data:` URL is read in place,
 * by the same rules); the key only to the API's
 * own origin; loopback, private and link-local hosts only when the base URL is on one too (checked on the URL and
 * again on every address a name resolves to, at connect time); at most `maxBytes`; within the timeout; at most 3
 * redirects, each checked the same way; and the bytes must be an image. Every refusal is `download_failed`,
 * naming the host.
 */
import type { Dispatcher } from "undici";
import { request } from "undici";
import { NON_PUBLIC_CODE, refuseLiteral } from "./address-policy";
import { transportError } from "./http-errors";
import { abortedError, formatBytes, ImagesApiError, isImagesApiError } from "../errors";
import { headerValue } from "./retry";
import { readAll } from "./read-body";
import { sniffImage } from "../images/sniff";

export interface DownloadSetup {
  /** the API's origin: the only one that gets the auth headers */
  apiOrigin: string;
  authHeaders: () => Record<string, string>;
  timeoutMs: number;
  /**
   * The dispatcher for downloads, and whether non-public hosts may be reached (the base URL is on one). When
   * not, the dispatcher's connections refuse names that resolve to non-public addresses.
   */
  route: () => Promise<{ dispatcher: Dispatcher; nonPublicAllowed: boolean }>;
}

const MAX_REDIRECTS = 3;

export async function downloadImage(setup: DownloadSetup, url: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer> {
  // some local servers and shims answer with the image itself as a data: URL: read here, nothing fetched
  if (/^data:/i.test(url)) return inlineImage(url, maxBytes);
  let target = parseUrl(url);
  const { dispatcher, nonPublicAllowed } = await setup.route();
  const timer = new AbortController();
  const timeout = setTimeout(() => timer.abort(), setup.timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timer.signal]) : timer.signal;
  try {
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      if (!nonPublicAllowed) {
        const refused = refuseLiteral(target.hostname);
        if (refused) throw notPublic(target, refused);
      }
      const headers: Record<string, string> = { accept: "image/*", ...(target.origin === setup.apiOrigin ? setup.authHeaders() : {}) };
      let res: Dispatcher.ResponseData;
      try {
        res = await request(target, { method: "GET", dispatcher, headers, signal: combined });
      } catch (err) {
        if ((err as { code?: string }).code === NON_PUBLIC_CODE) throw notPublic(target, err as Error);
        throw err;
      }
      const location = headerValue(res.headers, "location");
      if (res.statusCode >= 300 && res.statusCode < 400 && location) {
        await res.body.dump();
        target = parseUrl(new URL(location, target).toString());
        continue;
      }
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw failed(target, `answered HTTP ${res.statusCode}`, { statusCode: res.statusCode, retryable: res.statusCode >= 500 });
      }
      const tooLarge = () =>
        failed(
          target,
          `sent more than ${formatBytes(maxBytes)}, the most one image may have here (the config node's largest image and largest answer)`,
        );
      const declared = Number(headerValue(res.headers, "content-length"));
      if (declared > maxBytes) {
        await res.body.dump();
        throw tooLarge();
      }
      const body = await readAll(res.body, maxBytes, tooLarge);
      if (!sniffImage(body)) {
        const type = headerValue(res.headers, "content-type")?.split(";")[0].trim();
        // the bytes are not shown: they may be a page the flow should never see
        throw failed(
          target,
          `answered with ${formatBytes(body.length)} of ${type || "unknown content"}, not an image (PNG, JPEG, WebP, GIF or SVG)`,
        );
      }
      return body;
    }
    throw failed(target, `redirected more than ${MAX_REDIRECTS} times`);
  } catch (err) {
    if (isImagesApiError(err)) throw err;
    if (signal?.aborted) throw abortedError(0);
    const e = transportError(err, timer.signal.aborted, setup.timeoutMs, {});
    throw new ImagesApiError(
      e.code === "timeout" ? "timeout" : "download_failed",
      `downloading the image from ${target.host}: ${e.message}`,
      e.cause,
    );
  } finally {
    clearTimeout(timeout);
  }
}

/** A `data:image/…;base64,` URL's image, held to the same rules as a download: an image by its bytes, at most `maxBytes`. */
function inlineImage(url: string, maxBytes: number): Buffer {
  const head = /^data:(image\/[\w.+-]+)?(;[\w=.+-]+)*;base64,/i.exec(url.slice(0, 200));
  if (!head)
    throw new ImagesApiError("download_failed", "the API answered with a data: URL that is not a base64 image", { retryable: false });
  // base64 is 4 characters for 3 bytes: refuse before decoding what would be too large
  if (Math.floor(((url.length - head[0].length) * 3) / 4) > maxBytes) {
    throw new ImagesApiError(
      "download_failed",
      `the data: URL in the answer holds more than ${formatBytes(maxBytes)}, the most one image may have here`,
      {
        retryable: false,
      },
    );
  }
  const bytes = Buffer.from(url.slice(head[0].length), "base64");
  if (!sniffImage(bytes)) {
    throw new ImagesApiError(
      "download_failed",
      `the data: URL in the answer holds ${formatBytes(bytes.length)} that are not an image (PNG, JPEG, WebP, GIF or SVG)`,
      {
        retryable: false,
      },
    );
  }
  return bytes;
}

function parseUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ImagesApiError("download_failed", `the API answered with an image URL that is not valid: ${url.slice(0, 100)}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new ImagesApiError("download_failed", `refusing to download an image from a ${u.protocol} URL (only http and https)`);
  }
  return u;
}

function failed(target: URL, what: string, details: { statusCode?: number; retryable?: boolean } = {}): ImagesApiError {
  return new ImagesApiError("download_failed", `the image URL on ${target.host} ${what}`, { retryable: false, ...details });
}

function notPublic(target: URL, err: Error): ImagesApiError {
  return new ImagesApiError(
    "download_failed",
    `refusing to download the image from ${target.host}: ${err.message}, and the base URL is not; ` +
      "an answer from a public server may not send Node-RED into your network",
    { retryable: false },
  );
}
