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
  Delivery,
  DeliveryOutcome,
  DeliveryStatus,
  ExecutionNotification,
  LogLine,
  NewExecution,
  OrphanedAttempt,
  Rule,
  ScheduleAdvance,
  ScheduleAdvanced,
  ScheduleState,
  StatusCounts,
  QueueStats,
  Store,
  StoredLogLine,
  PackageInfo,
  StoredPackage,
  FunctionStats,
  SeriesBucket,
  SeriesQuery,
  TimeWindow,
} from '../store.js';
import { cancelExecution } from './cancel-execution.js';
import { claimFunctionExecutions, claimFunctionExecutionsIn, isSwap, mayReadShared } from './claim-function-executions.js';
import { nextStartAt } from './claim-controls.js';
import { functionLoad } from './function-load.js';
import { isoTime } from '../shared/stored-values.js';
import type { FunctionRef } from '../store.js';
import type { FunctionLoad } from '../../domain/wait-reason.js';
import { freedSlots, freedSlotsNews, recordLateReport, fenceAttemptsSql, lockExecutionsSql, settleAttempts, settleAttemptsLocking } from './complete-attempts.js';
import { notifyFreedIfReady, notifyWake } from './notify.js';
import type pg from 'pg';
import { openPool, transaction, type ConnectionOptions, type Pool } from './connection.js';
import { claimDeliveries, listDeliveries, listUnnotifiedExecutions, notifyExecutions, settleDelivery } from './deliveries.js';
import { deleteFunction } from './delete-function.js';
import { enqueueExecutions } from './enqueue-executions.js';
import { enqueueAndClaimFunction } from './enqueue-and-claim.js';
import { getFunction, listFunctions, putFunction } from './functions.js';
import { getPackage, hasPackage, putPackage } from './packages.js';
import { LeaderLock } from './leader-lock.js';
import { countExecutions, listExecutions } from './list-executions.js';
import { executionSeries } from './execution-series.js';
import { functionStats } from './function-stats.js';
import { queueStats } from './queue-stats.js';
import { appendLogs, readLogs } from './logs.js';
import { adoptAttempts } from './adopt-attempts.js';
import { listExpiredAttempts, renewLeases } from './leases.js';
import { migrate } from './migrate.js';
import { readExecution } from './rows.js';
import { deleteRule, getRule, listRules, putRule } from './rules.js';
import { advanceSchedule, listScheduleStates } from './schedules.js';
import { SettleBatcher } from './settle-batcher.js';
import { WakeListener } from './wake-listener.js';

/** Where and how to open a PostgreSQL store. */
export interface PostgresStoreOptions {
  /** A postgres:// URL; `?schema=name` on it picks the schema. */
  url: string;
  /** Schema of the tables, created and migrated when new; overrides the URL's. Default `pontoon`. */
  schema?: string;
  /** Most pooled connections for queries. Default 10. */
  maxConnections?: number;
}

/**
 * The shared Store: tables in one PostgreSQL schema that any number of controllers open at once.
 * Claims hold parallelism across controllers (see claim-executions.ts), settlements are fenced
 * under a row lock, enqueues and freed slots NOTIFY the other controllers, and one of them leads
 * (see leader-lock.ts). The operations live one group per file; this class only delegates.
 */
export class PostgresStore implements Store {
  private readonly wakeListener: WakeListener;
  private readonly settleBatcher: SettleBatcher;

  constructor(
    private readonly pool: Pool,
    private readonly connection: ConnectionOptions,
  ) {
    const own = new Set<number>();
    // On every checkout, not on connect: the pool's first connections (the migration's) predate this store.
    pool.on('acquire', (client) => own.add((client as unknown as { processID: number }).processID));
    pool.on('remove', (client) => own.delete((client as unknown as { processID: number }).processID));
    this.wakeListener = new WakeListener(connection, (pid) => own.has(pid));
    this.settleBatcher = new SettleBatcher(pool);
  }

  /** The schema this store's tables live in. */
  get schema(): string {
    return this.connection.schema;
  }

  /** A leader election among the controllers of this store; `name` labels this controller's lock connection. */
  leaderLock(name: string, onError?: (error: Error) => void, checkMs?: number): LeaderLock {
    return new LeaderLock({ ...this.connection, name, onError, checkMs });
  }

  /** Calls `listener` when another controller (or this one) enqueues work or frees a slot. */
  onWake(listener: () => void): () => void {
    return this.wakeListener.add(listener);
  }

  /** Resolves once wake-ups are being listened for. */
  async wakeReady(): Promise<void> {
    await this.wakeListener.ready();
  }

