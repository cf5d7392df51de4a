import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AttemptRef } from '../../store/store.js';

/**
 * Tokens that let one attempt's observer speak for that attempt only: an HMAC of its ref under
 * the controller's secret. Controllers sharing the secret (replicas of one deployment) accept
 * each other's tokens, so a report still lands after a leader change.
 */
export class AttemptTokens {
  constructor(private readonly secret: string) {
    if (secret.length < 16) throw new Error('the attempt token secret must be at least 16 characters');
  }

  /** The token of one attempt. */
  issue(ref: AttemptRef): string {
    return createHmac('sha256', this.secret).update(`${ref.executionId}/${ref.attempt}`).digest('base64url');
  }

  /** True when `token` was issued for this attempt. */
  verify(ref: AttemptRef, token: string): boolean {
    const expected = Buffer.from(this.issue(ref));
    const given = Buffer.from(token);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}
