import { startCheckpointer, type StopCheckpointer } from './checkpointer.js';
import type { AttemptReport, Execution, ExecutionStatus } from '../../domain/execution.js';
import type { FunctionDocument, FunctionVersion } from '../../domain/function-spec.js';
import type {
  Adoption,
  AttemptCompletion,
  AttemptRef,
  ClaimedAttempt,
  ClaimOptions,
  FunctionClaimOptions,
  Enqueued,
  ExecutionPage,
  ExecutionQuery,
  LogLine,
  NewExecution,
  OrphanedAttempt,
  StatusCounts,
  QueueStats,
  Store,
  StoredLogLine,
  FunctionStats,
  SeriesBucket,
  SeriesQuery,
  TimeWindow,
} from '../store.js';
import type {
  PackageInfo,
  StoredPackage,
  Delivery,
  DeliveryOutcome,
  DeliveryStatus,
  ExecutionNotification,
  Rule,
  ScheduleAdvance,
  ScheduleAdvanced,
  ScheduleState,
} from '../store.js';
import { claimDeliveries, listDeliveries, listUnnotifiedExecutions, notifyExecutions, settleDelivery } from './deliveries.js';
import { deleteRule, getRule, listRules, putRule } from './rules.js';
import { advanceSchedule, listScheduleStates } from './schedules.js';
import { cancelExecution } from './cancel-execution.js';
import { claimExecutions } from './claim-executions.js';
import { nextStartAt } from './claim-controls.js';
import { functionLoad } from './function-load.js';
import { isoTime } from '../shared/stored-values.js';
import type { FunctionRef } from '../store.js';
import type { FunctionLoad } from '../../domain/wait-reason.js';
import { claimFunctionExecutions } from './claim-function-executions.js';
import { completeAttempts } from './complete-attempts.js';
import { completeAttempt, recordLateReport } from './complete-attempt.js';
import { openDatabase, readTransaction, writeTransaction, type Db, type Synchronous } from './connection.js';
import { deleteFunction } from './delete-function.js';
import { enqueueExecutions } from './enqueue-executions.js';
import { enqueueAndClaimFunction } from './enqueue-and-claim.js';
import { getFunction, listFunctions, putFunction } from './functions.js';
import { getPackage, hasPackage, putPackage } from './packages.js';
import { countExecutions, listExecutions } from './list-executions.js';
import { executionSeries } from './execution-series.js';
import { functionStats } from './function-stats.js';
import { queueStats } from './queue-stats.js';
import { appendLogs, readLogs } from './logs.js';
import { adoptAttempts } from './adopt-attempts.js';
import { listExpiredAttempts, renewLeases } from './leases.js';
import { migrate } from './migrate.js';
import { readExecution } from './rows.js';

/** Where and how to open a SQLite store. */
export interface SqliteStoreOptions {
  /** Path of the database file; created and migrated when new. */
  file: string;
  /** `normal` (default) survives a process crash; `full` also survives power loss (see connection.ts). */
  synchronous?: Synchronous;
}

/**
 * The embedded Store: one SQLite file in WAL mode. Several stores (in one process or several)
 * may open the same file; every state change is one write transaction, so they agree. The
 * operations live one group per file, named by the transition they make; this class only
 * delegates.
 */
export class SqliteStore implements Store {
  constructor(
    private readonly db: Db,
    private readonly stopCheckpointer: StopCheckpointer = async () => {},
  ) {}

  async putFunction(document: FunctionDocument): Promise<FunctionVersion> {
    return putFunction(this.db, document);
  }
  async getFunction(namespace: string, name: string, version?: number): Promise<FunctionVersion | undefined> {
    return readTransaction(this.db, () => getFunction(this.db, namespace, name, version));
  }
  async listFunctions(namespace?: string): Promise<FunctionVersion[]> {
    return listFunctions(this.db, namespace);
  }
  async putPackage(stored: StoredPackage): Promise<PackageInfo> {
    return putPackage(this.db, stored);
  }
  async getPackage(sha256: string): Promise<StoredPackage | undefined> {
    return getPackage(this.db, sha256);
  }
  async hasPackage(sha256: string): Promise<PackageInfo | undefined> {
    return hasPackage(this.db, sha256);
  }
  async deleteFunction(namespace: string, name: string): Promise<boolean> {
    return deleteFunction(this.db, namespace, name);
  }

  async enqueueExecutions(requests: NewExecution[], now: string): Promise<Enqueued[]> {
    return enqueueExecutions(this.db, requests, now);
  }
  async getExecution(id: string): Promise<Execution | undefined> {
    return readTransaction(this.db, () => readExecution(this.db, id));
  }
  async listExecutions(query: ExecutionQuery): Promise<ExecutionPage> {
    return readTransaction(this.db, () => listExecutions(this.db, query));
  }

