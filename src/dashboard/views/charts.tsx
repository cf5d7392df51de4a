import { useMemo } from 'preact/hooks';
import type { ExecutionSeries } from '../../client/index.js';
import { client } from '../api.js';
import { TimeChart, type ChartSeries } from '../components/chart.js';
import { ErrorNotice } from '../components/error-notice.js';
import { formatMs } from '../format.js';
import { usePolling } from '../polling.js';
import { href, navigate, type Route } from '../router.js';

/** Windows offered, with a bucket width that keeps each chart near 60–100 points. */
const windows: Record<string, { label: string; ms: number; bucket: string }> = {
  '15m': { label: 'last 15 minutes', ms: 15 * 60_000, bucket: '10s' },
  '1h': { label: 'last hour', ms: 3_600_000, bucket: '1m' },
  '6h': { label: 'last 6 hours', ms: 6 * 3_600_000, bucket: '5m' },
  '24h': { label: 'last 24 hours', ms: 86_400_000, bucket: '15m' },
};

/** Throughput, failures, p50/p95 duration and queue depth over time, for the namespace or one function. */
export function ChartsView({ route }: { route: Route }) {
  const fn = route.query.get('function') ?? undefined;
  const windowKey = windows[route.query.get('window') ?? ''] ? route.query.get('window')! : '1h';
  const window = windows[windowKey];
  const { data, error } = usePolling<ExecutionSeries>(
    () => client().executionSeries({ function: fn, bucket: window.bucket, since: new Date(Date.now() - window.ms).toISOString() }),
    `${fn}|${windowKey}`,
    10_000,
  );
  const functions = usePolling(() => client().listFunctions(), 'names', 30_000);
  const charts = useMemo(() => {
    if (!data) return undefined;
    const times = data.items.map((bucket) => Date.parse(bucket.start) / 1000);
    const line = (label: string, colorVar: string, pick: (b: ExecutionSeries['items'][number]) => number | null): ChartSeries => ({
      label,
      colorVar,
      values: data.items.map(pick),
    });
    return {
      times,
      throughput: [line('created', '--chart-1', (b) => b.created), line('succeeded', '--chart-ok', (b) => b.succeeded)],
      failures: [line('failed', '--chart-bad', (b) => b.failed), line('timed out', '--chart-warn', (b) => b.timedOut), line('cancelled', '--chart-2', (b) => b.cancelled)],
      durations: [line('p50', '--chart-1', (b) => b.p50Ms), line('p95', '--chart-warn', (b) => b.p95Ms)],
      depth: [line('queued', '--chart-2', (b) => b.queueDepth)],
    };
  }, [data]);
  const go = (changes: Record<string, string | undefined>) => navigate(href('charts', { function: fn, window: windowKey, ...changes }));
  return (
    <section aria-labelledby="charts-title">
      <header class="view-header">
        <h1 id="charts-title">Charts</h1>
        <form class="filters" onSubmit={(event) => event.preventDefault()} aria-label="Chart options">
          <label>
            Function
            <select name="function" value={fn ?? ''} onChange={(event) => go({ function: event.currentTarget.value || undefined })}>
              <option value="">all</option>
              {(functions.data ?? []).map((f) => (
                <option key={f.metadata.name}>{f.metadata.name}</option>
              ))}
            </select>
          </label>
          <label>
            Window
            <select name="window" value={windowKey} onChange={(event) => go({ window: event.currentTarget.value })}>
              {Object.entries(windows).map(([value, w]) => (
                <option key={value} value={value}>
                  {w.label}
                </option>
              ))}
            </select>
          </label>
        </form>
      </header>
      <ErrorNotice error={error} />
      {!charts && !error && <p class="loading">Loading…</p>}
      {charts && (
        <div class="charts">
          <TimeChart title={`Throughput per ${window.bucket}`} times={charts.times} series={charts.throughput} />
          <TimeChart title={`Failures per ${window.bucket}`} times={charts.times} series={charts.failures} />
          <TimeChart title="Duration, first start to end" times={charts.times} series={charts.durations} format={formatMs} />
          <TimeChart title="Queue depth (waiting for a first attempt)" times={charts.times} series={charts.depth} />
        </div>
      )}
    </section>
  );
}
