import { useEffect, useRef, useState } from 'preact/hooks';
import type { LogLine } from '../../client/index.js';
import { client, describeError } from '../api.js';
import { ErrorNotice } from './error-notice.js';

/** Most lines kept on the page; older ones are dropped from view (the API still has them). */
const maxLines = 5000;

/**
 * One attempt's logs. While the execution runs, they are followed live over the API's event
 * stream (`…/logs?follow=true`), which ends by itself when the execution ends; otherwise they are
 * read page by page.
 */
export function LogView({ executionId, attempt, live }: { executionId: string; attempt: number; live: boolean }) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [streaming, setStreaming] = useState(false);
  const [error, setError] = useState<ReturnType<typeof describeError> | undefined>(undefined);
  const bottom = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    setLines([]);
    setError(undefined);
    const append = (more: LogLine[]) => setLines((current) => [...current, ...more].slice(-maxLines));
    const run = async () => {
      const api = client();
      if (live) {
        setStreaming(true);
        for await (const line of api.followLogs(executionId, { attempt, signal: abort.signal })) append([line]);
        return;
      }
      let after: number | undefined;
      for (let page = 0; page < maxLines / 500; page++) {
        const { items } = await api.getLogs(executionId, { attempt, after, limit: 500 });
        append(items);
        if (items.length < 500) return;
        after = items[items.length - 1].seq;
      }
    };
    run()
      .catch((thrown) => {
        if (!abort.signal.aborted) setError(describeError(thrown));
      })
      .finally(() => {
        if (!abort.signal.aborted) setStreaming(false);
      });
    return () => abort.abort();
  }, [executionId, attempt, live]);

  useEffect(() => bottom.current?.scrollIntoView({ block: 'nearest' }), [lines.length]);

  return (
    <div class="logs" data-attempt={attempt}>
      <p class="log-state" aria-live="polite">
        {streaming ? <span class="live-dot">following live</span> : `${lines.length} line${lines.length === 1 ? '' : 's'}`}
      </p>
      <ErrorNotice error={error} />
      <pre tabIndex={0} aria-label={`Logs of attempt ${attempt}`}>
        {lines.map((line) => (
          <div key={line.seq} class={`log-line stream-${line.stream}`}>
            <time dateTime={line.time}>{line.time.slice(11, 23)}</time> {line.line}
          </div>
        ))}
        <div ref={bottom} />
      </pre>
    </div>
  );
}
