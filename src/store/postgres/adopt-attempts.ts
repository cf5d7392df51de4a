import type { AdoptedAttempt, Adoption, AttemptRef, OrphanedAttempt } from '../store.js';
import { isoAfter, isoTime } from '../shared/stored-values.js';
import { transaction, type Pool } from './connection.js';
import { selectFunctionVersion } from './functions.js';
import { readExecution } from './rows.js';

/**
 * Moves the leases of orphaned attempts to `owner` (see Store.adoptAttempts). Each attempt's row
 * is locked, so a reaper settling it or another controller adopting it at the same moment waits
 * and then finds it adopted; it is taken only from the owner it was started for, while it runs and
 * before its lease expires, the same fence that renewLeases keeps. Orphans are found only when a
 * controller starts, so a few statements per attempt cost nothing that matters.
 */
export async function adoptAttempts(pool: Pool, owner: string, orphans: OrphanedAttempt[], now: string, leaseMs: number): Promise<Adoption> {
  if (orphans.length === 0) return { adopted: [], over: [] };
  const at = isoTime(now);
  const leaseExpiresAt = isoAfter(at, leaseMs);
  return transaction(pool, async (client) => {
    const adopted: AdoptedAttempt[] = [];
    const over: AttemptRef[] = [];
    for (const orphan of orphans) {
      const ref = { executionId: orphan.executionId, attempt: orphan.attempt };
      const { rows } = await client.query<{ status: string; owner: string | null; live: boolean }>(
        `SELECT status, owner, lease_expires_at >= $3 AS live FROM attempts WHERE execution_id = $1 AND number = $2 FOR UPDATE`,
        [ref.executionId, ref.attempt, at],
      );
      const row = rows[0];
      if (!row || row.status !== 'running' || !row.live) {
        over.push(ref);
        continue;
      }
      // Taken over by another controller meanwhile: theirs now.
      if (row.owner !== orphan.owner && row.owner !== owner) continue;
      await client.query('UPDATE attempts SET owner = $3, lease_expires_at = $4 WHERE execution_id = $1 AND number = $2', [ref.executionId, ref.attempt, owner, leaseExpiresAt]);
      const execution = (await readExecution(client, ref.executionId))!;
      const fn = (await selectFunctionVersion(client, execution.namespace, execution.function, execution.version))!;
      const logged = await client.query<{ count: string }>(`SELECT COUNT(*) AS count FROM logs WHERE execution_id = $1 AND attempt = $2 AND stream <> 'system'`, [ref.executionId, ref.attempt]);
      adopted.push({ execution, attempt: ref.attempt, function: fn, leaseExpiresAt, loggedLines: Number(logged.rows[0].count) });
    }
    return { adopted, over };
  });
}
