import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { migrations } from '../../src/store/postgres/migrations/index.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { ClaimedAttempt } from '../../src/store/store.js';
import { dropSchemas, freshSchema, pgQuery, pgSkipReason, testPgUrl } from '../helpers/postgres.js';
import { at, completion, enqueueMany, functionDocument, refOf } from './conformance/fixtures.js';
import { runStoreConformance } from './store-conformance.js';

const skip = pgSkipReason();
after(dropSchemas);

/** A store on a fresh schema: every test starts empty. */
const openFresh = async () => openPostgresStore({ url: testPgUrl!, schema: freshSchema() });

if (!skip) runStoreConformance('postgres', openFresh);

/** Runs `call`, counting the queries every pg client sends meanwhile: each is one round trip. */
async function countingRoundTrips<T>(call: () => Promise<T>): Promise<{ result: T; trips: number }> {
  let trips = 0;
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    trips++;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  try {
    return { result: await call(), trips };
  } finally {
    pg.Client.prototype.query = query;
  }
}

/** Counts the wake-ups `store` hears from now on (it listens first); `next()` resolves at the next one. */
async function listenForWakes(store: PostgresStore): Promise<{ readonly count: number; next(): Promise<void> }> {
  let count = 0;
  let heard: () => void = () => {};
  store.onWake(() => {
    count++;
    heard();
  });
  await store.wakeReady();
  return {
    get count() {
      return count;
    },
    next: () => new Promise<void>((resolve) => (heard = resolve)),
  };
}

