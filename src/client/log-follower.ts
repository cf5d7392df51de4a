import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { ExecutionStatus } from '../domain/execution.js';
import { PontoonApiError, PontoonUnreachableError, apiErrorFrom, asError } from './errors.js';
import { openRequest } from './http.js';
import type { LogLine } from './types.js';

/** Options of following an execution's logs. */
export interface FollowLogsOptions {
  /** Only this attempt's lines. */
  attempt?: number;
  /** Start after this log position (lines with a greater `seq`). */
  after?: number;
  /** Stops following; the iteration then throws the abort error. */
  signal?: AbortSignal;
  /** How many times in a row a dropped connection is reopened before giving up (default 10). */
  maxReconnects?: number;
  /** Pause before reopening a dropped connection, unless the server sent `retry:` (default 1000 ms). */
  reconnectDelayMs?: number;
}

/**
 * A live tail of an execution's logs over server-sent events, as an async iterable of lines.
 * It ends when the server sends `end` (the execution is terminal and every line was sent); when
 * the connection drops first, it reopens it with `Last-Event-ID`, so no line is lost or repeated.
 */
export class LogFollower implements AsyncIterable<LogLine> {
  /** The execution's final status, once the `end` event came. */
  endStatus: ExecutionStatus | undefined;
  /** The `seq` of the last line handed out. */
  lastSeq: number | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly path: string,
    private readonly options: FollowLogsOptions,
    /** Bearer token, when the server has auth on. */
    private readonly token?: string,
  ) {
    this.lastSeq = options.after;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<LogLine> {
    const maxReconnects = this.options.maxReconnects ?? 10;
    let delayMs = this.options.reconnectDelayMs ?? 1000;
    let failures = 0;
    for (;;) {
      let progressed = false;
      let lastFailure: Error | undefined;
      try {
        for await (const message of this.connect((retryMs) => (delayMs = retryMs))) {
          progressed = true;
          if (message.event === 'end') {
            this.endStatus = parseEnd(message.data);
            return;
          }
          if (message.event !== 'log') continue;
          const line = JSON.parse(message.data) as LogLine;
          if (this.lastSeq !== undefined && line.seq <= this.lastSeq) continue;
          this.lastSeq = line.seq;
          yield line;
        }
      } catch (thrown) {
        const error = asError(thrown);
        // An answer of the API (404, 400) will not change by asking again; a dropped or refused
        // connection might, so only the latter is retried.
        if (error instanceof PontoonApiError || error.name === 'AbortError' || this.options.signal?.aborted) throw error;
        lastFailure = error;
      }
      failures = progressed ? 1 : failures + 1;
      if (failures > maxReconnects) {
        throw lastFailure ?? new PontoonUnreachableError(this.baseUrl, 'the log stream ended before the execution did');
      }
      await sleep(delayMs, this.options.signal);
    }
  }

  /** Opens one event stream and yields its messages until it closes. */
  private async *connect(onRetry: (ms: number) => void): AsyncGenerator<EventSourceMessage> {
    const resumeFrom = this.lastSeq;
    const response = await openRequest(
      this.baseUrl,
      {
        method: 'GET',
        path: this.path,
        query: { follow: true, attempt: this.options.attempt, after: resumeFrom },
        headers: {
          'last-event-id': resumeFrom === undefined ? undefined : String(resumeFrom),
          authorization: this.token === undefined ? undefined : `Bearer ${this.token}`,
        },
        signal: this.options.signal,
      },
      'text/event-stream',
    );
    if (!response.ok) throw apiErrorFrom(response.status, await response.text());
    if (!response.body) return;
    const pending: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (message) => pending.push(message), onRetry });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        parser.feed(value);
        while (pending.length > 0) yield pending.shift()!;
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }
}

function parseEnd(data: string): ExecutionStatus | undefined {
  try {
    return (JSON.parse(data) as { status?: ExecutionStatus }).status;
  } catch {
    return undefined;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
