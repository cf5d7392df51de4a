import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { dynamicUsers } from '../../src/executors/users/function-users.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function lockDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pontoon-uid-locks-'));
  dirs.push(dir);
  return dir;
}

describe('dynamic function users', () => {
  it('hands out each uid of the range once while held, locked by this server, and takes it back', () => {
    const dir = lockDir();
    const users = dynamicUsers({ first: 5000, last: 5002 }, dir);
    const held = [users.acquire(), users.acquire(), users.acquire()];
    assert.deepEqual(held.map((user) => [user.uid, user.gid]).sort(), [[5000, 5000], [5001, 5001], [5002, 5002]]);
    assert.equal(readFileSync(join(dir, '5001'), 'utf8'), String(process.pid));
    assert.throws(() => users.acquire(), /no free uid in the function users' range 5000-5002/);
    users.release(held[1]!);
    assert.equal(existsSync(join(dir, '5001')), false);
    assert.equal(users.acquire().uid, 5001);
  });

  it("skips a uid another live server holds, and takes over the lock of one that died", () => {
    const dir = lockDir();
    // pid 1 lives; a pid past the kernel's maximum never does.
    writeFileSync(join(dir, '6000'), '1');
    writeFileSync(join(dir, '6001'), '4194305');
    const users = dynamicUsers({ first: 6000, last: 6001 }, dir);
    assert.equal(users.acquire().uid, 6001);
    assert.equal(readFileSync(join(dir, '6001'), 'utf8'), String(process.pid));
    assert.throws(() => users.acquire(), /no free uid/);
  });

  it('refuses a lock dir others can write, where they could free or hold uids', () => {
    const dir = lockDir();
    chmodSync(dir, 0o777);
    assert.throws(() => dynamicUsers({ first: 7000, last: 7001 }, dir), /uid lock dir .* is not safe to use/);
  });
});
