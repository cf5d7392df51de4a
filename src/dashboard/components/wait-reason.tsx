import type { FunctionResource, WaitReason } from '../../client/index.js';
import { formatTime } from '../format.js';

/** Why a queued execution waits, in words (the API's `waiting`). */
export function waitText(wait: WaitReason): string {
  switch (wait.reason) {
    case 'notBefore':
      return `not before ${formatTime(wait.until)}`;
    case 'rateLimited':
      return `rate limited (${wait.limit} per ${wait.period}) until ${formatTime(wait.until)}`;
    case 'concurrencyKey':
      return `concurrency key ${wait.key === null ? '(none)' : JSON.stringify(wait.key)} at its limit (${wait.running} of ${wait.limit} running)`;
    case 'parallelism':
      return `function at its parallelism (${wait.running} of ${wait.limit} running)`;
    case 'ready':
      return 'ready: waiting for its turn and a free slot';
  }
}

/** A function's scheduling limits in one line: parallelism, rate limit, concurrency per key. */
export function limitsText(fn: FunctionResource): string {
  const { parallelism, rateLimit, concurrency } = fn.spec;
  return [
    `parallelism ${parallelism}`,
    rateLimit && `${rateLimit.limit} per ${rateLimit.period}`,
    concurrency && `${concurrency.limit} per key ${concurrency.key}`,
  ]
    .filter(Boolean)
    .join(' · ');
}
