import type { LogLine } from '../store/store.js';

/** How a program's output becomes log lines. */
export interface LogCaptureOptions {
  /** Bytes of program output kept per attempt; past it one mark is written and the rest dropped. */
  limitBytes: number;
  /** Receives lines in batches, in the order they were read. */
  onLines(lines: LogLine[]): void;
  /** A line longer than this many bytes is split (default 16 KiB). */
  maxLineBytes?: number;
  /** A batch is sent once it holds this many lines (default 200)... */
  batchLines?: number;
  /** ...or this many milliseconds after its first line (default 50). */
  batchMs?: number;
}

const newline = 0x0a;
const carriageReturn = 0x0d;

/** True for a UTF-8 continuation byte (10xxxxxx), which must not start a split piece. */
function isContinuationByte(byte: number): boolean {
  return (byte & 0xc0) === 0x80;
}

/**
 * Turns stdout and stderr chunks into timestamped lines, caps them at the attempt's log limit and
 * hands them on in batches, so the store is written a few times a second rather than per line.
 */
export class LogCapture {
  private readonly maxLineBytes: number;
  private readonly batchLines: number;
  private readonly batchMs: number;
  private readonly partial: Record<'stdout' | 'stderr', Buffer | undefined> = { stdout: undefined, stderr: undefined };
  private batch: LogLine[] = [];
  private timer: NodeJS.Timeout | undefined;
  private keptBytes = 0;
  private capped = false;
  /** The last non-empty stderr line, kept even past the cap: a failed attempt's error quotes it. */
  lastStderrLine = '';

  constructor(private readonly options: LogCaptureOptions) {
    this.maxLineBytes = options.maxLineBytes ?? 16 * 1024;
    this.batchLines = options.batchLines ?? 200;
    this.batchMs = options.batchMs ?? 50;
  }

  /** Takes one chunk read from a stream; complete lines are captured, a trailing partial one waits. */
  write(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    const time = new Date().toISOString();
    const pending = this.partial[stream];
    let buffer = pending ? Buffer.concat([pending, chunk]) : chunk;
    let start = 0;
    for (let end = buffer.indexOf(newline, start); end !== -1; end = buffer.indexOf(newline, start)) {
      const lineEnd = end > start && buffer[end - 1] === carriageReturn ? end - 1 : end;
      this.splitLine(stream, buffer.subarray(start, lineEnd), time);
      start = end + 1;
    }
    buffer = buffer.subarray(start);
    // An over-long line without a newline yet is split now, so memory per stream stays bounded.
    while (buffer.length > this.maxLineBytes) {
      const cut = this.cutPoint(buffer);
      this.add(stream, buffer.subarray(0, cut), time);
      buffer = buffer.subarray(cut);
    }
    // Copy the remainder: it may be a view on a large chunk that would otherwise stay alive.
    this.partial[stream] = buffer.length > 0 ? Buffer.from(buffer) : undefined;
  }

  /** The stream ended: its last line, even without a newline, is captured. */
  end(stream: 'stdout' | 'stderr'): void {
    const pending = this.partial[stream];
    this.partial[stream] = undefined;
    if (pending) this.splitLine(stream, pending, new Date().toISOString());
  }

  /** Adds a line of Pontoon's own (`system`), outside the program's log limit. */
  system(line: string): void {
    this.push({ time: new Date().toISOString(), stream: 'system', line });
  }

  /** Sends whatever is batched now. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.batch.length === 0) return;
    const lines = this.batch;
    this.batch = [];
    this.options.onLines(lines);
  }

  private splitLine(stream: 'stdout' | 'stderr', bytes: Buffer, time: string): void {
    let rest = bytes;
    while (rest.length > this.maxLineBytes) {
      const cut = this.cutPoint(rest);
      this.add(stream, rest.subarray(0, cut), time);
      rest = rest.subarray(cut);
    }
    this.add(stream, rest, time);
  }

  /** Where to split an over-long line: at most maxLineBytes, never inside a UTF-8 character. */
  private cutPoint(bytes: Buffer): number {
    let cut = this.maxLineBytes;
    while (cut > 0 && isContinuationByte(bytes[cut])) cut -= 1;
    return cut > 0 ? cut : this.maxLineBytes;
  }

  private add(stream: 'stdout' | 'stderr', bytes: Buffer, time: string): void {
    if (stream === 'stderr' && bytes.length > 0) this.lastStderrLine = bytes.toString('utf8');
    if (this.capped) return;
    const room = this.options.limitBytes - this.keptBytes;
    if (bytes.length <= room) {
      this.keptBytes += bytes.length;
      this.push({ time, stream, line: bytes.toString('utf8') });
      return;
    }
    // The line that crosses the limit is kept up to the limit, so exactly limitBytes are stored.
    const cut = this.fitting(bytes, room);
    if (cut > 0) this.push({ time, stream, line: bytes.subarray(0, cut).toString('utf8') });
    this.keptBytes += cut;
    this.capped = true;
    this.push({ time, stream: 'system', line: `[pontoon] log limit of ${this.options.limitBytes} bytes reached; further output dropped` });
  }

  private fitting(bytes: Buffer, room: number): number {
    let cut = Math.max(0, room);
    while (cut > 0 && isContinuationByte(bytes[cut])) cut -= 1;
    return cut;
  }

  private push(line: LogLine): void {
    this.batch.push(line);
    if (this.batch.length >= this.batchLines) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.batchMs);
  }
}
