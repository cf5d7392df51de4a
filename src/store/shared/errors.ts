import { PontoonError } from '../../domain/errors.js';
import type { AttemptRef } from '../store.js';

/** An enqueue named a function that is not deployed (or was deleted). */
export function functionNotFound(namespace: string, name: string): PontoonError {
  return new PontoonError('FUNCTION_NOT_FOUND', `function ${namespace}/${name} not found; deploy it first`, { namespace, name });
}

/** A report or log line named an attempt that does not exist. */
export function attemptNotFound(ref: AttemptRef): PontoonError {
  return new PontoonError('EXECUTION_NOT_FOUND', `attempt ${ref.attempt} of execution ${ref.executionId} not found`, { ...ref });
}

/** Why the queued executions of a deleted function ended (their `error`). */
export function deletedFunctionError(namespace: string, name: string): string {
  return `cancelled: function ${namespace}/${name} was deleted`;
}
