/**
 * The messages between the SQLite store's thread (store-thread.ts) and its proxy on the server's
 * main thread (threaded-store.ts), and how an error crosses between them with its class.
 */
import Database from 'better-sqlite3';
import { PontoonError, type ErrorCode } from '../../domain/errors.js';
import type { Store, StoredPackage } from '../store.js';
import type { SqliteStoreOptions } from './sqlite-store.js';

/** The Store operations the thread runs: all of the port but close (which ends the thread) and onWake (one controller, nothing to hear). */
export const threadOperations = [
  'putFunction',
  'getFunction',
  'listFunctions',
  'putPackage',
  'getPackage',
  'hasPackage',
  'deleteFunction',
  'enqueueExecutions',
  'getExecution',
  'listExecutions',
  'claimExecutions',
  'claimFunctionExecutions',
  'completeAttempts',
  'completeAndClaimFunction',
  'enqueueAndClaimFunction',
  'renewLeases',
  'adoptAttempts',
  'listExpiredAttempts',
  'completeAttempt',
  'completeAndClaim',
  'recordLateReport',
  'cancelExecution',
  'appendLogs',
  'readLogs',
  'countExecutions',
  'functionStats',
  'executionSeries',
  'queueStats',
  'nextStartAt',
  'functionLoad',
  'listScheduleStates',
  'advanceSchedule',
  'putRule',
  'getRule',
  'listRules',
  'deleteRule',
  'listUnnotifiedExecutions',
  'notifyExecutions',
  'claimDeliveries',
  'settleDelivery',
  'listDeliveries',
] as const satisfies readonly (keyof Store)[];

/** One Store operation run on the thread. */
export type ThreadOperation = (typeof threadOperations)[number];

// Fails to compile when the port gains an operation the list above lacks.
type Unlisted = Exclude<keyof Store, ThreadOperation | 'close' | 'onWake'>;
const everyOperationListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyOperationListed;

/** What threaded-store.ts hands the thread: the options of openSqliteStore. */
export type StoreThreadData = SqliteStoreOptions;

/** Main thread to store thread: run `operation` (or close the store) and answer with this id. Positional, to keep each clone small. */
export type ThreadCall = [id: number, operation: ThreadOperation | 'close', args: unknown[]];

/** Store thread to main thread: the store is open (id 0, before any answer), or the answer to one call. */
export type ThreadAnswer = [id: number, value: unknown] | [id: number, value: undefined, error: EncodedError];

/** An error as it crosses the thread boundary: enough to rebuild the class callers check for. */
export type EncodedError =
  | { kind: 'pontoon'; code: ErrorCode; message: string; details: unknown; stack?: string }
  | { kind: 'sqlite'; code: string; message: string; stack?: string }
  | { kind: 'error'; name: string; message: string; stack?: string };

/** Encodes what a store operation threw; PontoonError keeps its code and details, SqliteError its code. */
export function encodeError(thrown: unknown): EncodedError {
  if (thrown instanceof PontoonError) return { kind: 'pontoon', code: thrown.code, message: thrown.message, details: thrown.details, stack: thrown.stack };
  if (thrown instanceof Database.SqliteError) return { kind: 'sqlite', code: thrown.code, message: thrown.message, stack: thrown.stack };
  if (thrown instanceof Error) return { kind: 'error', name: thrown.name, message: thrown.message, stack: thrown.stack };
  return { kind: 'error', name: 'Error', message: String(thrown) };
}

/** Rebuilds an encoded error as an instance of its class; its stack is the store thread's, where it was thrown. */
export function decodeError(encoded: EncodedError): Error {
  const error =
    encoded.kind === 'pontoon'
      ? new PontoonError(encoded.code, encoded.message, encoded.details)
      : encoded.kind === 'sqlite'
        ? new Database.SqliteError(encoded.message, encoded.code)
        : Object.assign(new Error(encoded.message), { name: encoded.name });
  if (encoded.stack) error.stack = encoded.stack;
  return error;
}

/** The package with its archive as a Buffer again: a Buffer crosses the boundary as a plain Uint8Array. */
export function asPackage(stored: StoredPackage): StoredPackage {
  const bytes = stored.archive as Uint8Array;
  return { ...stored, archive: Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}
