import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AttemptRef } from '../../store/store.js';

/**
 * Tokens that let one attempt's observer speak for that attempt only: an HMAC of its ref under
 * the controller's secret. Controllers sharing the secret (replicas of one deployment) accept
 * each other's tokens, so a report still lands after a leader change.
 */
export class AttemptTokens {
  /** Tokens of adopted attempts, issued by a previous run of the controller under its own secret. */
  private readonly adopted = new Map<string, string>();

  constructor(private readonly secret: string) {
    if (secret.length < 16) throw new Error('the attempt token secret must be at least 16 characters');
  }

  /** The token of one attempt. */
  issue(ref: AttemptRef): string {
    return createHmac('sha256', this.secret).update(`${ref.executionId}/${ref.attempt}`).digest('base64url');
  }

  /**
   * Accepts `token` for an adopted attempt as well: the one its Job carries, issued by the run of
   * the controller that started it, whose secret may have been a random one of its own.
   */
  adopt(ref: AttemptRef, token: string): void {
    this.adopted.set(keyOf(ref), token);
  }

  /** Forgets an adopted attempt's token once the attempt is over. */
  forget(ref: AttemptRef): void {
    this.adopted.delete(keyOf(ref));
  }

  /** True when `token` was issued for this attempt. */
  verify(ref: AttemptRef, token: string): boolean {
    const adopted = this.adopted.get(keyOf(ref));
    return same(this.issue(ref), token) || (adopted !== undefined && same(adopted, token));
  }
}

const keyOf = (ref: AttemptRef) => `${ref.executionId}#${ref.attempt}`;

function same(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
