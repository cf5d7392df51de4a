import { Contract, messageOf, parseInputJson, stringifyResult } from './contract.js';
import { Context } from './context.js';
import { finish, type Outcome, type Parse } from './handler.js';

/** The input, parsed from JSON. Throws a ContractError if it cannot be read or parsed. */
export function getInput<T = unknown>(): T {
  return parseInputJson(new Contract().readInputJson()) as T;
}

/**
 * The input, checked or converted by `parse` (TypeScript types do not exist at run time, so the
 * type is a function: a validator, a schema's parse, or a class's factory).
 */
export function getInputAsJson<T>(parse: Parse<T>): T {
  return parse(getInput());
}

/** The context of this attempt, from the environment. */
export function context(): Context {
  return Context.fromEnv();
}

/** Writes the result as JSON and exits 0; a result that cannot be written is a failure (exit 1). */
export function done(result?: unknown): never {
  let outcome: Outcome;
  try {
    outcome = { ok: true, output: stringifyResult(result) };
  } catch (err) {
    outcome = { ok: false, error: messageOf(err) };
  }
  return finish(new Contract(), outcome);
}

/** Writes the failure message and exits 1. */
export function fail(message: string): never {
  return finish(new Contract(), { ok: false, error: message });
}
