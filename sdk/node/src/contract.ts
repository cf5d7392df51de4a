import { readFileSync, writeFileSync } from 'node:fs';

/** The environment variables of the function contract. */
export const ENV = {
  input: 'PONTOON_INPUT',
  output: 'PONTOON_OUTPUT',
  error: 'PONTOON_ERROR',
  executionId: 'PONTOON_EXECUTION_ID',
  attempt: 'PONTOON_ATTEMPT',
  function: 'PONTOON_FUNCTION',
  namespace: 'PONTOON_NAMESPACE',
  version: 'PONTOON_VERSION',
  deadline: 'PONTOON_DEADLINE',
} as const;

/** An environment as `process.env` has it. */
export type Env = Record<string, string | undefined>;

/** Where a result or failure goes when the program runs outside Pontoon (no output/error file). */
export interface Streams {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processStreams: Streams = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Thrown when the contract cannot be honoured: an unreadable input, a result that is not JSON. */
export class ContractError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ContractError';
  }
}

/**
 * The file side of the function contract over one environment: where the input is read and where
 * the result or the failure message is written. It never exits, so it can be tested in-process.
 */
export class Contract {
  /** A contract over an explicit environment (defaults to this process's). */
  constructor(
    readonly env: Env = process.env,
    private readonly streams: Streams = processStreams,
  ) {}

  /** The input as JSON text; `null` when the program runs outside Pontoon (no PONTOON_INPUT). */
  readInputJson(): string {
    const path = this.env[ENV.input];
    if (!path) return 'null';
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new ContractError(`cannot read the input file ${path} (${ENV.input}): ${messageOf(err)}`, { cause: err });
    }
  }

  /** Writes the result JSON text to PONTOON_OUTPUT, or prints it when there is none. */
  writeOutputJson(json: string): void {
    this.write(ENV.output, json, this.streams.out);
  }

  /** Writes the failure message to PONTOON_ERROR, or prints it when there is none. */
  writeError(message: string): void {
    this.write(ENV.error, message, this.streams.err);
  }

  private write(name: string, text: string, fallback: (text: string) => void): void {
    const path = this.env[name];
    if (!path) {
      fallback(`${text}\n`);
      return;
    }
    try {
      writeFileSync(path, text, 'utf8');
    } catch (err) {
      throw new ContractError(`cannot write ${path} (${name}): ${messageOf(err)}`, { cause: err });
    }
  }
}

/** Parses input JSON text; an empty text is null. */
export function parseInputJson(text: string): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ContractError(`input is not valid JSON: ${messageOf(err)}`, { cause: err });
  }
}

/** Serializes a result to JSON text; `undefined` becomes `null`. */
export function stringifyResult(value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new ContractError(`result is not JSON-serializable: ${messageOf(err)}`, { cause: err });
  }
  return json === undefined ? 'null' : json;
}

/** The message a failure carries: the error's own message, else its name or text. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === 'string' && err !== '') return err;
  return String(err);
}
