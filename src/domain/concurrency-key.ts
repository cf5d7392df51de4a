import stringify from 'safe-stable-stringify';
import { PontoonError } from './errors.js';
import type { QueuePosition } from './priority.js';

/**
 * `spec.concurrency`: at most `limit` running executions per value of `key`, a JSON Pointer
 * (RFC 6901) into the execution's input, such as `/tenant` or `/customer/id`. A pointer, not an
 * expression language: it is checked on deploy, cannot run code, and reads the same in every
 * language a producer is written in.
 */
export interface ConcurrencySpec {
  key: string;
  limit: number;
}

/** A JSON Pointer naming at least one member: `/a`, `/a/0`, `/a~1b` (for `a/b`), `/a~0b` (for `a~b`). */
export const concurrencyKeyPattern = '^(/([^/~]|~[01])*)+$';

/** Bounds of `spec.concurrency`, checked on deploy. */
export const concurrencyBounds = {
  limit: { minimum: 1, maximum: 10_000 },
  /** Longest pointer. */
  keyLength: 256,
} as const;

/** Longest key value an input may give; a longer one is refused at invocation, not cut (two would collide). */
export const maxConcurrencyKeyValueLength = 256;

/** The members a pointer names, unescaped (`~1` is `/`, `~0` is `~`, in that order per RFC 6901). */
function tokensOf(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/**
 * The concurrency key of an input: the value the pointer names, a string as it is and any other
 * JSON value as its canonical JSON text (so `7` and `"7"` differ). Null when the input has no such
 * member: those executions share one key of their own. Throws INVALID_INPUT for a value longer
 * than maxConcurrencyKeyValueLength.
 */
export function concurrencyKeyOf(pointer: string, input: unknown): string | null {
  let value: unknown = input;
  for (const token of tokensOf(pointer)) {
    if (Array.isArray(value) && /^(0|[1-9][0-9]*)$/.test(token) && Number(token) < value.length) value = value[Number(token)];
    else if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, token)) value = (value as Record<string, unknown>)[token];
    else return null;
  }
  if (value === null || value === undefined) return null;
  const key = typeof value === 'string' ? value : stringify(value);
  if (key.length > maxConcurrencyKeyValueLength) {
    throw new PontoonError('INVALID_INPUT', `the input's concurrency key at ${pointer} is ${key.length} characters long; at most ${maxConcurrencyKeyValueLength}`, {
      field: `input${pointer}`,
      limit: maxConcurrencyKeyValueLength,
    });
  }
  return key;
}

/** A ready execution of a function with a concurrency key, in its function's queue order. */
export interface KeyedCandidate extends QueuePosition {
  key: string | null;
}

/**
 * Which of a function's ready executions start, and in what order, under `limit` running per key:
 * at most `take`. Within a priority, an execution's turn is the number of its key's executions
 * running or picked before it, so a key with nothing running goes before one that has work running
 * and keys take turns one execution at a time (round robin), older keys first at equal turn. A key
 * at its limit is skipped, never waited on. Pure: the stores call it inside their claim
 * transaction, with the running counts read under the same lock.
 */
export function pickByConcurrencyKey<C extends KeyedCandidate>(
  candidates: readonly C[],
  running: ReadonlyMap<string | null, number>,
  limit: number,
  take: number,
): C[] {
  const sorted = [...candidates].sort((a, b) => b.priority - a.priority || a.sequence - b.sequence);
  const picked = new Map<string | null, number>();
  const turns: { candidate: C; turn: number }[] = [];
  for (const candidate of sorted) {
    const before = (running.get(candidate.key) ?? 0) + (picked.get(candidate.key) ?? 0);
    if (before >= limit) continue;
    picked.set(candidate.key, (picked.get(candidate.key) ?? 0) + 1);
    turns.push({ candidate, turn: before });
  }
  return turns
    .sort((a, b) => b.candidate.priority - a.candidate.priority || a.turn - b.turn || a.candidate.sequence - b.candidate.sequence)
    .slice(0, Math.max(0, take))
    .map((entry) => entry.candidate);
}
