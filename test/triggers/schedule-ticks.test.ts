import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FunctionDocument, ScheduleSpec } from '../../src/domain/function-spec.js';
import { nextTick, planSchedule, scheduleProblems, ticksBetween } from '../../src/triggers/schedule-ticks.js';

const iso = (dates: Date[] | undefined) => dates?.map((date) => date.toISOString());

function schedule(extra: Partial<ScheduleSpec> = {}): ScheduleSpec {
  return { cron: '*/5 * * * *', timezone: 'UTC', concurrencyPolicy: 'Allow', missedRunPolicy: 'RunOnce', catchUpLimit: 10, suspend: false, ...extra };
}

describe('cron ticks', () => {
  it('lists the ticks after one instant up to and including another', () => {
    const ticks = ticksBetween('*/5 * * * *', 'UTC', new Date('2030-01-01T00:00:00Z'), new Date('2030-01-01T00:15:00Z'));
    assert.deepEqual(iso(ticks), ['2030-01-01T00:05:00.000Z', '2030-01-01T00:10:00.000Z', '2030-01-01T00:15:00.000Z']);
  });

  it('reads six fields as seconds first', () => {
    const ticks = ticksBetween('*/20 * * * * *', 'UTC', new Date('2030-01-01T00:00:00Z'), new Date('2030-01-01T00:01:00Z'));
    assert.deepEqual(iso(ticks), ['2030-01-01T00:00:20.000Z', '2030-01-01T00:00:40.000Z', '2030-01-01T00:01:00.000Z']);
  });

  it('fires at the wall-clock time of the schedule’s time zone', () => {
    assert.equal(nextTick('0 9 * * *', 'America/New_York', new Date('2030-01-01T00:00:00Z'))?.toISOString(), '2030-01-01T14:00:00.000Z');
    assert.equal(nextTick('0 9 * * *', 'America/New_York', new Date('2030-07-01T00:00:00Z'))?.toISOString(), '2030-07-01T13:00:00.000Z', 'daylight saving time');
    assert.equal(nextTick('0 9 * * *', 'Asia/Tokyo', new Date('2030-01-01T00:00:00Z'))?.toISOString(), '2030-01-02T00:00:00.000Z');
  });

  it('names the field of a bad cron, a bad time zone and a duplicate name', () => {
    const document = {
      spec: {
        schedules: [
          schedule({ cron: '* * *' }),
          schedule({ cron: '61 * * * *' }),
          schedule({ timezone: 'Mars/Olympus' }),
          schedule({ name: 'a' }),
          schedule({ name: 'a' }),
        ],
      },
    } as unknown as FunctionDocument;
    assert.deepEqual(
      scheduleProblems(document).map((problem) => problem.field),
      ['spec.schedules[0].cron', 'spec.schedules[1].cron', 'spec.schedules[2].timezone', 'spec.schedules[4].name'],
    );
  });
});

describe('planning a schedule', () => {
  const last = new Date('2030-01-01T00:00:00Z');
  const tolerance = 30_000;

  it('fires the one due tick when on time, whatever the policies', () => {
    for (const missedRunPolicy of ['Skip', 'RunOnce', 'CatchUp'] as const) {
      const plan = planSchedule(schedule({ missedRunPolicy }), last, new Date('2030-01-01T00:05:01Z'), tolerance);
      assert.deepEqual(iso(plan?.fire), ['2030-01-01T00:05:00.000Z'], missedRunPolicy);
      assert.equal(plan?.tick.toISOString(), '2030-01-01T00:05:00.000Z');
    }
  });

  it('plans nothing before the next tick', () => {
    assert.equal(planSchedule(schedule(), last, new Date('2030-01-01T00:04:59Z'), tolerance), undefined);
  });

  it('after downtime, Skip fires nothing, RunOnce the newest tick, CatchUp the newest catchUpLimit ticks', () => {
    const now = new Date('2030-01-01T00:31:00Z'); // six ticks missed, the newest a minute late
    const skip = planSchedule(schedule({ missedRunPolicy: 'Skip' }), last, now, tolerance);
    assert.deepEqual(iso(skip?.fire), []);
    assert.equal(skip?.skipped, 6);
    assert.equal(skip?.tick.toISOString(), '2030-01-01T00:30:00.000Z');
    assert.deepEqual(iso(planSchedule(schedule({ missedRunPolicy: 'RunOnce' }), last, now, tolerance)?.fire), ['2030-01-01T00:30:00.000Z']);
    assert.deepEqual(iso(planSchedule(schedule({ missedRunPolicy: 'CatchUp', catchUpLimit: 4 }), last, now, tolerance)?.fire), [
      '2030-01-01T00:15:00.000Z',
      '2030-01-01T00:20:00.000Z',
      '2030-01-01T00:25:00.000Z',
      '2030-01-01T00:30:00.000Z',
    ]);
  });

  it('Skip still fires the newest tick when it is on time', () => {
    const plan = planSchedule(schedule({ missedRunPolicy: 'Skip' }), last, new Date('2030-01-01T00:30:10Z'), tolerance);
    assert.deepEqual(iso(plan?.fire), ['2030-01-01T00:30:00.000Z']);
    assert.equal(plan?.skipped, 5);
  });

  it('never fires two ticks at once under Forbid or Replace', () => {
    for (const concurrencyPolicy of ['Forbid', 'Replace'] as const) {
      const plan = planSchedule(schedule({ missedRunPolicy: 'CatchUp', concurrencyPolicy }), last, new Date('2030-01-01T00:31:00Z'), tolerance);
      assert.deepEqual(iso(plan?.fire), ['2030-01-01T00:30:00.000Z'], concurrencyPolicy);
    }
  });

  it('accounts for the ticks of a suspended schedule without firing them', () => {
    const plan = planSchedule(schedule({ suspend: true }), last, new Date('2030-01-01T00:10:00Z'), tolerance);
    assert.deepEqual(iso(plan?.fire), []);
    assert.equal(plan?.tick.toISOString(), '2030-01-01T00:10:00.000Z');
  });
});
