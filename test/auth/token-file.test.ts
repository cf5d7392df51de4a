import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TokenStore, createTokenInFile } from '../../src/api/auth/token-file.js';
import { hashToken, parseTokensDocument } from '../../src/api/auth/tokens.js';

describe('the tokens file', () => {
  it('a token added to the file is recognised without a restart, and one removed stops working', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pontoon-tokens-'));
    try {
      const file = join(dir, 'tokens.yaml');
      const store = new TokenStore(file, undefined);
      assert.equal(store.configured(), false);
      const token = createTokenInFile(file, 'late', { team: 'invoker' });
      await sleep(1100);
      assert.deepEqual(await store.authenticate(token), { name: 'late', grants: { team: 'invoker' }, key: hashToken(token) });
      assert.equal(await store.authenticate(`${token}x`), undefined);
      writeFileSync(file, 'tokens: []\n');
      await sleep(1100);
      assert.equal(await store.authenticate(token), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tokens from the environment count beside the file', async () => {
    const store = new TokenStore(undefined, JSON.stringify({ tokens: [{ name: 'env', sha256: hashToken('from-env'), roles: { '*': 'viewer' } }] }));
    assert.equal((await store.authenticate('from-env'))?.name, 'env');
  });

  it('a broken entry is refused naming it', () => {
    assert.throws(() => parseTokensDocument('tokens: [{name: a, sha256: abc, roles: {x: viewer}}]', 'f.yaml'), /f\.yaml: tokens\[0\]\.sha256 must be the hex SHA-256/);
    assert.throws(() => parseTokensDocument(`tokens: [{name: a, sha256: ${'a'.repeat(64)}, roles: {x: owner}}]`, 'f.yaml'), /tokens\[0\]\.roles\.x must be viewer, invoker, deployer or admin/);
    assert.throws(() => parseTokensDocument('subjects: [{roles: {x: viewer}}]', 'f.yaml'), /subjects\[0\] must name a user or a group/);
  });
});
