import Database from 'better-sqlite3';
import { chmodSync, closeSync, openSync } from 'node:fs';

/** An open better-sqlite3 connection. */
export type Db = Database.Database;

/** How hard a commit is pushed to disk (see openDatabase). */
export type Synchronous = 'normal' | 'full';

/**
 * Opens (creating if needed) the store's file in WAL mode with foreign keys on.
 *
 * `synchronous=NORMAL` in WAL mode writes every commit to the WAL before the transaction returns
 * and fsyncs only at checkpoints: a committed transaction survives a crash of the process
 * (kill -9, an uncaught exception, an OOM kill), which is the failure Pontoon guards against when
 * it acknowledges an invocation. It can lose the last commits on power loss or a kernel crash;
 * `full` adds an fsync of the WAL per commit to cover that too, at the price of one disk flush
 * per transaction.
 */
export function openDatabase(file: string, synchronous: Synchronous): Db {
  if (file !== ':memory:' && file !== '') makePrivate(file);
  const db = new Database(file);
  // Set first, so that a second process opening the same file waits instead of failing while
  // the first one switches the journal mode or migrates.
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
  return db;
}

/**
 * Creates the database file 0600 (or makes an existing one, and its -wal and -shm, 0600) before
 * SQLite opens it: SQLite gives the -wal and -shm it creates the database file's mode, and
 * otherwise creates the file 0644, readable by every user of the machine (functions included).
 */
function makePrivate(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      chmodSync(path, 0o600);
    } catch (thrown) {
      if ((thrown as NodeJS.ErrnoException).code !== 'ENOENT') throw thrown;
    }
  }
}

const statementCaches = new WeakMap<Db, Map<string, Database.Statement>>();

/**
 * A prepared statement for this SQL on this connection, prepared once. Preparing costs more than
 * running most of our statements, and the claim runs several per execution it moves.
 */
export function sql(db: Db, text: string): Database.Statement {
  let cache = statementCaches.get(db);
  if (!cache) {
    cache = new Map();
    statementCaches.set(db, cache);
  }
  let statement = cache.get(text);
  if (!statement) {
    statement = db.prepare(text);
    cache.set(text, statement);
  }
  return statement;
}

/** Each connection's one transaction function, which runs the work it is given. */
const runners = new WeakMap<Db, ReturnType<Db['transaction']>>();

/**
 * The transaction function of `db`, made once: better-sqlite3 builds a transaction function's
 * wrappers (deferred, immediate, exclusive, and their savepoint forms) each time one is made:
 * 11-13 µs of CPU per one-row write transaction against 3.4-4.4 µs with one made once (50,000
 * in a loop, in memory).
 */
function runnerOf(db: Db): ReturnType<Db['transaction']> {
  let runner = runners.get(db);
  if (!runner) {
    runner = db.transaction((work: () => unknown) => work());
    runners.set(db, runner);
  }
  return runner;
}

/**
 * Runs `work` in a transaction that takes the write lock at BEGIN. A deferred transaction that
 * reads and then writes fails with SQLITE_BUSY when another connection wrote in between;
 * taking the lock first makes such read-decide-write steps wait for each other instead, which
 * is what keeps parallelism counts exact across processes.
 *
 * Inside another transaction `work` joins it, where better-sqlite3 would open a savepoint: a
 * savepoint costs its own statements and a copy of every page it changes (its sub-journal), and
 * it only pays off for a caller that catches an error and carries on with the rest of the
 * transaction, which no operation of the store does (an error rolls back the whole of it).
 */
export function writeTransaction<T>(db: Db, work: () => T): T {
  if (db.inTransaction) return work();
  return runnerOf(db).immediate(work) as T;
}

/**
 * Runs reads in one snapshot. Outside a transaction each statement sees the file as it is when
 * it starts, so an execution and its attempts, read by two statements, could straddle another
 * connection's commit. Inside another transaction `work` joins it, as in writeTransaction.
 */
export function readTransaction<T>(db: Db, work: () => T): T {
  if (db.inTransaction) return work();
  return runnerOf(db).deferred(work) as T;
}
