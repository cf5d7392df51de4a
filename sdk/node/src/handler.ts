import { Contract, messageOf, parseInputJson, stringifyResult } from './contract.js';
import { Context } from './context.js';

/**
 * A function in handler form: takes the input and the context, returns (or resolves to) the
 * result. A thrown error is a failure with its message. May be called many times per process.
 */
export type Handler<I = unknown, O = unknown> = (input: I, ctx: Context) => O | Promise<O>;

/** Turns parsed JSON into the handler's input type, throwing if it does not fit. */
export type Parse<I> = (value: unknown) => I;

/** How one call of a handler ended: the result as JSON text, or a failure message. */
export type Outcome = { ok: true; output: string } | { ok: false; error: string };

/**
 * Calls a handler with input JSON text. Never rejects: bad input, a thrown error and a result that
 * is not JSON all become failures; a thrown error's stack is logged through the context's logger.
 */
export async function invoke<I, O>(
  handler: Handler<I, O>,
  inputJson: string,
  ctx: Context,
  parse?: Parse<I>,
): Promise<Outcome> {
  let input: I;
  try {
    const value = parseInputJson(inputJson);
    input = parse ? parse(value) : (value as I);
  } catch (err) {
    return { ok: false, error: messageOf(err) };
  }
  let result: O;
  try {
    result = await handler(input, ctx);
  } catch (err) {
    ctx.logger.error(err instanceof Error && err.stack ? err.stack : messageOf(err));
    return { ok: false, error: messageOf(err) };
  }
  try {
    return { ok: true, output: stringifyResult(result) };
  } catch (err) {
    return { ok: false, error: messageOf(err) };
  }
}

/** Options of {@link serve}. */
export interface ServeOptions<I> {
  /** Checks or converts the parsed input before the handler sees it. */
  parse?: Parse<I>;
}

/** Reads this process's input, runs the handler, writes its result or failure, and exits (0 or 1). */
export async function serve<I, O>(handler: Handler<I, O>, options: ServeOptions<I> = {}): Promise<never> {
  const contract = new Contract();
  let outcome: Outcome;
  try {
    outcome = await invoke(handler, contract.readInputJson(), Context.fromEnv(), options.parse);
  } catch (err) {
    outcome = { ok: false, error: messageOf(err) };
  }
  return finish(contract, outcome);
}

/** Writes an outcome through the contract and exits; a result that cannot be written fails. */
export function finish(contract: Contract, outcome: Outcome): never {
  if (outcome.ok) {
    try {
      contract.writeOutputJson(outcome.output);
      return exit(0);
    } catch (err) {
      outcome = { ok: false, error: messageOf(err) };
    }
  }
  try {
    contract.writeError(outcome.error);
  } catch {
    // The error file is unwritable; the message still reaches the logs and the exit code fails.
    process.stderr.write(`${outcome.error}\n`);
  }
  return exit(1);
}

// Writes to stdout and stderr are synchronous on Linux pipes and files, so exiting loses no log line.
function exit(code: number): never {
  process.exit(code);
}
