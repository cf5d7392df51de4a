import type { AttemptReport } from '../../domain/execution.js';
import type { LogLine } from '../../store/store.js';
import type { ProgramOptions } from '../run-program.js';

/**
 * The messages between a local executor and its observer host, over the host's IPC channel.
 * Each attempt is named by `key`, its work dir's name (`<executionId>-<attempt>`).
 */

/** What the host needs to run one attempt: runProgram's options, as plain data. */
export type HostedProgram = Omit<ProgramOptions, 'deadline' | 'onLogs' | 'baseEnv'> & {
  /** The deadline in milliseconds since the epoch (a Date does not survive JSON). */
  deadlineMs: number;
};

/** Executor → host. */
export type HostCommand =
  /** Run this attempt's program; answered by `ended` (a program that cannot start reports StartFailed). */
  | { type: 'start'; key: string; program: HostedProgram }
  /** Stop it (TERM, grace, KILL); answered by `ended` without a report. */
  | { type: 'stop'; key: string };

/** Host → executor. */
export type HostEvent =
  /** The host listens: commands sent before this would be lost. */
  | { type: 'ready' }
  | { type: 'logs'; key: string; lines: LogLine[] }
  /** The attempt is over and its work dir is being removed; `report` is absent when it was stopped. */
  | { type: 'ended'; key: string; report?: AttemptReport };

/** Several events sent as one IPC message, so a burst costs one serialisation and one write. */
export type HostEventBatch = HostEvent[];
