/**
 * Formats a span of time the way kubectl shows ages: `45s`, `3m`, `5h`, `12d`; below ten minutes
 * and ten hours it keeps the next unit (`3m20s`, `5h10m`) because that is when it still matters.
 */
export function formatSpan(milliseconds: number): string {
  const seconds = Math.max(0, Math.floor(milliseconds / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 10) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

/** How long ago an ISO time was, as a short span (`5s`); empty when there is no time. */
export function formatAge(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '';
  const time = Date.parse(iso);
  return Number.isNaN(time) ? '' : formatSpan(now - time);
}

/** How long something ran, precise for short runs (`850ms`, `1.2s`, `3m20s`); empty when it has not started. */
export function formatElapsed(startIso: string | null | undefined, endIso: string | null | undefined, now: number = Date.now()): string {
  if (!startIso) return '';
  const start = Date.parse(startIso);
  const end = endIso ? Date.parse(endIso) : now;
  if (Number.isNaN(start) || Number.isNaN(end)) return '';
  return formatDuration(Math.max(0, end - start));
}

/** A duration precise for short spans (`850ms`, `1.2s`) and kubectl-like above a minute (`3m20s`). */
export function formatDuration(milliseconds: number): string {
  if (milliseconds < 1000) return `${Math.round(milliseconds)}ms`;
  if (milliseconds < 60_000) return `${(milliseconds / 1000).toFixed(1).replace(/\.0$/, '')}s`;
  return formatSpan(milliseconds);
}
