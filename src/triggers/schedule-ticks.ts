import { CronExpressionParser } from 'cron-parser';
import { PontoonError, asError, type FieldProblem } from '../domain/errors.js';
import type { FunctionDocument, ScheduleSpec } from '../domain/function-spec.js';

/** Most ticks one plan looks at: bounds the work after a very long downtime of a per-second cron. */
const maxTicksScanned = 10_000;

/** The id of a schedule within its function: its name, else its index in `spec.schedules`. */
export function scheduleId(schedule: ScheduleSpec, index: number): string {
  return schedule.name ?? String(index);
}

/** The idempotency key prefix of a schedule's executions; a tick's key is the prefix and the tick. */
export function scheduleKeyPrefix(id: string): string {
  return `schedule/${id}/`;
}

/** The idempotency key of one tick of a schedule: the same tick never makes two executions. */
export function scheduleTickKey(id: string, tick: string): string {
  return `${scheduleKeyPrefix(id)}${tick}`;
}

function parse(cron: string, timezone: string, from: Date, until?: Date) {
  return CronExpressionParser.parse(cron, { currentDate: from, endDate: until, tz: timezone, strict: false });
}

/** Ticks of a cron in a time zone strictly after `after` and at or before `until`, oldest first, at most `limit`. */
export function ticksBetween(cron: string, timezone: string, after: Date, until: Date, limit = maxTicksScanned): Date[] {
  if (until.getTime() <= after.getTime()) return [];
  const expression = parse(cron, timezone, after, until);
  const ticks: Date[] = [];
  while (ticks.length < limit && expression.hasNext()) {
    const tick = expression.next().toDate();
    if (tick.getTime() > after.getTime()) ticks.push(tick);
  }
  return ticks;
}

/** The first tick strictly after `after`. */
export function nextTick(cron: string, timezone: string, after: Date): Date | undefined {
  try {
    return parse(cron, timezone, after).next().toDate();
  } catch {
    return undefined; // a cron with no future tick (e.g. 30 February)
  }
}

/** What the scheduler does about a schedule now: record `tick` as accounted for, and fire `fire`. */
export interface SchedulePlan {
  tick: Date;
  fire: Date[];
  /** Due ticks the missed-run policy dropped. */
  skipped: number;
}

/**
 * Decides which due ticks of a schedule fire, from the last accounted tick to `now`.
 * The newest due tick is on time when it is at most `toleranceMs` old; every other due tick was
 * missed (the controller was down or late). Skip fires only an on-time tick; RunOnce fires the
 * newest due tick, on time or not; CatchUp fires the newest `catchUpLimit` due ticks. Forbid and
 * Replace never run two at once, so with them at most the newest tick fires. Undefined when
 * nothing is due.
 */
export function planSchedule(schedule: ScheduleSpec, lastTick: Date, now: Date, toleranceMs: number): SchedulePlan | undefined {
  const due = ticksBetween(schedule.cron, schedule.timezone, lastTick, now);
  if (due.length === 0) return undefined;
  // A scan cut short at its limit resumes after its last tick on the next pass.
  const newest = due[due.length - 1];
  const onTime = now.getTime() - newest.getTime() <= toleranceMs;
  let fire: Date[];
  if (schedule.suspend) fire = [];
  else if (schedule.missedRunPolicy === 'Skip') fire = onTime ? [newest] : [];
  else if (schedule.missedRunPolicy === 'RunOnce') fire = [newest];
  else fire = due.slice(-schedule.catchUpLimit);
  if (schedule.concurrencyPolicy !== 'Allow') fire = fire.slice(-1);
  return { tick: newest, fire, skipped: due.length - fire.length };
}

function timezoneProblem(timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return undefined;
  } catch {
    return `is not a known IANA time zone: ${timezone}`;
  }
}

/** Problems with the schedules of a document (cron syntax, field count, time zone, duplicate names). */
export function scheduleProblems(document: FunctionDocument): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  (document.spec.schedules ?? []).forEach((schedule, index) => {
    const field = `spec.schedules[${index}]`;
    const fields = schedule.cron.trim().split(/\s+/).length;
    if (fields !== 5 && fields !== 6) problems.push({ field: `${field}.cron`, message: `must have five or six fields, not ${fields}` });
    else {
      try {
        CronExpressionParser.parse(schedule.cron, { tz: 'UTC' });
      } catch (thrown) {
        problems.push({ field: `${field}.cron`, message: `is not a valid cron expression: ${asError(thrown).message}` });
      }
    }
    const tzProblem = timezoneProblem(schedule.timezone);
    if (tzProblem) problems.push({ field: `${field}.timezone`, message: tzProblem });
    const id = scheduleId(schedule, index);
    if (seen.has(id)) problems.push({ field: `${field}.name`, message: `duplicates another schedule's name ${id}` });
    seen.add(id);
  });
  return problems;
}

/** Throws INVALID_SPEC naming the field when a schedule cannot run. */
export function validateSchedules(document: FunctionDocument): void {
  const problems = scheduleProblems(document);
  if (problems.length === 0) return;
  throw new PontoonError('INVALID_SPEC', `invalid spec: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, { problems });
}
