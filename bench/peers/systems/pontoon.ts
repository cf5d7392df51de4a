/**
 * Pontoon, started through its own CLI (`pontoon up`) with every guarantee on: an invocation is
 * answered only once it is stored (SQLite WAL synchronous=NORMAL, or PostgreSQL with its durable
 * defaults), attempts hold leases and their reports are fenced. Jobs are submitted through the
 * HTTP API: the batch endpoint for bulk inserts, single invokes otherwise.
 */
import { processCpu, treeCpuMs } from '../../lib/proc-cpu.js';
import { startBenchServer, type BenchServer } from '../../lib/server.js';
import type { PostgresCluster } from '../infra/postgres.js';
import { repoFile } from '../infra/paths.js';
import { graphileBatching } from './graphile-batching.js';
import { insertInChunks } from './peer-session.js';
import { NotAvailable, type Session, type System } from './system.js';

const ns = '/v1/namespaces/default';
const fn = 'noop';

type Store = 'sqlite' | 'postgres';
type Form = 'cold' | 'warm' | 'warm-prefetch';

/**
 * What the `warm-prefetch` form's replica holds at most, running and claimed ahead: as many as
 * `graphile-batched` fetches into its local queue (graphileBatching), of which prefetch is
 * Pontoon's counterpart. Claimed-ahead invocations count as running from their claim, so that
 * form's parallelism and capacity are raised to match.
 */
const prefetchHeld = graphileBatching.worker.localQueue.size;

/** Pontoon on one store, running a process per execution (cold) or in warm replicas (with or without prefetch). */
export function pontoonSystem(store: Store, form: Form, postgres: () => PostgresCluster): System {
  return {
    key: `pontoon-${store}-${form}`,
    pontoon: true,
    description:
      `Pontoon (\`pontoon up\`, ${store === 'sqlite' ? 'embedded SQLite' : 'PostgreSQL'}), ` +
      (form === 'cold'
        ? 'a `command` function running `true`: one process per execution'
        : form === 'warm'
          ? 'a node handler with `spec.warm` (one replica, concurrency = total)'
          : `a node handler with \`spec.warm\` (one replica, concurrency = total, prefetch up to ${prefetchHeld} held, as graphile-batched's local queue, the total running; parallelism and --capacity raised to match)`),
    startMeasuredBy:
      "the execution's first attempt `startedAt`, stored by Pontoon when the attempt is claimed and started (GET /executions/:id)" +
      (form === 'warm-prefetch' ? '; with prefetch a claimed invocation may wait for a slot of its replica after that' : ''),
    async open(concurrency) {
      let database: string | undefined;
      const flags = ['--capacity', String(held(form, concurrency))];
      if (store === 'postgres') {
        database = `pontoon_${process.pid}_${Date.now()}`;
        flags.push('--store', await postgres().createDatabase(database));
      }
      const server = await startBenchServer(flags);
      try {
        await deploy(server, form, concurrency);
      } catch (thrown) {
        await server.stop();
        if (database) await postgres().dropDatabase(database);
        throw thrown;
      }
      const storeCpuMs = () => (store === 'postgres' ? treeCpuMs(postgres().pid) : 0);
      return session(server, storeCpuMs, async () => {
        await server.stop();
        if (database) await postgres().dropDatabase(database);
      });
    },
  };
}

async function deploy(server: BenchServer, form: Form, concurrency: number): Promise<void> {
  const common = { parallelism: held(form, concurrency), retry: { limit: 0 } };
  const spec =
    form === 'cold'
      ? { runtime: 'command', command: ['true'], ...common }
      : {
          runtime: 'node',
          source: repoFile('bench/peers/functions/noop'),
          handler: 'handler.handle',
          warm: { min: 1, max: 1, idleTimeout: '10m', concurrency, ...(form === 'warm-prefetch' ? { prefetch: held(form, concurrency) - concurrency } : {}) },
          ...common,
        };
  const answer = await server.call('PUT', `${ns}/functions/${fn}`, { apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name: fn }, spec });
  if (answer.status >= 300) {
    if (form !== 'cold') throw new NotAvailable(`deploy with spec.warm refused: ${answer.body?.error?.message ?? answer.status}`);
    throw new Error(`deploy: ${JSON.stringify(answer.body)}`);
  }
  if (form !== 'cold') await waitForReadyReplica(server);
}

/** Most executions of the form running at once, as Pontoon counts them (claimed ahead included). */
function held(form: Form, concurrency: number): number {
  return form === 'warm-prefetch' ? Math.max(prefetchHeld, concurrency) : concurrency;
}

/**
 * Warm replicas are reported in the function's status (desired and ready). A server that takes
 * `spec.warm` and never shows a ready replica runs the function on demand: that is not warm.
 */
async function waitForReadyReplica(server: BenchServer): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const answer = await server.call('GET', `${ns}/functions/${fn}`);
    if (readyReplicas(answer.body?.status) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new NotAvailable('spec.warm accepted, but no ready replica appeared in the function status within 30 s');
}

/** The largest number under a key named like `ready…` anywhere in the status object. */
function readyReplicas(status: unknown): number {
  if (!status || typeof status !== 'object') return 0;
  let best = 0;
  for (const [key, value] of Object.entries(status)) {
    if (/ready/i.test(key) && typeof value === 'number') best = Math.max(best, value);
    else if (typeof value === 'object') best = Math.max(best, readyReplicas(value));
  }
  return best;
}

function session(server: BenchServer, storeCpuMs: () => number, close: () => Promise<void>): Session {
  const invoke = async (query: string): Promise<string> => {
    const answer = await server.call('POST', `${ns}/functions/${fn}/invoke${query}`, {});
    if (answer.status >= 300) throw new Error(`invoke: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.id;
  };
  return {
    insertMany: (count) =>
      insertInChunks(count, async (size) => {
        const answer = await server.call('POST', `${ns}/functions/${fn}/batch`, { inputs: new Array(size).fill(null) });
        if (answer.status !== 202) throw new Error(`batch: ${JSON.stringify(answer.body)}`);
      }),
    submitOne: () => invoke(''),
    runOne: () => invoke('?wait=30s'),
    async remaining() {
      const answer = await server.call('GET', `${ns}/functions/${fn}`);
      return answer.body.status.queued + answer.body.status.running;
    },
    async startTimes(ids) {
      const times = new Map<string, number>();
      await inParallel(ids, 16, async (id) => {
        const answer = await server.call('GET', `${ns}/executions/${id}`);
        const started = answer.body?.attempts?.[0]?.startedAt;
        if (started) times.set(id, Date.parse(started));
      });
      return times;
    },
    cpuMs() {
      const own = processCpu(server.pid)?.self ?? 0;
      return { server: own, functions: treeCpuMs(server.pid) - own, store: storeCpuMs() };
    },
    close,
  };
}

/** Runs `work` over the items, `width` at a time. */
async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}
