// The Pontoon SDK for TypeScript: the watcher API (getInput, done, fail), the context, and the
// handler form (serve for one execution per process, invoke for a warm replica's many).
//
// One module on purpose: every extra module Node's ES module loader resolves and reads before the
// function's first line costs start-up time, and the SDK is on that path for every attempt.
// Merging the six modules it had saved ~17M instructions and ~200 system calls per start
// (valgrind and strace; the handler form's median first line moved 8-13 ms closer to a bare
// `node -e` in three runs of four on the 2-core dev VM).
//
// Node's built-in modules are taken with process.getBuiltinModule, not imported: an ES module
// import of node:fs enumerates its exports, whose ReadStream getter loads all of node:stream,
// and the three imports cost a handler's start ~3-4 ms (Node 20, cpu profiles of the import).
const { readFileSync, realpathSync, writeFileSync } = process.getBuiltinModule('node:fs') as typeof import('node:fs');
const { fileURLToPath, pathToFileURL } = process.getBuiltinModule('node:url') as typeof import('node:url');
const { format } = process.getBuiltinModule('node:util') as typeof import('node:util');

// ---- The function contract: environment, input, result and failure files ----

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
  /** W3C trace context of the attempt's span, when the execution has a trace. */
  traceparent: 'TRACEPARENT',
  tracestate: 'TRACESTATE',
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

// ---- Logging ----

/** Writes plain log lines with a level prefix; the observer timestamps them. */
export class Logger {
  /** A logger over two writers: debug and info go to `out`, warn and error to `err`. */
  constructor(
    private readonly out: (text: string) => void = (text) => process.stdout.write(text),
    private readonly err: (text: string) => void = (text) => process.stderr.write(text),
  ) {}

  /** Logs at debug level; arguments are formatted like console.log. */
  debug(message: unknown, ...args: unknown[]): void {
    this.out(lines('DEBUG', message, args));
  }

  /** Logs at info level. */
  info(message: unknown, ...args: unknown[]): void {
    this.out(lines('INFO', message, args));
  }

  /** Logs at warn level. */
  warn(message: unknown, ...args: unknown[]): void {
    this.err(lines('WARN', message, args));
  }

  /** Logs at error level. */
  error(message: unknown, ...args: unknown[]): void {
    this.err(lines('ERROR', message, args));
  }
}

// Each physical line carries the level, because the observer splits logs into lines.
function lines(level: string, message: unknown, args: unknown[]): string {
  return format(message, ...args)
    .split(/\r?\n/)
    .map((line) => `[${level}] ${line}\n`)
    .join('');
}

// ---- The context of an attempt ----

/** The values a context is built from (a warm replica builds one per execution). */
export interface ContextInit {
  executionId: string;
  attempt: number;
  function: string;
  namespace: string;
  version: string;
  deadline?: Date;
  /** The W3C traceparent of the attempt's span; a malformed one is ignored. */
  traceparent?: string;
  tracestate?: string;
  logger?: Logger;
  /** The clock, for tests; defaults to `Date.now`. */
  now?: () => number;
}

/** What an attempt knows about itself: ids, attempt number, deadline and a logger. */
export class Context {
  /** The execution id. */
  readonly executionId: string;
  /** The attempt number, from 1. */
  readonly attempt: number;
  /** The function's name. */
  readonly function: string;
  /** The function's namespace. */
  readonly namespace: string;
  /** The function's version. */
  readonly version: string;
  /** When the attempt will be stopped; undefined outside Pontoon. */
  readonly deadline: Date | undefined;
  /**
   * The W3C traceparent of this attempt's span (`00-<trace id>-<span id>-<flags>`): start your own
   * spans under it to join the execution's trace. Undefined when the execution has no trace.
   */
  readonly traceparent: string | undefined;
  /** The W3C tracestate that goes with traceparent, when the caller sent one. */
  readonly tracestate: string | undefined;
  /** The trace id (32 hex digits) of traceparent; undefined without one. */
  readonly traceId: string | undefined;
  /** The logger for this attempt. */
  readonly logger: Logger;
  private readonly now: () => number;

  constructor(init: ContextInit) {
    this.executionId = init.executionId;
    this.attempt = init.attempt;
    this.function = init.function;
    this.namespace = init.namespace;
    this.version = init.version;
    this.deadline = init.deadline;
    const trace = parseTraceparent(init.traceparent);
    this.traceparent = trace && init.traceparent!.trim();
    this.tracestate = trace && init.tracestate?.trim() ? init.tracestate.trim() : undefined;
    this.traceId = trace?.traceId;
    this.logger = init.logger ?? new Logger();
    this.now = init.now ?? Date.now;
  }

