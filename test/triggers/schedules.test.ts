import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ManualClock, TriggerPontoon, eventually, quickFunction } from './helpers.js';

const keysOf = (executions: any[]) => executions.map((execution) => execution.idempotencyKey).sort();
const tickKey = (tick: string, schedule = 'every-minute') => `schedule/${schedule}/2030-01-01T${tick}.000Z`;
const everyMinute = (extra: Record<string, unknown> = {}) => ({ name: 'every-minute', cron: '* * * * *', ...extra });

/** Waits until the scheduler has recorded a first state for every schedule of the namespace. */
async function scheduled(pontoon: TriggerPontoon, count: number): Promise<any[]> {
  return eventually('schedules recorded', async () => {
    const { body } = await pontoon.request('GET', '/v1/namespaces/default/schedules');
    return body.items.length === count && body.items.every((item: any) => item.lastTick !== null) ? body.items : undefined;
  });
}

/** Waits for `count` executions of `fn`, then lets a few more scheduler passes run to catch extras. */
async function settled(pontoon: TriggerPontoon, fn: string, count: number): Promise<any[]> {
  await eventually(`${count} executions of ${fn}`, async () => ((await pontoon.executions(fn)).length >= count ? true : undefined));
  await new Promise((resolve) => setTimeout(resolve, 400));
  return pontoon.executions(fn);
}

