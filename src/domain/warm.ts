import type { FunctionSpec, FunctionVersion, Runtime } from './function-spec.js';

/** A function's warm pool settings, as the Scalar and the pools use them. */
export type WarmSettings = NonNullable<FunctionSpec['warm']>;

/**
 * Runtimes whose handler form speaks the replica protocol (docs/warm-replicas.md) when started as
 * a replica. Another runtime's handler stays on-demand until its SDK does.
 */
export const replicaRuntimes: ReadonlySet<Runtime> = new Set<Runtime>(['node', 'python', 'java', 'go']);

/**
 * The post cycles (PONTOON_REPLICA_LANES) Pontoon asks of a function's replicas, given what its
 * store prefers; undefined leaves them to the SDK. PostgreSQL prefers one: its cost is mostly per
 * transaction, so two lanes' half batches cost it nearly twice one whole. A replica that claims
 * ahead at least its concurrency (spec.warm.prefetch) keeps whole batches in each of two lanes,
 * and there two lanes win: peers burn-down on PostgreSQL, prefetch 56 of 8 slots, three
 * alternating pairs (session 19), 3,947, 3,651 and 3,269/s against 2,599, 2,950 and 3,120/s.
 */
export function replicaLanes(settings: WarmSettings, storePreference: number | undefined): number | undefined {
  return (settings.prefetch ?? 0) >= settings.concurrency ? undefined : storePreference;
}

/**
 * The warm settings of a function whose executions go to warm replicas, or undefined when it runs
 * on demand: it must ask for at least one replica, and be a handler of a runtime that speaks the
 * protocol, or a command (whose program, by asking for spec.warm, says it speaks it). A program
 * form (no handler) stays on-demand: it reads PONTOON_INPUT once and exits.
 */
export function warmSettings(fn: FunctionVersion): WarmSettings | undefined {
  const spec = fn.document.spec;
  if (!spec.warm || spec.warm.max < 1) return undefined;
  if (spec.runtime === 'command') return spec.command ? spec.warm : undefined;
  // A Go function names its package in handler, the source root when absent: whether its main serves
  // a handler (pontoon.Serve) is read from the source at build time (LaunchPlan.replica).
  const handlerForm = spec.handler !== undefined || spec.runtime === 'go';
  return handlerForm && replicaRuntimes.has(spec.runtime) ? spec.warm : undefined;
}
