import type { Logger } from 'pino';
import { durationMs } from '../domain/duration.js';
import type { FunctionVersion, ScheduleSpec } from '../domain/function-spec.js';
import type { Execution } from '../domain/execution.js';
import type { ScheduleState, Store } from '../store/store.js';
import { nextTick, planSchedule, scheduleId, scheduleKeyPrefix, scheduleTickKey } from '../triggers/schedule-ticks.js';
import { Loop } from './loop.js';

/** What the scheduler is built from. */
export interface SchedulerOptions {
  store: Store;
  logger: Logger;
  clock: () => Date;
  /** Only the leader fires schedules; always true embedded, elected with several controllers. */
  isLeader: () => boolean;
  /** How often it looks when no tick is near (other controllers' deploys, a changed clock). */
  pollMs: number;
  /** How late the newest due tick may be and still count as on time (see planSchedule). */
  toleranceMs: number;
  /** Called after executions were stored, to wake the dispatcher. */
  started: (executions: Execution[]) => void;
  /** Called with executions Replace cancelled, so their running attempts stop at once. */
  cancelled: (ids: string[]) => Promise<void>;
}

/**
 * The cron loop. Each pass reads every live function's schedules and their stored last ticks,
 * plans the due ticks by the schedule's policies, and advances each schedule in one store
 * transaction (tick recorded and executions stored together, compare-and-set on the last tick).
 * Level-triggered: a pass after a crash or a restart sees the same gap and closes it once.
 */
export class Scheduler {
  private readonly loop: Loop;
  private tickTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SchedulerOptions) {
    this.loop = new Loop('scheduler', options.pollMs, () => this.pass(), (name, error) => options.logger.error({ err: error }, `${name} pass failed`));
  }

  /** Starts the loop with an immediate pass. */
  start(): void {
    this.loop.start();
  }

  /** Asks for a pass now (a deploy, a leadership change). */
  wake(): void {
    this.loop.wake();
  }

  /** Stops the loop; a pass under way finishes first. */
  async stop(): Promise<void> {
    clearTimeout(this.tickTimer);
    this.tickTimer = undefined;
    await this.loop.stop();
  }

  private async pass(): Promise<void> {
    if (!this.options.isLeader()) return;
    const functions = await this.options.store.listFunctions();
    const states = new Map((await this.options.store.listScheduleStates()).map((state) => [stateKey(state), state]));
    let soonest: number | undefined;
    for (const fn of functions) {
      for (const [index, schedule] of (fn.document.spec.schedules ?? []).entries()) {
        const id = scheduleId(schedule, index);
        const state = states.get(stateKey({ namespace: fn.namespace, function: fn.name, schedule: id }));
        const lastTick = await this.advance(fn, schedule, id, state);
        const next = nextTick(schedule.cron, schedule.timezone, lastTick)?.getTime();
        if (next !== undefined && (soonest === undefined || next < soonest)) soonest = next;
      }
    }
    this.wakeAt(soonest);
  }

  /** Brings one schedule up to now; returns its last tick afterwards. */
  private async advance(fn: FunctionVersion, schedule: ScheduleSpec, id: string, state: ScheduleState | undefined): Promise<Date> {
    const now = this.options.clock();
    const ref = { namespace: fn.namespace, function: fn.name, schedule: id };
    if (!state) {
      // A new schedule counts from its deploy when that was just now, so the first tick after a
      // deploy is not lost to the gap before this pass; from now otherwise, so that adding a
      // schedule (or a clock far from the deploy's) never fires a backlog.
      const deployed = new Date(fn.createdAt);
      const age = now.getTime() - deployed.getTime();
      const baseline = age >= 0 && age <= this.options.toleranceMs ? deployed : now;
      const result = await this.options.store.advanceSchedule(
        { ...ref, expectedLastTick: null, tick: baseline.toISOString(), keyPrefix: scheduleKeyPrefix(id), concurrencyPolicy: schedule.concurrencyPolicy, executions: [] },
        now.toISOString(),
      );
      if (!result.applied) return now; // another controller got there first; the next pass reads its state
      return this.advance(fn, schedule, id, { ...ref, lastTick: baseline.toISOString(), lastFiredTick: null, recordedAt: now.toISOString() });
    }

    const lastTick = new Date(state.lastTick);
    const plan = planSchedule(schedule, lastTick, now, this.options.toleranceMs);
    if (!plan) return lastTick;
    const executions = plan.fire.map((tick) => ({
      namespace: fn.namespace,
      function: fn.name,
      input: schedule.input ?? null,
      idempotencyKey: scheduleTickKey(id, tick.toISOString()),
      // spec.schedules[].delay: the tick's execution may start that long after the tick.
      ...(schedule.delay ? { notBefore: new Date(tick.getTime() + durationMs(schedule.delay)).toISOString() } : {}),
    }));
    const result = await this.options.store.advanceSchedule(
      { ...ref, expectedLastTick: state.lastTick, tick: plan.tick.toISOString(), keyPrefix: scheduleKeyPrefix(id), concurrencyPolicy: schedule.concurrencyPolicy, executions },
      now.toISOString(),
    );
    if (!result.applied) return lastTick;
    const log = { function: `${fn.namespace}/${fn.name}`, schedule: id, tick: plan.tick.toISOString() };
    if (plan.skipped > 0) this.options.logger.info({ ...log, skipped: plan.skipped, policy: schedule.missedRunPolicy }, 'missed schedule ticks skipped');
    if (result.forbidden) this.options.logger.info(log, 'schedule tick skipped: an execution of this schedule is still queued or running (Forbid)');
    if (result.cancelled.length > 0) await this.options.cancelled(result.cancelled);
    if (result.started.length > 0) this.options.started(result.started);
    return plan.tick;
  }

  /** Wakes the loop at the next tick, so a tick fires on time rather than at the next poll. */
  private wakeAt(tick: number | undefined): void {
    clearTimeout(this.tickTimer);
    if (tick === undefined) return;
    const delay = tick - this.options.clock().getTime();
    if (delay >= this.options.pollMs) return;
    this.tickTimer = setTimeout(() => this.loop.wake(), Math.max(0, delay) + 5);
    this.tickTimer.unref();
  }
}

function stateKey(ref: { namespace: string; function: string; schedule: string }): string {
  return JSON.stringify([ref.namespace, ref.function, ref.schedule]);
}
