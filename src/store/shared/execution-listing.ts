import { PontoonError } from '../../domain/errors.js';
import type { StatusCounts } from '../store.js';

/**
 * A cursor is the seq of the last execution of a page, base64url-encoded so callers treat it as
 * opaque. Both stores write the same form, so a cursor survives a switch of store.
 */
export function encodeCursor(seq: number): string {
  return Buffer.from(`seq:${seq}`).toString('base64url');
}

/** The seq a cursor from encodeCursor names; INVALID_REQUEST for anything else. */
export function decodeCursor(cursor: string): number {
  const match = /^seq:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) throw new PontoonError('INVALID_REQUEST', 'invalid cursor; pass the nextCursor of a previous page', { cursor });
  return Number(match[1]);
}

/** Every status, at zero. */
export function zeroCounts(): StatusCounts {
  return { queued: 0, running: 0, succeeded: 0, failed: 0, timed_out: 0, cancelled: 0 };
}