  async putFunction(document: FunctionDocument): Promise<FunctionVersion> {
    return putFunction(this.pool, document);
  }
  async getFunction(namespace: string, name: string, version?: number): Promise<FunctionVersion | undefined> {
    return getFunction(this.pool, namespace, name, version);
  }
  async listFunctions(namespace?: string): Promise<FunctionVersion[]> {
    return listFunctions(this.pool, namespace);
  }
  async putPackage(stored: StoredPackage): Promise<PackageInfo> {
    return putPackage(this.pool, stored);
  }
  async getPackage(sha256: string): Promise<StoredPackage | undefined> {
    return getPackage(this.pool, sha256);
  }
  async hasPackage(sha256: string): Promise<PackageInfo | undefined> {
    return hasPackage(this.pool, sha256);
  }
  async deleteFunction(namespace: string, name: string): Promise<boolean> {
    return deleteFunction(this.pool, namespace, name);
  }

  async enqueueExecutions(requests: NewExecution[], now: string): Promise<Enqueued[]> {
    return enqueueExecutions(this.pool, requests, now);
  }
  async enqueueAndClaimFunction(requests: NewExecution[], now: string, claim: FunctionClaimOptions): Promise<{ enqueued: Enqueued[]; claimed: ClaimedAttempt[] }> {
    return enqueueAndClaimFunction(this.pool, requests, now, claim);
  }
  async getExecution(id: string): Promise<Execution | undefined> {
    return readExecution(this.pool, id);
  }
  async listExecutions(query: ExecutionQuery): Promise<ExecutionPage> {
    return listExecutions(this.pool, query);
  }

  async claimExecutions(options: ClaimOptions): Promise<ClaimedAttempt[]> {
    return this.settleBatcher.claim(options);
  }
  async claimFunctionExecutions(options: FunctionClaimOptions): Promise<ClaimedAttempt[]> {
    return claimFunctionExecutions(this.pool, options);
  }
  async completeAttempts(completions: AttemptCompletion[]): Promise<boolean[]> {
    if (completions.length === 0) return [];
    return transaction(this.pool, async (client) => {
      const settled = await settleAttempts(client, completions);
      // Nothing claimed for the slots freed: other controllers may take them, if work waits for
      // them (freedSlotsNews's rule with no claim: a retry requeued, or any slot freed).
      const freed = settled.filter((item) => item.applied).map((item) => item.function);
      if (settled.some((item) => item.requeued)) await notifyWake(client, 'freed');
      else if (freed.length > 0) await notifyFreedIfReady(client, freed);
      return settled.map((item) => item.applied);
    }, undefined, { genericPlans: true });
  }
  async completeAndClaimFunction(completions: AttemptCompletion[], claim: FunctionClaimOptions): Promise<{ applied: boolean[]; claimed: ClaimedAttempt[] }> {
    // One transaction: the settlement locks execution rows, then the claim the function's row (a
    // swap only reads it: mayReadShared in claim-function-executions.ts).
    // Other claims lock function rows first but skip locked executions, so they never wait on
    // these; a delete of the function could (it locks the row, then its executions), and a
    // deadlock there reruns the whole transaction (see transaction()).
    const shared = mayReadShared(claim.limit, completions.length);
    const fn = claim.limit > 0 ? claim.function : undefined;
    const opening =
      completions.length > 0
        ? (client: pg.PoolClient) => `${lockExecutionsSql(client, completions.map((completion) => completion.executionId))}; ${fenceAttemptsSql(client, completions, fn, shared)}`
        : undefined;
    return transaction(this.pool, async (client, [lockedExecutions, fenced]) => {
      // The settlement's end goes into the claim's start statement (claimFunctionExecutionsIn).
      const { settled, locked, ending } = await settleAttemptsLocking(client, completions, {
        fn,
        alreadyLocked: lockedExecutions,
        alreadyFenced: fenced,
        deferEnd: true,
        readShared: shared,
      });
      const ended = freedSlots(settled).get(`${claim.function.namespace}/${claim.function.name}`) ?? 0;
      // Not a swap after all: the claim locks the row itself (undefined), as a claim alone does.
      const claimed = await claimFunctionExecutionsIn(client, claim, shared && locked && !isSwap(locked, claim.limit, ended) ? undefined : locked, ending);
      // Only what the claim left free is news to other controllers (see freedSlotsNews).
      if (freedSlotsNews(settled, claimed, claim.limit)) await notifyWake(client, 'freed');
      return { applied: settled.map((item) => item.applied), claimed };
    }, opening, { genericPlans: true });
  }
  async renewLeases(owner: string, attempts: AttemptRef[], now: string, leaseMs: number): Promise<AttemptRef[]> {
    return renewLeases(this.pool, owner, attempts, now, leaseMs);
  }
  async adoptAttempts(owner: string, orphans: OrphanedAttempt[], now: string, leaseMs: number): Promise<Adoption> {
    return adoptAttempts(this.pool, owner, orphans, now, leaseMs);
  }
  async listExpiredAttempts(now: string, limit: number): Promise<(AttemptRef & { execution: Execution })[]> {
    return listExpiredAttempts(this.pool, now, limit);
  }
  async completeAttempt(completion: AttemptCompletion): Promise<boolean> {
    return this.settleBatcher.complete(completion);
  }
  async completeAndClaim(completion: AttemptCompletion, claim: ClaimOptions): Promise<{ applied: boolean; claimed: ClaimedAttempt[] }> {
    // Two transactions (one would hold the execution's row lock while the claim locks function
    // rows, an order other controllers' claims do not follow), shared by the attempts that end
    // meanwhile: see settle-batcher.ts.
    return this.settleBatcher.completeAndClaim(completion, claim);
  }
  async recordLateReport(ref: AttemptRef, report: AttemptReport): Promise<void> {
    return recordLateReport(this.pool, ref, report);
  }
  async cancelExecution(id: string, now: string): Promise<Execution | undefined> {
    return cancelExecution(this.pool, id, now);
  }

