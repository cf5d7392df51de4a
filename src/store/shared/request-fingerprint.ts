import { createHash } from 'node:crypto';
import { configure } from 'safe-stable-stringify';
import type { NewExecution } from '../store.js';

// Sorted keys, so that `{"a":1,"b":2}` and `{"b":2,"a":1}` (or the same input sent as YAML) are
// one request; strict, so that a value JSON cannot carry fails loudly instead of hashing as null.
const canonicalJson = configure({ deterministic: true, strict: true, circularValue: Error });

/**
 * A digest of what an invocation asked for: its input, its priority override and its callback
 * URL. Stored with an execution that has an idempotency key, so that a repeat of the key can be
 * told apart from a different request that reuses it (the IETF Idempotency-Key draft and Stripe
 * refuse the latter). `wait` is not part of it: a client re-attaches with a new wait.
 */
export function requestFingerprint(request: Pick<NewExecution, 'input' | 'priority' | 'callbackUrl'>): string {
  const text = canonicalJson([request.input ?? null, request.priority ?? null, request.callbackUrl ?? null]);
  return `sha256:${createHash('sha256').update(text).digest('base64url')}`;
}

/**
 * Whether a request matches the fingerprint stored with the execution its idempotency key found.
 * Executions stored before fingerprints were (migration 3) have none: they match any request.
 */
export function matchesFingerprint(stored: string | null, request: Pick<NewExecution, 'input' | 'priority' | 'callbackUrl'>): boolean {
  return stored === null || stored === requestFingerprint(request);
}