describe('PostgreSQL store', { skip }, () => {
  it('lets several stores (controllers) claim at once without passing parallelism or claiming an execution twice', async () => {
    const schema = freshSchema();
    const stores: PostgresStore[] = [];
    for (let index = 0; index < 4; index++) stores.push(await openPostgresStore({ url: testPgUrl!, schema, maxConnections: 4 }));
    try {
      await stores[0].putFunction(functionDocument('narrow', { parallelism: 5, priority: 1 }));
      await stores[0].putFunction(functionDocument('wide', { parallelism: 1000 }));
      await enqueueMany(stores[1], 'narrow', 60);
      await enqueueMany(stores[2], 'wide', 300);
      const seen = new Map<string, number>();
      let narrowRunningMax = 0;
      // Rounds of concurrent claims by every store, finishing some narrow ones in between, so
      // the narrow function's slots are contended every round.
      for (let round = 0; round < 40; round++) {
        const claims = (
          await Promise.all(stores.flatMap((store, index) => [0, 1].map((k) => store.claimExecutions({ owner: `c${index}-${k}`, now: at(round), leaseMs: 60_000, limit: 7 }))))
        ).flat();
        for (const claimed of claims) seen.set(`${claimed.execution.id}#${claimed.attempt}`, (seen.get(`${claimed.execution.id}#${claimed.attempt}`) ?? 0) + 1);
        const counts = await stores[3].countExecutions('default', 'narrow');
        narrowRunningMax = Math.max(narrowRunningMax, counts.running);
        const narrow = claims.filter((claimed: ClaimedAttempt) => claimed.execution.function === 'narrow');
        await Promise.all(narrow.map((claimed, index) => stores[index % 4].completeAttempt(completion(refOf(claimed), { finishedAt: at(round) }))));
      }
      assert.ok(narrowRunningMax <= 5, `narrow ran ${narrowRunningMax} at once, parallelism is 5`);
      assert.deepEqual([...seen.values()].filter((count) => count > 1), [], 'no attempt was handed out twice');
      const claimedIds = new Set([...seen.keys()].map((key) => key.split('#')[0]));
      assert.equal(claimedIds.size, seen.size, 'every claim opened attempt 1 of an execution nobody else had');
      const wide = await stores[0].countExecutions('default', 'wide');
      assert.equal(wide.running, 300, 'every wide execution was claimed exactly once');
      assert.equal((await stores[0].countExecutions('default', 'narrow')).succeeded, 60);
    } finally {
      for (const store of stores) await store.close();
    }
  });

  it('settles a warm batch of 8 and claims the next 8 in three round trips (BEGIN with the locks and the fence with the function lock, end and start, COMMIT)', async () => {
    const store = await openFresh();
    try {
      await store.putFunction(functionDocument('warm', { parallelism: 8 }));
      await enqueueMany(store, 'warm', 16);
      const claim = { owner: 'a', leaseMs: 60_000, limit: 8, function: { namespace: 'default', name: 'warm' } };
      const first = await store.claimFunctionExecutions({ ...claim, now: at(1) });
      const { result: next, trips } = await countingRoundTrips(() =>
        store.completeAndClaimFunction(first.map((c) => completion(refOf(c), { finishedAt: at(2) })), { ...claim, now: at(2) }),
      );
      assert.equal(next.claimed.length, 8);
      assert.equal(trips, 3);
      assert.deepEqual(await store.countExecutions('default', 'warm', ['running', 'succeeded']), { queued: 0, running: 8, succeeded: 8, failed: 0, timed_out: 0, cancelled: 0 });
    } finally {
      await store.close();
    }
  });

  it('settles an attempt and claims the next in three round trips, and claims alone in three (BEGIN with the locks and the fence, then the end, count, pick and start in one statement, COMMIT)', async () => {
    const store = await openFresh();
    try {
      await store.putFunction(functionDocument('cold', { parallelism: 1 }));
      await enqueueMany(store, 'cold', 3);
      const claim = { owner: 'a', leaseMs: 60_000, limit: 1 };
      const first = await countingRoundTrips(() => store.claimExecutions({ ...claim, now: at(1) }));
      assert.deepEqual([first.result.length, first.trips], [1, 3]);
      const next = await countingRoundTrips(() => store.completeAndClaim(completion(refOf(first.result[0]), { finishedAt: at(2) }), { ...claim, now: at(2) }));
      assert.deepEqual([next.result.applied, next.result.claimed.length, next.trips], [true, 1, 3]);
      assert.deepEqual(await store.countExecutions('default', 'cold'), { queued: 1, running: 1, succeeded: 1, failed: 0, timed_out: 0, cancelled: 0 });
    } finally {
      await store.close();
    }
  });

  it('settles and claims across plain functions in one statement: the slot freed goes to its own function, best first, none past parallelism', async () => {
    const store = await openFresh();
    try {
      await store.putFunction(functionDocument('busy', { parallelism: 1, priority: 9 }));
      await store.putFunction(functionDocument('freed', { parallelism: 2 }));
      await enqueueMany(store, 'busy', 2);
      await enqueueMany(store, 'freed', 3);
      const claim = { owner: 'a', leaseMs: 60_000, limit: 5 };
      const first = await store.claimExecutions({ ...claim, now: at(1) });
      // busy's priority puts it first; its parallelism holds it to one; freed fills its two.
      assert.deepEqual(first.map((c) => c.execution.function), ['busy', 'freed', 'freed']);
      const ending = first.find((c) => c.execution.function === 'freed')!;
      const next = await countingRoundTrips(() => store.completeAndClaim(completion(refOf(ending), { finishedAt: at(2) }), { ...claim, now: at(2) }));
      assert.deepEqual([next.result.applied, next.result.claimed.map((c) => c.execution.function), next.trips], [true, ['freed'], 3]);
      assert.deepEqual(
        [await store.countExecutions('default', 'busy'), await store.countExecutions('default', 'freed')].map((counts) => [counts.queued, counts.running, counts.succeeded]),
        [
          [1, 1, 0],
          [0, 2, 1],
        ],
      );
    } finally {
      await store.close();
    }
  });

  it('applies each migration once when several controllers start on a new schema at the same moment', async () => {
    const schema = freshSchema();
    const stores = await Promise.all(Array.from({ length: 6 }, () => openPostgresStore({ url: testPgUrl!, schema, maxConnections: 2 })));
    try {
      const applied = await pgQuery(`SELECT version, name FROM "${schema}".schema_migrations ORDER BY version`);
      assert.deepEqual(
        applied,
        migrations.map((migration) => ({ version: migration.version, name: migration.name })),
      );
      await stores[0].putFunction(functionDocument('report'));
      assert.equal((await stores[5].getFunction('default', 'report'))?.version, 1);
    } finally {
      for (const store of stores) await store.close();
    }
  });

  it('returns an execution keyed before request fingerprints (migration 3) for any repeat of its key, as before', async () => {
    const schema = freshSchema();
    const store = await openPostgresStore({ url: testPgUrl!, schema });
    try {
      await store.putFunction(functionDocument('report'));
      const [first] = await store.enqueueExecutions([{ namespace: 'default', function: 'report', input: 1, idempotencyKey: 'old' }], at(0));
      await pgQuery(`UPDATE "${schema}".executions SET request_fingerprint = NULL`);
      const [repeat] = await store.enqueueExecutions([{ namespace: 'default', function: 'report', input: 2, idempotencyKey: 'old' }], at(5));
      assert.deepEqual([repeat.created, repeat.matchesRequest, repeat.execution.id], [false, true, first.execution.id]);
    } finally {
      await store.close();
    }
  });

  it('refuses a schema migrated by a newer Pontoon', async () => {
    const schema = freshSchema();
    await (await openPostgresStore({ url: testPgUrl!, schema })).close();
    await pgQuery(`INSERT INTO "${schema}".schema_migrations (version, name) VALUES (999, 'future')`);
    await assert.rejects(openPostgresStore({ url: testPgUrl!, schema }), /version 999/);
  });

  it('wakes the other stores of a schema when executions are enqueued or a slot frees, and not itself or stores of other schemas', async () => {
    const schema = freshSchema();
    const producer = await openPostgresStore({ url: testPgUrl!, schema });
    const consumer = await openPostgresStore({ url: testPgUrl!, schema });
    const elsewhere = await openPostgresStore({ url: testPgUrl!, schema: freshSchema() });
    try {
      const wakes: string[] = [];
      let notify: () => void = () => {};
      consumer.onWake(() => {
        wakes.push('consumer');
        notify();
      });
      elsewhere.onWake(() => wakes.push('elsewhere'));
      let producerWoken: () => void = () => {};
      producer.onWake(() => {
        wakes.push('producer');
        producerWoken();
      });
      await Promise.all([consumer.wakeReady(), elsewhere.wakeReady(), producer.wakeReady()]);
      const woken = () => new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no wake-up within 5 s')), 5_000);
        notify = () => { clearTimeout(timer); resolve(); };
      });

      await producer.putFunction(functionDocument('report'));
      let next = woken();
      await enqueueMany(producer, 'report', 3);
      await next;
      const [claimed] = await consumer.claimExecutions({ owner: 'c', now: at(1), leaseMs: 30_000, limit: 1 });
      next = woken();
      await producer.completeAttempt(completion(refOf(claimed)));
      await next;
      assert.ok(wakes.filter((who) => who === 'consumer').length >= 2);
      assert.equal(wakes.includes('elsewhere'), false);
      // A store's own changes are not a wake-up for it (its controller knows of them); another's are.
      const heard = new Promise<void>((resolve) => (producerWoken = resolve));
      await enqueueMany(consumer, 'report', 1);
      await heard;
      assert.equal(wakes.filter((who) => who === 'producer').length, 1);
    } finally {
      await producer.close();
      await consumer.close();
      await elsewhere.close();
    }
  });

  it('tells the other stores of the slots a settlement without a claim freed only while the function has work ready', async () => {
    const schema = freshSchema();
    const store = await openPostgresStore({ url: testPgUrl!, schema });
    // A plain LISTEN, to read each notification's reason, in commit order.
    const listener = new pg.Client({ connectionString: testPgUrl });
    const heard: string[] = [];
    let arrived: () => void = () => {};
    listener.on('notification', (message) => {
      heard.push(message.payload ?? '');
      arrived();
    });
    const readyHeard = async (count: number) => {
      const deadline = Date.now() + 5_000;
      while (heard.filter((reason) => reason === 'ready').length < count) {
        assert.ok(Date.now() < deadline, `no 'ready' notification within 5 s: ${JSON.stringify(heard)}`);
        await new Promise<void>((resolve) => {
          arrived = resolve;
          setTimeout(resolve, 100);
        });
      }
    };
    try {
      await listener.connect();
      await listener.query(`LISTEN "${schema}"`);
      await store.putFunction(functionDocument('report'));
      await enqueueMany(store, 'report', 2);
      await readyHeard(1);
      const claim = (now: string) => store.claimFunctionExecutions({ owner: 's', now, leaseMs: 30_000, limit: 1, function: { namespace: 'default', name: 'report' } });
      // One execution still queued: the slot freed is news.
      const [first] = await claim(at(1));
      await store.completeAttempts([completion(refOf(first))]);
      const [second] = await claim(at(2));
      await store.completeAttempts([completion(refOf(second))]);
      // Nothing queued now: the settlement sends nothing, and the next enqueue's notification follows the first one's 'freed' alone.
      await enqueueMany(store, 'report', 1);
      await readyHeard(2);
      assert.deepEqual(heard, ['ready', 'freed', 'ready']);
    } finally {
      await listener.end();
      await store.close();
    }
  });

  it('elects one leader among several controllers and hands over when the leader stops', async () => {
    const schema = freshSchema();
    const stores = await Promise.all([0, 1, 2].map(() => openPostgresStore({ url: testPgUrl!, schema, maxConnections: 2 })));
    const locks = stores.map((store, index) => store.leaderLock(`pontoon test ${index}`, undefined, 100));
    try {
      for (const lock of locks) lock.start();
      const leaders = async (expected: number) => {
        for (let tries = 0; tries < 100; tries++) {
          const leading = locks.filter((lock) => lock.isLeader()).length;
          if (leading === expected) return;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        throw new Error(`expected ${expected} leader(s), have ${locks.filter((lock) => lock.isLeader()).length}`);
      };
      await leaders(1);
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(locks.filter((lock) => lock.isLeader()).length, 1, 'still exactly one leader after several checks');
      const first = locks.findIndex((lock) => lock.isLeader());
      await locks[first].stop();
      await leaders(1);
      const second = locks.findIndex((lock) => lock.isLeader());
      assert.notEqual(second, first);
    } finally {
      for (const lock of locks) await lock.stop();
      for (const store of stores) await store.close();
    }
  });
  it('settles the attempts that end together in one transaction, and claims their freed slots in the same one', async () => {
    const schema = freshSchema();
    const store = await openPostgresStore({ url: testPgUrl!, schema });
    try {
      await store.putFunction(functionDocument('short', { parallelism: 8 }));
      await enqueueMany(store, 'short', 16);
      const running = await store.claimExecutions({ owner: 'a', now: at(1), leaseMs: 60_000, limit: 8 });
      assert.equal(running.length, 8);
      const steps = await Promise.all(
        running.map((claimed) => store.completeAndClaim(completion(refOf(claimed), { finishedAt: at(2) }), { owner: 'a', now: at(2), leaseMs: 60_000, limit: 1 })),
      );
      assert.deepEqual(steps.map((step) => step.applied), new Array(8).fill(true));
      const next = steps.flatMap((step) => step.claimed);
      assert.equal(next.length, 8, 'each freed slot was claimed again');
      assert.equal(new Set(next.map((claimed) => claimed.execution.id)).size, 8);
      // xmin is the transaction that last wrote a row: the first attempt to end goes alone, the
      // seven that ended meanwhile share one transaction (one commit, one WAL flush), not seven.
      const settledBy = await pgQuery<{ xmin: string }>(`SELECT DISTINCT xmin::text FROM "${schema}".attempts WHERE status = 'succeeded'`);
      assert.ok(settledBy.length <= 2, `8 settlements took ${settledBy.length} transactions`);
      const claimedBy = await pgQuery<{ xmin: string }>(`SELECT DISTINCT xmin::text FROM "${schema}".attempts WHERE status = 'running'`);
      const settling = new Set(settledBy.map((row) => row.xmin));
      assert.ok(
        claimedBy.every((row) => settling.has(row.xmin)),
        'the claims were made in the transactions that settled',
      );
      const counts = await store.countExecutions('default', 'short');
      assert.equal(counts.succeeded, 8);
      assert.equal(counts.running, 8);
    } finally {
      await store.close();
    }
  });

  it('fails only the settlement that cannot apply when attempts end together; the others settle and claim', async () => {
    const store = await openFresh();
    try {
      await store.putFunction(functionDocument('short', { parallelism: 4 }));
      await enqueueMany(store, 'short', 8);
      const running = await store.claimExecutions({ owner: 'a', now: at(1), leaseMs: 60_000, limit: 4 });
      const refs = running.map(refOf);
      refs[2] = { ...refs[2], attempt: 99 };
      const steps = await Promise.allSettled(
        refs.map((ref) => store.completeAndClaim(completion(ref, { finishedAt: at(2) }), { owner: 'a', now: at(2), leaseMs: 60_000, limit: 1 })),
      );
      assert.equal(steps[2].status, 'rejected');
      assert.match(String((steps[2] as PromiseRejectedResult).reason), /99/);
      for (const index of [0, 1, 3]) {
        const step = steps[index];
        assert.equal(step.status, 'fulfilled');
        assert.equal((step as PromiseFulfilledResult<{ applied: boolean }>).value.applied, true);
      }
      const counts = await store.countExecutions('default', 'short');
      assert.equal(counts.succeeded, 3);
      assert.equal(counts.running, 4, 'the three freed slots were claimed again, the bad one still runs');
    } finally {
      await store.close();
    }
  });
  it('fences a settlement that waited for the execution lock against the attempt committed meanwhile', async () => {
    const schema = freshSchema();
    const store = await openPostgresStore({ url: testPgUrl!, schema });
    const reaper = new pg.Client({ connectionString: testPgUrl, options: `-c search_path=${schema}` });
    await reaper.connect();
    try {
      await store.putFunction(functionDocument('warm'));
      await enqueueMany(store, 'warm', 1);
      const [first] = await store.claimFunctionExecutions({ owner: 'a', now: at(1), leaseMs: 60_000, limit: 1, function: { namespace: 'default', name: 'warm' } });
      // Another controller holds the execution's lock while it reaps attempt 1 and starts attempt 2.
      await reaper.query('BEGIN');
      await reaper.query('SELECT id FROM executions WHERE id = $1 FOR UPDATE', [first.execution.id]);
      await reaper.query(`UPDATE attempts SET status = 'lost', finished_at = now() WHERE execution_id = $1 AND number = 1`, [first.execution.id]);
      await reaper.query(`INSERT INTO attempts (execution_id, number, status, started_at, owner, lease_expires_at) VALUES ($1, 2, 'running', now(), 'b', now() + interval '1 minute')`, [
        first.execution.id,
      ]);
      const late = store.completeAttempts([completion(refOf(first), { finishedAt: at(2), result: { n: 1 } })]);
      for (let polls = 0; polls < 200; polls++) {
        const waiting = await pgQuery(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%' AND query NOT LIKE '%pg_stat_activity%'`);
        if (waiting.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await reaper.query('COMMIT');
      assert.deepEqual(await late, [false], 'attempt 1 was superseded while its report waited');
      const execution = await store.getExecution(first.execution.id);
      assert.equal(execution?.status, 'running');
      assert.deepEqual(
        execution?.attempts.map((attempt) => attempt.status),
        ['lost', 'running'],
      );
      assert.deepEqual(execution?.attempts[0].lateReport?.result, { n: 1 });
    } finally {
      await reaper.end();
      await store.close();
    }
  });

  it('wakes other controllers after a replica batch only when it leaves a slot free', async () => {
    const schema = freshSchema();
    const replicas = await openPostgresStore({ url: testPgUrl!, schema });
    const other = await openPostgresStore({ url: testPgUrl!, schema });
    try {
      await replicas.putFunction(functionDocument('warm', { parallelism: 4 }));
      await enqueueMany(replicas, 'warm', 9);
      const wakes = await listenForWakes(other);
      const fn = { namespace: 'default', name: 'warm' };
      const claim = (limit: number, now: string) => ({ owner: 'a', now, leaseMs: 60_000, limit, function: fn });
      const running = await replicas.claimFunctionExecutions(claim(4, at(1)));
      // Two end, two are taken in their place: no slot is left free, no one is woken.
      const refilled = await replicas.completeAndClaimFunction(running.slice(0, 2).map((c) => completion(refOf(c), { finishedAt: at(2) })), claim(2, at(2)));
      assert.equal(refilled.claimed.length, 2);
      // Two end, one is taken (the replica had room for one): a slot is free and work is ready.
      const heard = wakes.next();
      const partly = await replicas.completeAndClaimFunction(running.slice(2, 4).map((c) => completion(refOf(c), { finishedAt: at(3) })), claim(1, at(3)));
      assert.equal(partly.claimed.length, 1);
      await heard;
      // Notifications arrive in commit order: had the first batch notified, it would be counted too.
      assert.equal(wakes.count, 1);
    } finally {
      await replicas.close();
      await other.close();
    }
  });

  it('wakes other controllers after a direct handoff only when an execution of the group stays queued, and skips the NOTIFY otherwise', async () => {
    const schema = freshSchema();
    const replicas = await openPostgresStore({ url: testPgUrl!, schema });
    const other = await openPostgresStore({ url: testPgUrl!, schema });
    try {
      await replicas.putFunction(functionDocument('warm', { parallelism: 8 }));
      const wakes = await listenForWakes(other);
      const requests = [0, 1].map((input) => ({ namespace: 'default', function: 'warm', input }));
      const handOff = (limit: number, now: string) =>
        countingRoundTrips(() => replicas.enqueueAndClaimFunction(requests, now, { owner: 'a', now, leaseMs: 60_000, limit, function: { namespace: 'default', name: 'warm' } }));
      // The replica waits with room for both: the group starts at once, nobody else has work to take.
      const whole = await handOff(8, at(1));
      assert.equal(whole.result.claimed.length, 2);
      // Room for one: the other stays queued, which is news to the other controllers.
      const heard = wakes.next();
      const partly = await handOff(1, at(2));
      assert.equal(partly.result.claimed.length, 1);
      await heard;
      // Notifications arrive in commit order: had the whole handoff notified, it would be counted too.
      assert.equal(wakes.count, 1);
      assert.equal(partly.trips, whole.trips + 1, 'the NOTIFY is the one round trip the whole handoff does not send');
      assert.deepEqual(await replicas.countExecutions('default', 'warm', ['queued', 'running']), { queued: 1, running: 3, succeeded: 0, failed: 0, timed_out: 0, cancelled: 0 });
    } finally {
      await replicas.close();
      await other.close();
    }
  });

  it('settles a batch that mixes endings, retries and a late report as it would settle them one by one', async () => {
    const store = await openFresh();
    try {
      await store.putFunction(functionDocument('mixed', { parallelism: 5 }));
      await enqueueMany(store, 'mixed', 5);
      const running = await store.claimExecutions({ owner: 'a', now: at(1), leaseMs: 60_000, limit: 5 });
      // The fifth was cancelled meanwhile: its report is late.
      await store.cancelExecution(running[4].execution.id, at(2));
      const completions = [
        completion(refOf(running[0]), { finishedAt: at(3), result: { n: 0 } }),
        completion(refOf(running[1]), { status: 'failed', exitCode: 2, error: 'exit 2', finishedAt: at(3), settlement: { next: 'finish', status: 'failed' } }),
        completion(refOf(running[2]), { status: 'failed', exitCode: 3, error: 'exit 3', finishedAt: at(3), settlement: { next: 'retry', notBefore: at(60) } }),
        completion(refOf(running[3]), { finishedAt: at(3) }),
        completion(refOf(running[4]), { finishedAt: at(3), result: { n: 4 } }),
      ];
      const steps = await Promise.all(completions.map((one) => store.completeAndClaim(one, { owner: 'a', now: at(3), leaseMs: 60_000, limit: 1 })));
      assert.deepEqual(steps.map((step) => step.applied), [true, true, true, true, false]);
      assert.equal(steps.flatMap((step) => step.claimed).length, 0, 'nothing ready: the retry waits for its backoff');
      const [first, second, third, fourth, fifth] = await Promise.all(running.map((claimed) => store.getExecution(claimed.execution.id)));
      assert.equal(first?.status, 'succeeded');
      assert.deepEqual(first?.result, { n: 0 });
      assert.equal(second?.status, 'failed');
      assert.equal(second?.error, 'exit 2');
      assert.equal(second?.attempts[0].exitCode, 2);
      assert.equal(third?.status, 'queued');
      assert.equal(third?.notBefore, at(60));
      assert.equal(third?.attempts[0].status, 'failed');
      assert.equal(fourth?.status, 'succeeded');
      assert.equal(fifth?.status, 'cancelled');
      assert.deepEqual(fifth?.attempts[0].lateReport, { status: 'succeeded', exitCode: 0, reason: null, error: null, result: { n: 4 } });
    } finally {
      await store.close();
    }
  });
});
