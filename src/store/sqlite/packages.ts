import type { PackageInfo, StoredPackage } from '../store.js';
import { sql, type Db } from './connection.js';

type PackageRow = { sha256: string; size: number; archive: Buffer; created_at: string };

/** Stores a package unless its bytes are stored already (same sha256): packages never change. */
export function putPackage(db: Db, stored: StoredPackage): PackageInfo {
  sql(db, 'INSERT INTO packages (sha256, size, archive, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING').run(
    stored.sha256,
    stored.size,
    stored.archive,
    new Date().toISOString(),
  );
  return { sha256: stored.sha256, size: stored.size };
}

/** One package with its archive, or undefined. */
export function getPackage(db: Db, sha256: string): StoredPackage | undefined {
  const row = sql(db, 'SELECT sha256, size, archive, created_at FROM packages WHERE sha256 = ?').get(sha256) as PackageRow | undefined;
  return row && { sha256: row.sha256, size: row.size, archive: Buffer.from(row.archive) };
}

/** Whether a package is stored, without reading its archive. */
export function hasPackage(db: Db, sha256: string): PackageInfo | undefined {
  return sql(db, 'SELECT sha256, size FROM packages WHERE sha256 = ?').get(sha256) as PackageInfo | undefined;
}