  /** The context an environment describes; missing values are empty, attempt defaults to 1. */
  static fromEnv(env: Env = process.env, options: { logger?: Logger; now?: () => number } = {}): Context {
    return new Context({
      executionId: env[ENV.executionId] ?? '',
      attempt: parseAttempt(env[ENV.attempt]),
      function: env[ENV.function] ?? '',
      namespace: env[ENV.namespace] ?? '',
      version: env[ENV.version] ?? '',
      deadline: parseDeadline(env[ENV.deadline]),
      traceparent: env[ENV.traceparent],
      tracestate: env[ENV.tracestate],
      ...options,
    });
  }

  /** Milliseconds left before the deadline (0 once past it), or Infinity without one. */
  remainingMs(): number {
    if (this.deadline === undefined) return Infinity;
    return Math.max(0, this.deadline.getTime() - this.now());
  }
}

const traceparentFormat = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** The ids of a W3C traceparent, or undefined when it is malformed (as the recommendation says, ignored then). */
function parseTraceparent(value: string | undefined): { traceId: string; spanId: string } | undefined {
  const match = traceparentFormat.exec(value?.trim() ?? '');
  if (!match) return undefined;
  const [, version, traceId, spanId, , rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined) || /^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId };
}

function parseAttempt(value: string | undefined): number {
  const attempt = Number.parseInt(value ?? '', 10);
  return Number.isInteger(attempt) && attempt >= 1 ? attempt : 1;
}

function parseDeadline(value: string | undefined): Date | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const deadline = new Date(value.trim());
  if (Number.isNaN(deadline.getTime())) {
    throw new ContractError(`${ENV.deadline} is not an ISO 8601 timestamp: ${value}`);
  }
  return deadline;
}

// ---- The handler form ----

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
  let value: unknown;
  try {
    value = parseInputJson(inputJson);
  } catch (err) {
    return { ok: false, error: messageOf(err) };
  }
  return invokeValue(handler, value, ctx, parse);
}

/** {@link invoke} with the input already parsed from JSON (a warm replica gets it so). Never rejects. */
export async function invokeValue<I, O>(handler: Handler<I, O>, value: unknown, ctx: Context, parse?: Parse<I>): Promise<Outcome> {
  let input: I;
  try {
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

/**
 * Reads this process's input, runs the handler, writes its result or failure, and exits (0 or 1).
 * Started as a warm replica (PONTOON_RUNTIME_API set), serves invocations until drained instead.
 */
export async function serve<I, O>(handler: Handler<I, O>, options: ServeOptions<I> = {}): Promise<never> {
  if (process.env[RUNTIME_API]) return (await import('./replica.js')).serveReplica(handler, options);
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

// ---- The watcher API ----

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

// ---- The handler runner ----

/** Set when the process is a warm replica: the runtime API's host:port (see replica.ts). */
const RUNTIME_API = 'PONTOON_RUNTIME_API';

/** A handler that cannot be served fails its attempt, or, in a replica, the replica's start. */
async function failToStart(message: string): Promise<never> {
  if (process.env[RUNTIME_API]) return (await import('./replica.js')).initFailedFromEnv(message);
  return fail(message);
}

/**
 * Runs the handler a module exports as this process's function, then exits: `exportName` names
 * the function, either a named export or a property of the default export. `label` names the
 * handler in the failure message when there is no such function (the module path otherwise).
 */
export async function serveModule(file: string, exportName: string, label = file): Promise<never> {
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const fromDefault = (module.default as Record<string, unknown> | undefined)?.[exportName];
  const handler = module[exportName] ?? fromDefault;
  if (typeof handler !== 'function') return failToStart(`handler ${label}: the module exports no function ${exportName}`);
  return serve(handler as Handler<unknown, unknown>);
}

/**
 * Run as the program (`node <this file> <module file> <export name> [label]`), this module is the
 * handler runner that Pontoon's node runtime starts. A bootstrap file importing it would be one
 * more module for Node's loader to resolve before the function's first line: ~2 ms of every start.
 */
function isMainModule(): boolean {
  const main = process.argv[1];
  if (!main) return false;
  try {
    return realpathSync.native(main) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isMainModule()) {
  const [file, exportName, label] = process.argv.slice(2);
  if (!file || !exportName) fail('usage: node <@pontoon/sdk index.js> <module file> <export name> [label]');
  // Not awaited at the top level: a function importing '@pontoon/sdk' imports this very module,
  // which must finish evaluating first. A module that cannot load fails the attempt with why.
  serveModule(file, exportName, label).catch((err: unknown) => {
    console.error(err);
    return failToStart(messageOf(err));
  });
}
