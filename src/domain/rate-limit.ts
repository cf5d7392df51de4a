import { durationMs } from './duration.js';

/** `spec.rateLimit`: at most `limit` attempts of the function start in any window of `period`. */
export interface RateLimit {
  limit: number;
  period: string;
}

/** Bounds of `spec.rateLimit`, checked on deploy. */
export const rateLimitBounds = {
  limit: { minimum: 1, maximum: 100_000 },
  /** Shorter than 100 ms is below what a claim's round trips resolve; longer than a day is a schedule. */
  period: { min: '100ms', max: '1d' },
} as const;

/**
 * The sliding window a claim at `now` counts: starts strictly after `now - period`. A claim that
 * counts every start committed before it in that window keeps every window [t, t + period) at or
 * under the limit, even when controllers' clocks or commit order disagree: the last start of any
 * window to commit saw all the others, being within one period of it.
 */
export function rateWindowStart(now: string, periodMs: number): string {
  return new Date(Date.parse(now) - periodMs).toISOString();
}

/** How many more attempts may start now, given the starts already counted in the window. */
export function rateAllowance(limit: number, startedInWindow: number): number {
  return Math.max(0, limit - startedInWindow);
}

/** When the oldest start still in the window leaves it, and with it a start is allowed again. */
export function rateSlotFreesAt(oldestStartInWindow: string, periodMs: number): string {
  return new Date(Date.parse(oldestStartInWindow) + periodMs).toISOString();
}

/** The period of a validated rate limit, in milliseconds. */
export function ratePeriodMs(rateLimit: RateLimit): number {
  return durationMs(rateLimit.period);
}
