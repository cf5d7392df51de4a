import { PontoonError } from '../../domain/errors.js';
import type { StatusCounts } from '../store.js';

/**
 * A cursor is the seq of the last execution of a page: its 8 bytes, big-endian, base64url-encoded,
 * so callers treat it as opaque. Both stores write the same form, so a cursor survives a switch of
 * store. The fixed width makes the set of cursors a pattern the API documents exactly: every
 * string that matches is a cursor (an unknown seq is simply a page boundary).
 */
export function encodeCursor(seq: number): string {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(seq));
  return bytes.toString('base64url');
}

/** Every cursor encodeCursor writes, and nothing else: 64 bits are ten base64url digits and one holding 4 bits. */
export const cursorPattern = '^[A-Za-z0-9_-]{10}[AEIMQUYcgkosw048]$';
const cursorExpression = new RegExp(cursorPattern);

/** The seq a cursor from encodeCursor names; INVALID_REQUEST for anything else. */
export function decodeCursor(cursor: string): number {
  if (!cursorExpression.test(cursor)) throw new PontoonError('INVALID_REQUEST', 'invalid cursor; pass the nextCursor of a previous page', { cursor });
  const seq = Buffer.from(cursor, 'base64url').readBigUInt64BE();
  return seq > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(seq);
}

/** Every status, at zero. */
export function zeroCounts(): StatusCounts {
  return { queued: 0, running: 0, succeeded: 0, failed: 0, timed_out: 0, cancelled: 0 };
}
