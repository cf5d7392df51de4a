import { asError } from '../domain/errors.js';
import { parseMemory } from '../domain/quantity.js';

/** Calls an AttemptSink method without letting its failure break an executor's bookkeeping. */
export function deliverToSink(call: () => void): void {
  try {
    call();
  } catch (thrown) {
    process.emitWarning(`attempt sink failed: ${asError(thrown).message}`);
  }
}

/** A byte limit the function declares (`spec.limits.logs`, `spec.limits.result`), else the executor's default. */
export function byteLimit(declared: string | undefined, fallback: number): number {
  return (declared === undefined ? undefined : parseMemory(declared)) ?? fallback;
}
