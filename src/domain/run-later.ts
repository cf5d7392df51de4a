import { parseDuration } from './duration.js';
import { PontoonError } from './errors.js';

/**
 * Furthest ahead an invocation may ask to start: a queued execution holds its input in the store
 * for that long, and a later start is a schedule's job, not an invocation's.
 */
export const maxRunLaterMs = 30 * 24 * 3600_000;

/** When an invocation may start: after a delay (`10m`) or at a time (ISO 8601), never both. */
export interface RunLater {
  delay?: string;
  runAt?: string;
}

/** An ISO 8601 date-time with a zone (Z or ±hh:mm), as RFC 3339 writes it. */
const isoDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * The time before which an execution must not start, from an invocation's delay or runAt, or
 * undefined when it may start at once (neither given, or a runAt already past). Throws
 * INVALID_REQUEST naming `field.delay` / `field.runAt` for a malformed, negative or too distant
 * time, or when both are given.
 */
export function notBeforeOf(request: RunLater, now: Date, field: string): string | undefined {
  const { delay, runAt } = request;
  if (delay !== undefined && runAt !== undefined) {
    throw invalid(`${field}.delay`, `give ${field}.delay or ${field}.runAt, not both`);
  }
  if (delay !== undefined) {
    const milliseconds = parseDuration(delay);
    if (milliseconds === undefined) throw invalid(`${field}.delay`, `${field}.delay must be a duration such as 500ms, 30s, 10m, 2h, not ${JSON.stringify(delay)}`);
    if (milliseconds > maxRunLaterMs) throw invalid(`${field}.delay`, `${field}.delay must be at most 30d, not ${delay}`);
    return milliseconds === 0 ? undefined : new Date(now.getTime() + milliseconds).toISOString();
  }
  if (runAt !== undefined) {
    const at = isoDateTime.test(runAt) ? Date.parse(runAt) : Number.NaN;
    if (Number.isNaN(at)) throw invalid(`${field}.runAt`, `${field}.runAt must be an ISO 8601 time with a zone such as 2026-01-31T09:00:00Z, not ${JSON.stringify(runAt)}`);
    if (at - now.getTime() > maxRunLaterMs) throw invalid(`${field}.runAt`, `${field}.runAt must be at most 30 days ahead, not ${runAt}`);
    return at <= now.getTime() ? undefined : new Date(at).toISOString();
  }
  return undefined;
}

function invalid(field: string, message: string): PontoonError {
  return new PontoonError('INVALID_REQUEST', message, { field });
}
