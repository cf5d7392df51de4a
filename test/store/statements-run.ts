import Database from 'better-sqlite3';

/** A statement run through better-sqlite3: its SQL, whitespace folded, and the values bound to it. */
export interface StatementRun {
  sql: string;
  args: unknown[];
}

/** Every statement run (by any better-sqlite3 connection of this process) while `work` runs. */
export async function statementsRun(work: () => Promise<unknown>): Promise<StatementRun[]> {
  const probe = new Database(':memory:');
  const prototype = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<'run' | 'get' | 'all' | 'iterate', (...args: unknown[]) => unknown>;
  probe.close();
  const run: StatementRun[] = [];
  const originals = { run: prototype.run, get: prototype.get, all: prototype.all, iterate: prototype.iterate };
  for (const method of Object.keys(originals) as (keyof typeof originals)[]) {
    prototype[method] = function (this: { source: string }, ...args: unknown[]) {
      run.push({ sql: this.source.replace(/\s+/g, ' ').trim(), args });
      return originals[method].apply(this, args);
    };
  }
  try {
    await work();
  } finally {
    Object.assign(prototype, originals);
  }
  return run;
}
