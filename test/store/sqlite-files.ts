import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A store file path in a fresh temp dir, removed after the test file's run. */
export function freshStoreFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pontoon-store-'));
  tempDirs.push(dir);
  return join(dir, 'pontoon.db');
}

/** A fresh store file whose schema records a migration (999) this Pontoon does not know. */
export async function fileFromNewerPontoon(): Promise<string> {
  const file = freshStoreFile();
  await openSqliteStore({ file }).close();
  const db = new Database(file);
  db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', '2030-01-01')").run();
  db.close();
  return file;
}
