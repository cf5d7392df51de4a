import type { AttemptReport } from '../domain/execution.js';
import { readAttemptFile } from './attempt-file.js';

/** How the program's process ended, as the observer saw it. */
export interface ProgramExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** What else the observer knows when it judges an exit. */
export interface ExitFacts {
  outputFile: string;
  errorFile: string;
  resultLimitBytes: number;
  /** The deadline passed and the program was signalled. */
  timedOut: boolean;
  /** spec.timeout as written, for the message. */
  timeout: string;
  /** The memory limit as written, when the kernel OOM-killed a process of the attempt. */
  oomKilledAt?: string;
  lastStderrLine: string;
}

/** Longest error message taken from the error file; the rest belongs in the logs. */
const errorMessageLimit = 4096;

/** Most bytes read from the error file: its start, with room for multi-byte characters. */
const errorFileLimit = 4 * errorMessageLimit;

/** Judges an exited program: status, reason, error and result of its attempt. */
export function reportExit(exit: ProgramExit, facts: ExitFacts): AttemptReport {
  const exitCode = exit.code;
  if (facts.timedOut) {
    return { status: 'timed_out', exitCode, reason: 'DeadlineExceeded', error: `exceeded its timeout of ${facts.timeout} and was stopped`, result: null };
  }
  if (facts.oomKilledAt !== undefined && !(exitCode === 0 && exit.signal === null)) {
    return { status: 'failed', exitCode, reason: 'OOMKilled', error: `memory limit ${facts.oomKilledAt} exceeded (OOMKilled)`, result: null };
  }
  if (exit.signal !== null) {
    return { status: 'failed', exitCode: null, reason: 'Error', error: withStderr(`killed by signal ${exit.signal}`, facts.lastStderrLine), result: null };
  }
  if (exitCode !== 0) {
    const message = readErrorFile(facts.errorFile) ?? withStderr(`exited with code ${exitCode}`, facts.lastStderrLine);
    return { status: 'failed', exitCode, reason: 'Error', error: message, result: null };
  }
  return readResult(facts.outputFile, facts.resultLimitBytes);
}

function withStderr(message: string, lastStderrLine: string): string {
  const line = lastStderrLine.trim();
  return line ? `${message}: ${line.slice(0, errorMessageLimit)}` : message;
}

/**
 * The message a failing program wrote to PONTOON_ERROR, if any. Only a regular file is read, and
 * only its start: a FIFO or a device there must not hold the observer (see readAttemptFile).
 */
function readErrorFile(path: string): string | undefined {
  const file = readAttemptFile(path, errorFileLimit, true);
  if (file.kind === 'refused') return `the error file $PONTOON_ERROR is ${file.what}, not a regular file: it was not read`;
  if (file.kind !== 'read') return undefined;
  const text = file.text.trim();
  return text ? text.slice(0, errorMessageLimit) : undefined;
}

/** The failure of an exited-0 attempt whose output path is not a regular file (`what`: a FIFO, …). */
export function refusedOutputMessage(what: string): string {
  return `the output $PONTOON_OUTPUT is ${what}, not a regular file: write the result as a regular file`;
}

/** The result of a program that exited 0: its output file as JSON, or null when it wrote none. */
function readResult(path: string, limitBytes: number): AttemptReport {
  const file = readAttemptFile(path, limitBytes);
  if (file.kind === 'absent') return succeeded(null);
  if (file.kind === 'too-large') {
    return { status: 'failed', exitCode: 0, reason: 'ResultTooLarge', error: `the result is ${file.bytes} bytes, more than the limit of ${limitBytes} bytes`, result: null };
  }
  if (file.kind === 'refused') {
    return { status: 'failed', exitCode: 0, reason: 'Error', error: refusedOutputMessage(file.what), result: null };
  }
  if (file.text.trim() === '') return succeeded(null);
  try {
    return succeeded(JSON.parse(file.text));
  } catch (thrown) {
    const why = thrown instanceof Error ? thrown.message : String(thrown);
    return { status: 'failed', exitCode: 0, reason: 'Error', error: `the output is not valid JSON: ${why}`, result: null };
  }
}

function succeeded(result: unknown): AttemptReport {
  return { status: 'succeeded', exitCode: 0, reason: null, error: null, result };
}