  async claimExecutions(options: ClaimOptions): Promise<ClaimedAttempt[]> {
    return claimExecutions(this.db, options);
  }
  async claimFunctionExecutions(options: FunctionClaimOptions): Promise<ClaimedAttempt[]> {
    return claimFunctionExecutions(this.db, options);
  }
  async completeAttempts(completions: AttemptCompletion[]): Promise<boolean[]> {
    return completeAttempts(this.db, completions);
  }
  async completeAndClaimFunction(completions: AttemptCompletion[], claim: FunctionClaimOptions): Promise<{ applied: boolean[]; claimed: ClaimedAttempt[] }> {
    // One commit for the batch settled and the batch taken.
    return writeTransaction(this.db, () => ({ applied: completeAttempts(this.db, completions), claimed: claimFunctionExecutions(this.db, claim) }));
  }
  async enqueueAndClaimFunction(requests: NewExecution[], now: string, claim: FunctionClaimOptions): Promise<{ enqueued: Enqueued[]; claimed: ClaimedAttempt[] }> {
    return enqueueAndClaimFunction(this.db, requests, now, claim);
  }
  async renewLeases(owner: string, attempts: AttemptRef[], now: string, leaseMs: number): Promise<AttemptRef[]> {
    return renewLeases(this.db, owner, attempts, now, leaseMs);
  }
  async adoptAttempts(owner: string, orphans: OrphanedAttempt[], now: string, leaseMs: number): Promise<Adoption> {
    return adoptAttempts(this.db, owner, orphans, now, leaseMs);
  }
  async listExpiredAttempts(now: string, limit: number): Promise<(AttemptRef & { execution: Execution })[]> {
    return readTransaction(this.db, () => listExpiredAttempts(this.db, now, limit));
  }
  async completeAttempt(completion: AttemptCompletion): Promise<boolean> {
    return completeAttempt(this.db, completion);
  }
  async completeAndClaim(completion: AttemptCompletion, claim: ClaimOptions): Promise<{ applied: boolean; claimed: ClaimedAttempt[] }> {
    // The inner transactions become savepoints of this one: one commit, one WAL write.
    return writeTransaction(this.db, () => ({ applied: completeAttempt(this.db, completion), claimed: claimExecutions(this.db, claim) }));
  }
  async recordLateReport(ref: AttemptRef, report: AttemptReport): Promise<void> {
    recordLateReport(this.db, ref, report);
  }
  async cancelExecution(id: string, now: string): Promise<Execution | undefined> {
    return cancelExecution(this.db, id, now);
  }

  async appendLogs(ref: AttemptRef, lines: LogLine[]): Promise<void> {
    appendLogs(this.db, ref, lines);
  }
  async readLogs(executionId: string, options: { afterSeq?: number; attempt?: number; limit: number }): Promise<StoredLogLine[]> {
    return readLogs(this.db, executionId, options);
  }

  async functionStats(namespace: string, window: TimeWindow): Promise<FunctionStats[]> {
    return readTransaction(this.db, () => functionStats(this.db, namespace, window));
  }
  async executionSeries(query: SeriesQuery): Promise<SeriesBucket[]> {
    return readTransaction(this.db, () => executionSeries(this.db, query));
  }
  async countExecutions(namespace?: string, fn?: string, statuses?: readonly ExecutionStatus[]): Promise<StatusCounts> {
    return countExecutions(this.db, namespace, fn, statuses);
  }
  async queueStats(now: string): Promise<QueueStats[]> {
    return queueStats(this.db, now);
  }
  async nextStartAt(now: string): Promise<string | null> {
    return readTransaction(this.db, () => nextStartAt(this.db, isoTime(now)));
  }
  async functionLoad(fn: FunctionRef, concurrencyKey: string | null, now: string): Promise<FunctionLoad> {
    return readTransaction(this.db, () => functionLoad(this.db, fn, concurrencyKey, isoTime(now)));
  }
  async listScheduleStates(namespace?: string): Promise<ScheduleState[]> {
    return listScheduleStates(this.db, namespace);
  }
  async advanceSchedule(advance: ScheduleAdvance, now: string): Promise<ScheduleAdvanced> {
    return advanceSchedule(this.db, advance, now);
  }

  async putRule(rule: Omit<Rule, 'createdAt' | 'updatedAt'>, now: string): Promise<{ rule: Rule; created: boolean }> {
    return putRule(this.db, rule, now);
  }
  async getRule(namespace: string, name: string): Promise<Rule | undefined> {
    return getRule(this.db, namespace, name);
  }
  async listRules(namespace?: string): Promise<Rule[]> {
    return listRules(this.db, namespace);
  }
  async deleteRule(namespace: string, name: string): Promise<boolean> {
    return deleteRule(this.db, namespace, name);
  }

  async listUnnotifiedExecutions(limit: number): Promise<Execution[]> {
    return readTransaction(this.db, () => listUnnotifiedExecutions(this.db, limit));
  }
  async notifyExecutions(notifications: ExecutionNotification[], now: string): Promise<Delivery[]> {
    return notifyExecutions(this.db, notifications, now);
  }
  async claimDeliveries(now: string, leaseMs: number, limit: number): Promise<Delivery[]> {
    return claimDeliveries(this.db, now, leaseMs, limit);
  }
  async settleDelivery(id: string, outcome: DeliveryOutcome): Promise<void> {
    settleDelivery(this.db, id, outcome);
  }
  async listDeliveries(query: { namespace: string; executionId?: string; status?: DeliveryStatus; limit: number }): Promise<Delivery[]> {
    return listDeliveries(this.db, query);
  }

  async close(): Promise<void> {
    await this.stopCheckpointer();
    if (this.db.open) this.db.close();
  }
}

/** Opens (creating and migrating when needed) the SQLite store in `file`. */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const synchronous = options.synchronous ?? 'normal';
  const db = openDatabase(options.file, synchronous);
  try {
    migrate(db);
  } catch (thrown) {
    db.close();
    throw thrown;
  }
  const inMemory = options.file === ':memory:' || options.file === '';
  return new SqliteStore(db, inMemory ? undefined : startCheckpointer(db, options.file, synchronous));
}
