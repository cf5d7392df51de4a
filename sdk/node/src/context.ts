import { ContractError, ENV, type Env } from './contract.js';
import { Logger } from './logger.js';

/** The values a context is built from (a warm replica builds one per execution). */
export interface ContextInit {
  executionId: string;
  attempt: number;
  function: string;
  namespace: string;
  version: string;
  deadline?: Date;
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
      ...options,
    });
  }

  /** Milliseconds left before the deadline (0 once past it), or Infinity without one. */
  remainingMs(): number {
    if (this.deadline === undefined) return Infinity;
    return Math.max(0, this.deadline.getTime() - this.now());
  }
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
