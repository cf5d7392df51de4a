import type { AttemptCompletion } from '../store.js';
import { applyCompletion } from './complete-attempt.js';
import { writeTransaction, type Db } from './connection.js';

/**
 * Settles a batch of attempts in one write transaction, each fenced as completeAttempt fences it:
 * one commit (one WAL append) for the batch a replica posts, instead of one per attempt.
 */
export function completeAttempts(db: Db, completions: AttemptCompletion[]): boolean[] {
  if (completions.length === 0) return [];
  return writeTransaction(db, () => completions.map((completion) => applyCompletion(db, completion)));
}
