/**
 * A server-sent events parser for streamed image answers. Chunk boundaries may fall anywhere
 * (inside a field, between \r and \n); lines end in \r\n, \n or \r; comments are skipped;
 * multi-line data is joined with \n. A line is kept as a list of chunks and joined once at its end,
 * so a multi-megabyte base64 line split over many chunks costs linear time.
 */

export interface SseEvent {
  event?: string;
  data: string;
  id?: string;
}

const LF = 0x0a;
const CR = 0x0d;

export class SseParser {
  private line: Buffer[] = [];
  private lineBytes = 0;
  private skipLf = false;
  private event: string | undefined;
  private id: string | undefined;
  private data: string[] = [];
  private dataBytes = 0;

  constructor(
    private readonly onEvent: (event: SseEvent) => void,
    /** an event (or line) larger than this is refused rather than buffered */
    private readonly maxEventBytes = 512 * 1024 * 1024,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (this.skipLf) {
        this.skipLf = false;
        if (byte === LF) {
          start = i + 1;
          continue;
        }
      }
      if (byte !== LF && byte !== CR) continue;
      this.append(chunk.subarray(start, i));
      this.endLine();
      if (byte === CR) this.skipLf = true;
      start = i + 1;
    }
    if (start < chunk.length) this.append(chunk.subarray(start));
  }

  /** The stream ended: a last event without its blank line is still delivered. */
  end(): void {
    if (this.lineBytes > 0) this.endLine();
    this.dispatch();
  }

  private append(part: Buffer): void {
    if (part.length === 0) return;
    this.lineBytes += part.length;
    if (this.lineBytes + this.dataBytes > this.maxEventBytes) {
      throw new RangeError(`a streamed event is larger than ${this.maxEventBytes} bytes`);
    }
    this.line.push(part);
  }

  private endLine(): void {
    const text = this.line.length === 1 ? this.line[0].toString("utf8") : Buffer.concat(this.line, this.lineBytes).toString("utf8");
    this.line = [];
    this.lineBytes = 0;
    if (text === "") {
      this.dispatch();
      return;
    }
    if (text.startsWith(":")) return;
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.event = value;
        break;
      case "data":
        this.data.push(value);
        this.dataBytes += value.length;
        break;
      case "id":
        this.id = value;
        break;
      default:
        // retry and unknown fields are ignored
        break;
    }
  }

  private dispatch(): void {
    if (this.data.length === 0 && this.event === undefined) return;
    const event: SseEvent = { data: this.data.join("\n") };
    if (this.event !== undefined) event.event = this.event;
    if (this.id !== undefined) event.id = this.id;
    this.data = [];
    this.dataBytes = 0;
    this.event = undefined;
    this.id = undefined;
    this.onEvent(event);
  }
}
