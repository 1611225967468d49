/**
 * A server-sent events parser for streamed image answers. Chunk boundaries may fall anywhere
 * (inside a field, between \r and \n); lines end in \r\n, \n or \r; comments are skipped;
 * multi-line data is joined with \n. The field name is read at the start of each line, and the
 * bytes of `data` lines go straight into a sink as they arrive (a JSON reader that decodes the
 * images): a large event never becomes one string.
 */
import { formatBytes } from "../errors";

/** Where an event's data bytes go; `holdsChunks`: it may still refer to the chunks it was given. */
export interface SseSink {
  push(bytes: Buffer): void;
  readonly holdsChunks?: boolean;
}

export interface SseEvent<T = SseText> {
  event?: string;
  /** the sink that took the event's data (undefined when it was skipped) */
  data?: T;
  id?: string;
  /** the data was not read: `open` declined it */
  skipped?: true;
}

/** The default sink: the data as text. */
export class SseText implements SseSink {
  private parts: Buffer[] = [];
  push(bytes: Buffer): void {
    this.parts.push(Buffer.from(bytes)); // a copy: the chunk is not kept
  }
  get text(): string {
    return Buffer.concat(this.parts).toString("utf8");
  }
}

export interface SseOptions<T extends SseSink> {
  /** an event larger than this (all its lines) is refused with a RangeError */
  maxEventBytes?: number;
  /** what that cap stands for, said in the error (e.g. "an image over 50.0 MB as base64") */
  capMeaning?: string;
  /** a sink for an event's data, asked at its first data line with the event name if it came first; undefined skips the data */
  open?: (event: string | undefined) => T | undefined;
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
/** longer field names are none of the known ones */
const MAX_FIELD = 8;
/** event names and ids are short; longer values are cut */
const MAX_VALUE = 1024;

type Field = "data" | "event" | "id" | "other";
type State = "start" | "name" | "space" | "value" | "comment";

export class SseParser<T extends SseSink = SseText> {
  private state: State = "start";
  private skipLf = false;
  private name: number[] = [];
  private field: Field = "other";
  /** the value of an event or id line so far */
  private value: number[] = [];
  private event: string | undefined;
  private id: string | undefined;
  private sink: T | undefined;
  private dataLines = 0;
  private skipped = false;
  private eventBytes = 0;
  private readonly maxEventBytes: number;
  private readonly capMeaning: string;
  private readonly open: (event: string | undefined) => T | undefined;

  constructor(
    private readonly onEvent: (event: SseEvent<T>) => void,
    options: SseOptions<T> = {},
  ) {
    this.maxEventBytes = options.maxEventBytes ?? 50 * 1024 * 1024;
    this.capMeaning = options.capMeaning ?? "the largest event this client takes";
    this.open = options.open ?? (() => new SseText() as unknown as T);
  }

  /** true while the current event's sink may refer to chunks pushed so far */
  get holdsChunks(): boolean {
    return this.sink?.holdsChunks === true;
  }

  push(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    // the next CR and LF at or after i (found once per chunk region, not once per line)
    let cr = -2;
    let lf = -2;
    while (i < n) {
      if (this.skipLf) {
        this.skipLf = false;
        if (chunk[i] === LF) {
          i++;
          continue;
        }
      }
      if (this.state === "start" || this.state === "name" || this.state === "space") {
        const b = chunk[i++];
        if (b === LF || b === CR) {
          this.skipLf = b === CR;
          this.endLine();
          continue;
        }
        this.count(1);
        if (this.state === "start") {
          if (b === COLON) this.state = "comment";
          else {
            this.state = "name";
            this.name = [b];
          }
        } else if (this.state === "name") {
          if (b === COLON) this.beginValue();
          else if (this.name.length <= MAX_FIELD) this.name.push(b);
        } else {
          // one space after the colon is not part of the value
          this.state = "value";
          if (b !== SPACE) this.take(chunk, i - 1, i);
        }
        continue;
      }
      // a value or a comment: up to the line's end
      if (cr !== -1 && cr < i) cr = chunk.indexOf(CR, i);
      if (lf !== -1 && lf < i) lf = chunk.indexOf(LF, i);
      const end = cr === -1 ? (lf === -1 ? n : lf) : lf === -1 ? cr : Math.min(cr, lf);
      this.count(end - i);
      if (this.state === "value") this.take(chunk, i, end);
      if (end === n) break;
      i = end + 1;
      this.skipLf = chunk[end] === CR;
      this.endLine();
    }
  }

  /** The stream ended: a last event without its blank line is still delivered. */
  end(): void {
    if (this.state !== "start") this.endLine();
    this.dispatch();
  }

  private count(bytes: number): void {
    this.eventBytes += bytes;
    if (this.eventBytes > this.maxEventBytes) {
      throw new RangeError(`a streamed event is larger than ${formatBytes(this.maxEventBytes)} (${this.capMeaning}); refusing to read it`);
    }
  }

  /** the field name is complete (at its colon, or at the line's end) */
  private beginValue(): void {
    const name = this.name.length <= MAX_FIELD ? String.fromCharCode(...this.name) : "";
    this.field = name === "data" || name === "event" || name === "id" ? name : "other";
    this.state = "space";
    this.value = [];
    if (this.field !== "data") return;
    if (this.dataLines++ === 0) {
      this.sink = this.open(this.event);
      this.skipped = this.sink === undefined;
    } else this.sink?.push(NEWLINE);
  }

  private take(chunk: Buffer, from: number, to: number): void {
    if (to <= from) return;
    if (this.field === "data") this.sink?.push(chunk.subarray(from, to));
    else if ((this.field === "event" || this.field === "id") && this.value.length < MAX_VALUE) {
      for (let k = from; k < to && this.value.length < MAX_VALUE; k++) this.value.push(chunk[k]);
    }
  }

  private endLine(): void {
    const state = this.state;
    if (state === "name") this.beginValue(); // a field without a colon: its value is empty
    this.state = "start";
    if (state === "start") return this.dispatch();
    if (state === "comment") return;
    const text = Buffer.from(this.value).toString("utf8");
    if (this.field === "event") this.event = text;
    else if (this.field === "id") this.id = text;
    this.field = "other";
    this.value = [];
  }

  private dispatch(): void {
    const hadEvent = this.dataLines > 0 || this.event !== undefined;
    const event: SseEvent<T> = {};
    if (this.event !== undefined) event.event = this.event;
    if (this.dataLines === 0 && hadEvent) {
      // an event without data lines: an empty sink, when one is wanted
      this.sink = this.open(this.event);
      this.skipped = this.sink === undefined;
    }
    if (this.skipped) event.skipped = true;
    else if (this.sink) event.data = this.sink;
    if (this.id !== undefined) event.id = this.id;
    this.sink = undefined;
    this.skipped = false;
    this.dataLines = 0;
    this.eventBytes = 0;
    this.event = undefined;
    this.id = undefined;
    if (hadEvent) this.onEvent(event);
  }
}

const NEWLINE = Buffer.from("\n");
