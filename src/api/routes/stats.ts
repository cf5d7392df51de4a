import type { FastifyInstance } from 'fastify';
import { parseDuration, durationPattern } from '../../domain/duration.js';
import { PontoonError } from '../../domain/errors.js';
import type { ApiContext } from '../context.js';
import { errorResponses, namespaceParams } from '../schemas.js';
import { inNamespace } from '../auth/route-access.js';

/** The window a stats request names: `since` and `until` (ISO), by default the hour up to now. */
type WindowQuery = { since?: string; until?: string };

/** Most buckets one series answers: a day by the minute. */
const maxBuckets = 1440;

const nullableMs = { type: ['integer', 'null'] } as const;
const endings = {
  succeeded: { type: 'integer' },
  failed: { type: 'integer' },
  timedOut: { type: 'integer' },
  cancelled: { type: 'integer' },
} as const;
const windowProperties = {
  since: { type: 'string', format: 'date-time', description: 'start of the window (inclusive); default: an hour before `until`' },
  until: { type: 'string', format: 'date-time', description: 'end of the window (exclusive); default: now' },
} as const;

/** Schema of one function's stats. */
const functionStatsSchema = {
  type: 'object',
  properties: { function: { type: 'string' }, ...endings, p50Ms: nullableMs, p95Ms: nullableMs, p99Ms: nullableMs },
} as const;

/** Schema of one bucket of a series. */
const seriesBucketSchema = {
  type: 'object',
  properties: { start: { type: 'string' }, created: { type: 'integer' }, ...endings, p50Ms: nullableMs, p95Ms: nullableMs, queueDepth: { type: 'integer' } },
} as const;

/** The window of a request in ISO form, checked: until after since. */
function windowOf(query: WindowQuery, now: Date, defaultMs: number): { since: string; until: string } {
  const until = query.until === undefined ? now : new Date(query.until);
  const since = query.since === undefined ? new Date(until.getTime() - defaultMs) : new Date(query.since);
  if (since.getTime() >= until.getTime()) {
    throw new PontoonError('INVALID_WINDOW', 'since must be before until', { since: since.toISOString(), until: until.toISOString() });
  }
  return { since: since.toISOString(), until: until.toISOString() };
}

/**
 * Read-only aggregates of a namespace's executions over a time window, for the dashboard: how each
 * function's executions ended and how long they took, and series of throughput, failures,
 * durations and queue depth.
 */
export async function statsRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const clock = context.triggers?.clock ?? (() => new Date());

  app.get<{ Params: { ns: string }; Querystring: WindowQuery }>(
    '/v1/namespaces/:ns/stats/functions',
    {
      config: { access: inNamespace('read') },
      schema: {
        summary: 'How each function’s executions that ended in a window ended, with duration percentiles (first start to end)',
        tags: ['stats'],
        params: namespaceParams,
        querystring: { type: 'object', additionalProperties: false, properties: windowProperties },
        response: {
          200: { type: 'object', properties: { since: { type: 'string' }, until: { type: 'string' }, items: { type: 'array', items: functionStatsSchema } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const window = windowOf(request.query, clock(), 3_600_000);
      return { ...window, items: await context.store.functionStats(request.params.ns, window) };
    },
  );

  app.get<{ Params: { ns: string }; Querystring: WindowQuery & { function?: string; bucket: string } }>(
    '/v1/namespaces/:ns/stats/series',
    {
      config: { access: inNamespace('read') },
      schema: {
        summary: 'Throughput, failures, p50/p95 duration and queue depth in buckets over a window; of one function or all',
        tags: ['stats'],
        params: namespaceParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...windowProperties,
            function: { type: 'string', minLength: 1 },
            bucket: { type: 'string', pattern: durationPattern, default: '1m', description: `bucket width, such as 10s or 1m; at most ${maxBuckets} buckets` },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: { since: { type: 'string' }, until: { type: 'string' }, bucketMs: { type: 'integer' }, items: { type: 'array', items: seriesBucketSchema } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const bucketMs = Math.round(parseDuration(request.query.bucket) ?? 0);
      if (bucketMs < 1000) throw new PontoonError('INVALID_WINDOW', 'bucket must be at least 1s', { bucket: request.query.bucket });
      const window = windowOf(request.query, clock(), 3_600_000);
      const buckets = Math.ceil((Date.parse(window.until) - Date.parse(window.since)) / bucketMs);
      if (buckets > maxBuckets) {
        throw new PontoonError('INVALID_WINDOW', `the window holds ${buckets} buckets, more than ${maxBuckets}; widen bucket or narrow the window`, { buckets, max: maxBuckets });
      }
      const items = await context.store.executionSeries({ namespace: request.params.ns, function: request.query.function, bucketMs, ...window });
      return { ...window, bucketMs, items };
    },
  );
}
