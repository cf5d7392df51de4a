import type { FunctionStats, SeriesBucket, SeriesQuery } from '../store.js';

// Both stores compute percentiles the same way, in SQL, so that their answers agree to the
// millisecond: durations are whole milliseconds, ranked per group with ROW_NUMBER(), and the
// nearest-rank percentile p is the value at rank ceil(p * n). SQLite has no ceil() in every
// build, so the rank is written in integer arithmetic: ceil(p% * n / 100) = (n * p% + 99) / 100.

/** The percentiles the stores pick, in percent. */
export const percentiles = [50, 95, 99] as const;

/** `rank IN (…)` over columns `rank` and `n`: the ranks of every percentile in `percentiles`. */
export const percentileRanks = `rank IN (${percentiles.map((p) => `(n * ${p} + 99) / 100`).join(', ')})`;

/** A row of a percentile query: the value at `rank` of a group of `n`. */
export interface RankRow {
  key: string | number;
  rank: number | string;
  n: number | string;
  ms: number | string;
}

/** A row of a count query: how many rows of a group had a status (or none, for counts of a kind). */
export interface CountRow {
  key: string | number;
  status?: string;
  count: number | string;
}

type Picked = Record<(typeof percentiles)[number], number>;

/** The percentile values of each group, from the rows a percentile query selected. */
export function pickPercentiles(rows: RankRow[]): Map<string, Picked> {
  const byKey = new Map<string, Picked>();
  for (const row of rows) {
    const n = Number(row.n);
    const rank = Number(row.rank);
    const picked = byKey.get(String(row.key)) ?? ({} as Picked);
    for (const p of percentiles) if (Math.floor((n * p + 99) / 100) === rank) picked[p] = Number(row.ms);
    byKey.set(String(row.key), picked);
  }
  return byKey;
}

/** Ended counts by how they ended, zero when absent. */
function endings(rows: CountRow[], key: string) {
  const count = (status: string) => Number(rows.find((row) => String(row.key) === key && row.status === status)?.count ?? 0);
  return { succeeded: count('succeeded'), failed: count('failed'), timedOut: count('timed_out'), cancelled: count('cancelled') };
}

/** Per-function stats from the rows of a count-by-status query and a percentile query; by name. */
export function assembleFunctionStats(counts: CountRow[], ranks: RankRow[]): FunctionStats[] {
  const picked = pickPercentiles(ranks);
  const names = [...new Set(counts.map((row) => String(row.key)))].sort();
  return names.map((name) => {
    const values = picked.get(name);
    return { function: name, ...endings(counts, name), p50Ms: values?.[50] ?? null, p95Ms: values?.[95] ?? null, p99Ms: values?.[99] ?? null };
  });
}

/** How many buckets a series query has; BAD_REQUEST-worthy sizes are refused by the API first. */
export function bucketCount(query: SeriesQuery): number {
  return Math.ceil((Date.parse(query.until) - Date.parse(query.since)) / query.bucketMs);
}

/** What a series is assembled from: per-bucket rows of each query, and the depth at `since`. */
export interface SeriesParts {
  created: CountRow[];
  ended: CountRow[];
  ranks: RankRow[];
  departed: CountRow[];
  /** Executions created before `since` that had not left the queue by then. */
  depthAtSince: number;
}

/**
 * The buckets of a series. The queue depth at a bucket's end is the depth at `since`, plus every
 * execution created since, minus every one that left the queue since (started, or ended unstarted).
 */
export function assembleSeries(query: SeriesQuery, parts: SeriesParts): SeriesBucket[] {
  const perBucket = (rows: CountRow[], index: number) =>
    rows.filter((row) => Number(row.key) === index).reduce((sum, row) => sum + Number(row.count), 0);
  const picked = pickPercentiles(parts.ranks);
  const start = Date.parse(query.since);
  let depth = parts.depthAtSince;
  return Array.from({ length: bucketCount(query) }, (_, index) => {
    const created = perBucket(parts.created, index);
    depth += created - perBucket(parts.departed, index);
    const values = picked.get(String(index));
    return {
      start: new Date(start + index * query.bucketMs).toISOString(),
      created,
      ...endings(parts.ended, String(index)),
      p50Ms: values?.[50] ?? null,
      p95Ms: values?.[95] ?? null,
      queueDepth: depth,
    };
  });
}
