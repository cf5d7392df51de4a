/** What every system under test offers the workloads: the same operations, each system's own way. */

/** One fresh instance of a system (empty queue, workers running), for one workload of one round. */
export interface Session {
  /** Inserts `count` jobs in bulk (each system's batch insert), resolving once all are acknowledged. */
  insertMany(count: number): Promise<void>;
  /** Submits one job; resolves with its id once the system acknowledged it. */
  submitOne(): Promise<string>;
  /** Submits one job and resolves with its id once it has finished. */
  runOne(): Promise<string>;
  /** Jobs submitted and not yet finished, as the system has durably recorded them. */
  remaining(): Promise<number>;
  /** When each job started (epoch ms), from the system's own records; absent when it has not. */
  startTimes(ids: string[]): Promise<Map<string, number>>;
  /** CPU time its own processes have used so far, in ms, by part. */
  cpuMs(): CpuByPart;
  close(): Promise<void>;
}

/**
 * A system's CPU time by part: `server` takes and settles jobs (Pontoon's server, a peer's worker
 * process), `functions` are the processes jobs run in apart from it (Pontoon's replicas or
 * per-execution processes; a peer runs them in its worker), `store` is the database server
 * (PostgreSQL, Redis; SQLite runs in Pontoon's server).
 */
export interface CpuByPart {
  server: number;
  functions: number;
  store: number;
}

/** What a workload will ask of a session, so systems keep no bookkeeping nobody reads. */
export interface SessionNeeds {
  /** startTimes() will be called. */
  startTimes: boolean;
  /** runOne() will be called. */
  completions: boolean;
}

/** A system under test. */
export interface System {
  /** Short key used in the report, e.g. `pontoon-sqlite-cold`. */
  key: string;
  /** One line: what runs and how. */
  description: string;
  /** Whether it is one of Pontoon's variants (reported as ratios to the best peer). */
  pontoon: boolean;
  /** How its submit-to-start is measured, for the report. */
  startMeasuredBy: string;
  /** Starts a fresh instance with `concurrency` jobs at once in total. */
  open(concurrency: number, needs: SessionNeeds): Promise<Session>;
}

/** Thrown by `open` when a system cannot run here (e.g. warm replicas before they are built). */
export class NotAvailable extends Error {}
