import type { PackageInfo, StoredPackage } from '../store.js';
import type { Db } from './connection.js';

/** Stores a package unless its bytes are stored already (same sha256): packages never change. */
export async function putPackage(db: Db, stored: StoredPackage): Promise<PackageInfo> {
  await db.query('INSERT INTO packages (sha256, size, archive, created_at) VALUES ($1, $2, $3, now()) ON CONFLICT (sha256) DO NOTHING', [
    stored.sha256,
    stored.size,
    stored.archive,
  ]);
  return { sha256: stored.sha256, size: stored.size };
}

/** One package with its archive, or undefined. */
export async function getPackage(db: Db, sha256: string): Promise<StoredPackage | undefined> {
  const { rows } = await db.query<{ sha256: string; size: number; archive: Buffer }>('SELECT sha256, size, archive FROM packages WHERE sha256 = $1', [sha256]);
  return rows[0] && { sha256: rows[0].sha256, size: Number(rows[0].size), archive: rows[0].archive };
}

/** Whether a package is stored, without reading its archive. */
export async function hasPackage(db: Db, sha256: string): Promise<PackageInfo | undefined> {
  const { rows } = await db.query<{ sha256: string; size: number }>('SELECT sha256, size FROM packages WHERE sha256 = $1', [sha256]);
  return rows[0] && { sha256: rows[0].sha256, size: Number(rows[0].size) };
}
