import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import type { AttemptReport } from '../domain/execution.js';

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

/** The message a failing program wrote to PONTOON_ERROR, if any. */
function readErrorFile(path: string): string | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return text ? text.slice(0, errorMessageLimit) : undefined;
  } catch {
    return undefined;
  }
}

/** The result of a program that exited 0: its output file as JSON, or null when it wrote none. */
function readResult(path: string, limitBytes: number): AttemptReport {
  // Most programs write no result: asking first spares the exception a failed open would throw.
  if (!statSync(path, { throwIfNoEntry: false })) return succeeded(null);
  let text: string;
  try {
    const fd = openSync(path, 'r');
    try {
      // Size first, so an enormous output is refused without being read into memory.
      const size = fstatSync(fd).size;
      if (size > limitBytes) {
        return { status: 'failed', exitCode: 0, reason: 'ResultTooLarge', error: `the result is ${size} bytes, more than the limit of ${limitBytes} bytes`, result: null };
      }
      const buffer = Buffer.alloc(size);
      let read = 0;
      while (read < size) {
        const n = readSync(fd, buffer, read, size - read, read);
        if (n === 0) break;
        read += n;
      }
      text = buffer.subarray(0, read).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch (thrown) {
    if ((thrown as NodeJS.ErrnoException).code === 'ENOENT') return succeeded(null);
    throw thrown;
  }
  if (text.trim() === '') return succeeded(null);
  try {
    return succeeded(JSON.parse(text));
  } catch (thrown) {
    const why = thrown instanceof Error ? thrown.message : String(thrown);
    return { status: 'failed', exitCode: 0, reason: 'Error', error: `the output is not valid JSON: ${why}`, result: null };
  }
}

function succeeded(result: unknown): AttemptReport {
  return { status: 'succeeded', exitCode: 0, reason: null, error: null, result };
}
