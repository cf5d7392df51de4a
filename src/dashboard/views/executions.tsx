import { useState } from 'preact/hooks';
import type { ExecutionFilter, ExecutionPage, ExecutionStatus } from '../../client/index.js';
import { client, describeError } from '../api.js';
import { ErrorNotice } from '../components/error-notice.js';
import { StatusBadge } from '../components/status-badge.js';
import { executionDuration, formatAgo, formatMs, formatTime } from '../format.js';
import { usePolling } from '../polling.js';
import { href, navigate, type Route } from '../router.js';

const statuses: ExecutionStatus[] = ['queued', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled'];

/** Time ranges offered, as `range` in the URL: milliseconds back from now. */
const ranges: Record<string, { label: string; ms: number }> = {
  '15m': { label: 'last 15 minutes', ms: 15 * 60_000 },
  '1h': { label: 'last hour', ms: 3_600_000 },
  '24h': { label: 'last 24 hours', ms: 86_400_000 },
  '7d': { label: 'last 7 days', ms: 7 * 86_400_000 },
};

const pageSize = 50;

/** The listing's filters as the URL holds them. */
interface Filters {
  function?: string;
  status?: string;
  range?: string;
  from?: string;
  to?: string;
  /** Cursors of the pages before this one, comma separated, so Newer can go back. */
  trail?: string;
  cursor?: string;
}

function filtersOf(route: Route): Filters {
  const get = (key: string) => route.query.get(key) ?? undefined;
  return { function: get('function'), status: get('status'), range: get('range'), from: get('from'), to: get('to'), trail: get('trail'), cursor: get('cursor') };
}

/** A datetime-local value (the reader's zone) as ISO, or undefined. */
const isoOf = (local: string | undefined) => (local ? new Date(local).toISOString() : undefined);

function queryOf(filters: Filters): ExecutionFilter {
  const since = filters.range && ranges[filters.range] ? new Date(Date.now() - ranges[filters.range].ms).toISOString() : isoOf(filters.from);
  return {
    function: filters.function,
    status: filters.status as ExecutionStatus | undefined,
    createdSince: since,
    createdBefore: filters.range ? undefined : isoOf(filters.to),
    cursor: filters.cursor,
    limit: pageSize,
  };
}

function IdSearch() {
  const [id, setId] = useState('');
  const [error, setError] = useState<ReturnType<typeof describeError> | undefined>(undefined);
  const search = async (event: Event) => {
    event.preventDefault();
    try {
      const execution = await client().getExecution(id.trim());
      navigate(href(`executions/${execution.id}`));
    } catch (thrown) {
      setError(describeError(thrown));
    }
  };
  return (
    <form class="search" onSubmit={search} role="search">
      <label>
        Execution id
        <input name="id" value={id} onInput={(event) => setId(event.currentTarget.value)} required placeholder="paste an id" />
      </label>
      <button type="submit">Open</button>
      <ErrorNotice error={error} />
    </form>
  );
}

/** Executions newest first: filtered by function, status and creation time, paged by cursor, live on the first page. */
export function ExecutionsView({ route }: { route: Route }) {
  const filters = filtersOf(route);
  const [live, setLive] = useState(true);
  const firstPage = filters.cursor === undefined;
  const key = JSON.stringify(filters);
  const { data, error } = usePolling<ExecutionPage>(() => client().listExecutions(queryOf(filters)), key, 2000, live && firstPage);
  const functions = usePolling(() => client().listFunctions(), 'names', 30_000);
  const go = (changes: Partial<Filters>) => navigate(href('executions', { ...filters, trail: undefined, cursor: undefined, ...changes } as Record<string, string | undefined>));
  const trail = filters.trail ? filters.trail.split(',') : [];
  const older = () => data?.nextCursor && go({ ...filters, cursor: data.nextCursor, trail: [...trail, filters.cursor ?? ''].join(',') });
  const newer = () => go({ ...filters, cursor: trail.at(-1) || undefined, trail: trail.slice(0, -1).join(',') || undefined });
  return (
    <section aria-labelledby="executions-title">
      <header class="view-header">
        <h1 id="executions-title">Executions</h1>
        <IdSearch />
      </header>
      <form class="filters" onSubmit={(event) => event.preventDefault()} aria-label="Filters">
        <label>
          Function
          <select name="function" value={filters.function ?? ''} onChange={(event) => go({ function: event.currentTarget.value || undefined })}>
            <option value="">all</option>
            {(functions.data ?? []).map((fn) => (
              <option key={fn.metadata.name}>{fn.metadata.name}</option>
            ))}
            {filters.function && !(functions.data ?? []).some((fn) => fn.metadata.name === filters.function) && <option>{filters.function}</option>}
          </select>
        </label>
        <label>
          Status
          <select name="status" value={filters.status ?? ''} onChange={(event) => go({ status: event.currentTarget.value || undefined })}>
            <option value="">all</option>
            {statuses.map((status) => (
              <option key={status} value={status}>
                {status.replace('_', ' ')}
              </option>
            ))}
          </select>
        </label>
        <label>
          Created
          <select
            name="range"
            value={filters.range ?? (filters.from || filters.to ? 'custom' : '')}
            onChange={(event) => go({ range: event.currentTarget.value === 'custom' ? undefined : event.currentTarget.value || undefined, from: undefined, to: undefined })}
          >
            <option value="">any time</option>
            {Object.entries(ranges).map(([value, range]) => (
              <option key={value} value={value}>
                {range.label}
              </option>
            ))}
            <option value="custom">between…</option>
          </select>
        </label>
        {!filters.range && (
          <>
            <label>
              From
              <input type="datetime-local" name="from" value={filters.from ?? ''} onChange={(event) => go({ from: event.currentTarget.value || undefined })} />
            </label>
            <label>
              To
              <input type="datetime-local" name="to" value={filters.to ?? ''} onChange={(event) => go({ to: event.currentTarget.value || undefined })} />
            </label>
          </>
        )}
        <label class="inline">
          <input type="checkbox" name="live" checked={live} onChange={(event) => setLive(event.currentTarget.checked)} disabled={!firstPage} />
          Live {firstPage ? '' : '(first page only)'}
        </label>
      </form>
      <ErrorNotice error={error} />
      {!data && !error && <p class="loading">Loading…</p>}
      {data && (
        <>
          <div class="table-wrap">
            <table class="executions">
              <thead>
                <tr>
                  <th scope="col">Execution</th>
                  <th scope="col">Function</th>
                  <th scope="col">Status</th>
                  <th scope="col">Created</th>
                  <th scope="col" class="num">Duration</th>
                  <th scope="col" class="num">Attempts</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((execution) => (
                  <tr key={execution.id} data-execution={execution.id}>
                    <th scope="row">
                      <a href={href(`executions/${execution.id}`)}>
                        <code>{execution.id}</code>
                      </a>
                    </th>
                    <td>
                      {execution.function} <span class="muted">v{execution.version}</span>
                    </td>
                    <td>
                      <StatusBadge status={execution.status} />
                    </td>
                    <td title={formatTime(execution.createdAt)}>{formatAgo(execution.createdAt)}</td>
                    <td class="num">{formatMs(executionDuration(execution))}</td>
                    <td class="num">{execution.attempts.length}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {data.items.length === 0 && <p>No executions match.</p>}
          <nav class="pager" aria-label="Pages">
            <button onClick={newer} disabled={firstPage}>
              ← Newer
            </button>
            <button onClick={older} disabled={!data.nextCursor}>
              Older →
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