  async appendLogs(ref: AttemptRef, lines: LogLine[]): Promise<void> {
    return appendLogs(this.pool, ref, lines);
  }
  async readLogs(executionId: string, options: { afterSeq?: number; attempt?: number; limit: number }): Promise<StoredLogLine[]> {
    return readLogs(this.pool, executionId, options);
  }

  async functionStats(namespace: string, window: TimeWindow): Promise<FunctionStats[]> {
    return functionStats(this.pool, namespace, window);
  }
  async executionSeries(query: SeriesQuery): Promise<SeriesBucket[]> {
    return executionSeries(this.pool, query);
  }
  async countExecutions(namespace?: string, fn?: string, statuses?: readonly ExecutionStatus[]): Promise<StatusCounts> {
    return countExecutions(this.pool, namespace, fn, statuses);
  }
  async queueStats(now: string): Promise<QueueStats[]> {
    return queueStats(this.pool, now);
  }
  async nextStartAt(now: string): Promise<string | null> {
    return nextStartAt(this.pool, isoTime(now));
  }
  async functionLoad(fn: FunctionRef, concurrencyKey: string | null, now: string): Promise<FunctionLoad> {
    return functionLoad(this.pool, fn, concurrencyKey, isoTime(now));
  }

  async listScheduleStates(namespace?: string): Promise<ScheduleState[]> {
    return listScheduleStates(this.pool, namespace);
  }
  async advanceSchedule(advance: ScheduleAdvance, now: string): Promise<ScheduleAdvanced> {
    return advanceSchedule(this.pool, advance, now);
  }
  async putRule(rule: Omit<Rule, 'createdAt' | 'updatedAt'>, now: string): Promise<{ rule: Rule; created: boolean }> {
    return putRule(this.pool, rule, now);
  }
  async getRule(namespace: string, name: string): Promise<Rule | undefined> {
    return getRule(this.pool, namespace, name);
  }
  async listRules(namespace?: string): Promise<Rule[]> {
    return listRules(this.pool, namespace);
  }
  async deleteRule(namespace: string, name: string): Promise<boolean> {
    return deleteRule(this.pool, namespace, name);
  }
  async listUnnotifiedExecutions(limit: number): Promise<Execution[]> {
    return listUnnotifiedExecutions(this.pool, limit);
  }
  async notifyExecutions(notifications: ExecutionNotification[], now: string): Promise<Delivery[]> {
    return notifyExecutions(this.pool, notifications, now);
  }
  async claimDeliveries(now: string, leaseMs: number, limit: number): Promise<Delivery[]> {
    return claimDeliveries(this.pool, now, leaseMs, limit);
  }
  async settleDelivery(id: string, outcome: DeliveryOutcome): Promise<void> {
    return settleDelivery(this.pool, id, outcome);
  }
  async listDeliveries(query: { namespace: string; executionId?: string; status?: DeliveryStatus; limit: number }): Promise<Delivery[]> {
    return listDeliveries(this.pool, query);
  }

  async close(): Promise<void> {
    await this.wakeListener.close();
    await this.pool.end();
  }
}

/** True for a postgres:// or postgresql:// URL, the form `--store` takes for this adapter. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//.test(value);
}

/** Opens a PostgreSQL store, creating and migrating its schema when needed. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  // `?schema=name` on the URL picks the schema, so one flag (--store) says everything.
  const url = new URL(options.url);
  const schema = options.schema ?? url.searchParams.get('schema') ?? 'pontoon';
  url.searchParams.delete('schema');
  // The name goes into SQL text and the session's startup options: allow plain identifiers only.
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`schema must be a lower-case SQL identifier, not ${schema}`);
  const connection: ConnectionOptions = { url: url.toString(), schema, maxConnections: options.maxConnections ?? 10 };
  const pool = openPool(connection);
  try {
    await migrate(pool, schema);
  } catch (thrown) {
    await pool.end();
    throw thrown;
  }
  return new PostgresStore(pool, connection);
}
