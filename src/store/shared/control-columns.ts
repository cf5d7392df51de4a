import type { FunctionDocument } from '../../domain/function-spec.js';
import { ratePeriodMs } from '../../domain/rate-limit.js';

/**
 * The `functions` columns of a document's scheduling controls, in table order: rate_limit,
 * rate_period_ms, concurrency_key (the pointer), concurrency_limit; nulls for those it lacks.
 */
export function controlColumns(document: FunctionDocument): [number | null, number | null, string | null, number | null] {
  const { rateLimit, concurrency } = document.spec;
  return [rateLimit?.limit ?? null, rateLimit ? ratePeriodMs(rateLimit) : null, concurrency?.key ?? null, concurrency?.limit ?? null];
}
