// How the dashboard writes times, durations and counts.
import type { Execution } from '../client/index.js';

/** A duration in ms as people read it: 850 ms, 4.2 s, 3 m 10 s, 2 h 5 m. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} m ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} m`;
}

/** An ISO time in the reader's time zone, to the second. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return date.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** How long ago an ISO time was, roughly: 5 s ago, 3 m ago. */
export function formatAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const ms = now - Date.parse(iso);
  if (ms < 0) return `in ${formatMs(-ms)}`;
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))} s ago`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} m ago`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h ago`;
  return `${Math.round(ms / 86_400_000)} d ago`;
}

/** From first start to end (or to now while it runs); undefined when it never started. */
export function executionDuration(execution: Execution, now = Date.now()): number | undefined {
  if (!execution.startedAt) return undefined;
  const end = execution.finishedAt ? Date.parse(execution.finishedAt) : now;
  return end - Date.parse(execution.startedAt);
}

/** A JSON value, indented, for a <pre>. */
export function formatJson(value: unknown): string {
  return value === undefined ? '—' : JSON.stringify(value, null, 2);
}

/** A percentage with no decimals, or — without data. */
export function formatPercent(part: number, whole: number): string {
  return whole === 0 ? '—' : `${Math.round((part / whole) * 100)}%`;
}