describe('cron schedules', () => {
  const pontoons: TriggerPontoon[] = [];
  after(async () => {
    for (const pontoon of pontoons) await pontoon.close();
  });
  async function start(clock: ManualClock, hooks: Record<string, unknown> = {}): Promise<TriggerPontoon> {
    const pontoon = new TriggerPontoon({}, { clock: clock.now, schedulerPollMs: 50, scheduleToleranceMs: 5000, ...hooks });
    pontoons.push(pontoon);
    return pontoon.start();
  }

  it('fires one execution per due tick with the schedule’s input, and shows last and next fire times in the schedule’s time zone', async () => {
    const clock = new ManualClock('2030-01-01T00:00:30Z');
    const pontoon = await start(clock);
    await pontoon.deploy('report', quickFunction({ schedules: [everyMinute({ input: { kind: 'nightly' } }), { name: 'tokyo', cron: '0 9 * * *', timezone: 'Asia/Tokyo' }] }));
    await scheduled(pontoon, 2);
    assert.deepEqual(await pontoon.executions('report'), [], 'nothing before the first tick');

    clock.set('2030-01-01T00:01:01Z');
    const executions = await settled(pontoon, 'report', 1);
    assert.deepEqual(keysOf(executions), [tickKey('00:01:00')]);
    assert.deepEqual(executions[0].input, { kind: 'nightly' });

    clock.set('2030-01-01T00:02:02Z');
    assert.deepEqual(keysOf(await settled(pontoon, 'report', 2)), [tickKey('00:01:00'), tickKey('00:02:00')]);

    const { body } = await pontoon.request('GET', '/v1/namespaces/default/schedules');
    const byName = Object.fromEntries(body.items.map((item: any) => [item.schedule, item]));
    assert.equal(byName['every-minute'].lastFireTime, '2030-01-01T00:02:00.000Z');
    assert.equal(byName['every-minute'].nextFireTime, '2030-01-01T00:03:00.000Z');
    assert.equal(byName.tokyo.lastFireTime, null);
    assert.equal(byName.tokyo.nextFireTime, '2030-01-02T00:00:00.000Z', '09:00 in Tokyo is midnight UTC');
  });

  it('refuses a bad cron or time zone at deploy, naming the field', async () => {
    const pontoon = await start(new ManualClock('2030-01-01T00:00:00Z'));
    const answer = await pontoon.request('PUT', '/v1/namespaces/default/functions/bad', {
      apiVersion: 'pontoon.dev/v1',
      kind: 'Function',
      metadata: { name: 'bad' },
      spec: quickFunction({ schedules: [{ cron: '* * *' }, { cron: '* * * * *', timezone: 'Nowhere/Land' }] }),
    });
    assert.equal(answer.status, 422);
    assert.deepEqual(answer.body.error.details.problems.map((problem: any) => problem.field), ['spec.schedules[0].cron', 'spec.schedules[1].timezone']);
  });

  it('applies Allow, Forbid and Replace while the previous execution still runs', async () => {
    const clock = new ManualClock('2030-01-01T00:00:30Z');
    const pontoon = await start(clock);
    for (const policy of ['Allow', 'Forbid', 'Replace']) {
      await pontoon.deploy(policy.toLowerCase(), quickFunction({ schedules: [everyMinute({ concurrencyPolicy: policy })] }, 60));
    }
    await scheduled(pontoon, 3);
    clock.set('2030-01-01T00:01:01Z');
    for (const fn of ['allow', 'forbid', 'replace']) {
      await eventually(`${fn} running`, async () => ((await pontoon.executions(fn))[0]?.status === 'running' ? true : undefined));
    }
    clock.set('2030-01-01T00:02:01Z');
    const allow = await settled(pontoon, 'allow', 2);
    assert.deepEqual(allow.map((execution) => execution.status), ['running', 'running']);
    const replace = await settled(pontoon, 'replace', 2);
    assert.equal(replace[0].status, 'cancelled', 'the running one is replaced');
    assert.equal(replace[1].idempotencyKey, tickKey('00:02:00'));
    await eventually('the Forbid tick recorded', async () => {
      const { body } = await pontoon.request('GET', '/v1/namespaces/default/schedules?function=forbid');
      return body.items[0].lastTick === '2030-01-01T00:02:00.000Z' ? body.items[0] : undefined;
    });
    const forbid = await pontoon.executions('forbid');
    assert.deepEqual(keysOf(forbid), [tickKey('00:01:00')], 'Forbid skipped the tick');
  });

  it('applies each missed-run policy across a restart, never doubling or losing a tick beyond the policy', async () => {
    const clock = new ManualClock('2030-01-01T00:00:30Z');
    const pontoon = await start(clock);
    await pontoon.deploy('skip', quickFunction({ schedules: [everyMinute({ missedRunPolicy: 'Skip' })] }));
    await pontoon.deploy('once', quickFunction({ schedules: [everyMinute({ missedRunPolicy: 'RunOnce' })] }));
    await pontoon.deploy('catch-up', quickFunction({ schedules: [everyMinute({ missedRunPolicy: 'CatchUp', catchUpLimit: 3 })] }));
    await scheduled(pontoon, 3);
    clock.set('2030-01-01T00:01:01Z');
    for (const fn of ['skip', 'once', 'catch-up']) await settled(pontoon, fn, 1);

    await pontoon.stop();
    clock.set('2030-01-01T00:10:30Z'); // ticks 00:02 … 00:10 missed; the newest is 30s late, past the 5s tolerance
    await pontoon.start();
    assert.deepEqual(keysOf(await settled(pontoon, 'once', 2)), [tickKey('00:01:00'), tickKey('00:10:00')]);
    assert.deepEqual(keysOf(await settled(pontoon, 'catch-up', 4)), [tickKey('00:01:00'), tickKey('00:08:00'), tickKey('00:09:00'), tickKey('00:10:00')]);
    assert.deepEqual(keysOf(await pontoon.executions('skip')), [tickKey('00:01:00')]);

    // A second restart at the same time changes nothing: every tick up to 00:10 is accounted for.
    await pontoon.stop();
    await pontoon.start();
    clock.set('2030-01-01T00:11:01Z');
    for (const [fn, count] of [['skip', 2], ['once', 3], ['catch-up', 5]] as const) {
      const keys = keysOf(await settled(pontoon, fn, count));
      assert.equal(keys.length, count, `${fn}: ${keys.join(', ')}`);
      assert.equal(new Set(keys).size, count);
      assert.ok(keys.includes(tickKey('00:11:00')));
    }
  });

  it('fires nothing while this controller is not the leader', async () => {
    const clock = new ManualClock('2030-01-01T00:00:30Z');
    let leading = false;
    const pontoon = await start(clock, { isLeader: () => leading });
    await pontoon.deploy('report', quickFunction({ schedules: [everyMinute()] }));
    clock.set('2030-01-01T00:01:01Z');
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.deepEqual(await pontoon.executions('report'), []);
    leading = true;
    await scheduled(pontoon, 1);
    clock.set('2030-01-01T00:02:01Z');
    assert.deepEqual(keysOf(await settled(pontoon, 'report', 1)), [tickKey('00:02:00')]);
  });

  it('a schedule with a delay queues each tick’s execution to start that long after the tick', async () => {
    const clock = new ManualClock('2030-01-01T00:00:30Z');
    const pontoon = await start(clock);
    await pontoon.deploy('report', quickFunction({ schedules: [everyMinute({ delay: '10m' })] }));
    await scheduled(pontoon, 1);
    clock.set('2030-01-01T00:01:01Z');
    const [execution] = await settled(pontoon, 'report', 1);
    assert.equal(execution.status, 'queued');
    assert.equal(execution.notBefore, '2030-01-01T00:11:00.000Z');
  });
});
