import { PontoonApiError, PontoonUnreachableError } from '../client/index.js';

/** Exit codes of the CLI: 1 for any error or an execution that did not succeed, 2 when a wait ran out. */
export const exitCodes = { ok: 0, error: 1, waitExpired: 2 } as const;

/** A user error the CLI reports as one readable line (no stack), with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = exitCodes.error,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Coerces anything thrown into an Error, so every catch can read `.message`. */
export function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}

/**
 * Turns an error into the lines the CLI prints: the problem in one line (API code and message, or
 * why the server could not be reached), then the problems of a rejected spec one per line.
 */
export function describeError(thrown: unknown): string[] {
  const error = asError(thrown);
  if (error instanceof PontoonUnreachableError) {
    return [`cannot reach Pontoon at ${error.url} (${error.reason}): is \`pontoon up\` running?`];
  }
  if (error instanceof PontoonApiError) {
    const problems = problemLines(error.details);
    // The server's message repeats every problem in one line; the list below reads better alone.
    const summary = problems.length > 0 ? error.message.split(': ')[0] : error.message;
    return [`${error.code}: ${summary}`, ...problems, ...authHint(error)];
  }
  return [error.message];
}

/** What to do about an answer that refused the caller: where the CLI reads its token. */
function authHint(error: PontoonApiError): string[] {
  if (error.status === 401) return ['  the CLI sends the token in PONTOON_TOKEN, else the token: of ~/.config/pontoon/config.yaml (PONTOON_CONFIG names another file)'];
  if (error.status === 403 || error.code === 'NAMESPACE_NOT_FOUND') return ['  your token\'s roles do not cover this; an admin can grant them in the server\'s tokens file'];
  return [];
}

/** True for errors that are the user's to fix (so no stack trace is shown even in debug mode). */
export function isUserError(thrown: unknown): boolean {
  return thrown instanceof CliError || thrown instanceof PontoonApiError || thrown instanceof PontoonUnreachableError;
}

function problemLines(details: unknown): string[] {
  const problems = (details as { problems?: unknown } | undefined)?.problems;
  if (!Array.isArray(problems)) return [];
  return problems.map((problem: { field?: unknown; message?: unknown }) => `  - ${String(problem.field ?? '')}: ${String(problem.message ?? '')}`);
}
