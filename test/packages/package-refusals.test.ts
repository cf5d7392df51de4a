import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { create } from 'tar';
import { startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';

/** Packs `paths` under `cwd` as node-tar does when told to keep paths as given (`../x`, `/x`). */
async function tarOf(cwd: string, paths: string[], options: { preservePaths?: boolean } = {}): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of create({ cwd, gzip: true, portable: true, preservePaths: options.preservePaths ?? false }, paths)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('an uploaded package the server refuses (4xx, nothing stored)', () => {
  let pontoon: TestPontoon;
  let work: string;

  const upload = async (archive: Buffer) => {
    const response = await fetch(`${pontoon.url}/v1/namespaces/default/packages`, { method: 'POST', headers: { 'content-type': 'application/gzip' }, body: archive as unknown as BodyInit });
    return { status: response.status, body: (await response.json()) as any };
  };
  const storedPackages = () => {
    const db = new Database(join(pontoon.dataDir, 'pontoon.db'), { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM packages').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  before(async () => {
    pontoon = await startTestPontoon({ sourceRoots: [], packageLimit: '64Ki' });
    work = mkdtempSync(join(tmpdir(), 'pontoon-bad-packages-'));
    mkdirSync(join(work, 'fn'));
    writeFileSync(join(work, 'fn', 'main.py'), 'print(1)\n');
    writeFileSync(join(work, 'outside.txt'), 'outside\n');
  });
  after(async () => {
    await pontoon.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('accepts a well-formed package and answers its sha256 and size (the same bytes again are the same package)', async () => {
    const archive = await tarOf(join(work, 'fn'), ['main.py']);
    const first = await upload(archive);
    assert.equal(first.status, 201);
    assert.match(first.body.sha256, /^[0-9a-f]{64}$/);
    assert.equal(first.body.size, archive.length);
    const again = await upload(archive);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, first.body);
    assert.equal(storedPackages(), 1);
  });

  it('refuses an archive over the package limit with 413', async () => {
    const big = mkdtempSync(join(work, 'big-'));
    writeFileSync(join(big, 'noise.bin'), randomBytes(100 * 1024));
    const { status, body } = await upload(await tarOf(big, ['noise.bin']));
    assert.equal(status, 413);
    assert.equal(body.error.code, 'PAYLOAD_TOO_LARGE');
    assert.match(body.error.message, /over the limit of 65536 bytes/);
    assert.equal(storedPackages(), 1);
  });

  it('refuses an archive that unpacks far beyond the limit (a gzip bomb)', async () => {
    const bomb = mkdtempSync(join(work, 'bomb-'));
    writeFileSync(join(bomb, 'zeros'), Buffer.alloc(2 * 1024 * 1024));
    const { status, body } = await upload(await tarOf(bomb, ['zeros']));
    assert.equal(status, 413);
    assert.match(body.error.message, /unpacks to \d+ bytes/);
    assert.equal(storedPackages(), 1);
  });

  it('refuses entries with .. in their path', async () => {
    const { status, body } = await upload(await tarOf(join(work, 'fn'), ['main.py', '../outside.txt'], { preservePaths: true }));
    assert.equal(status, 400);
    assert.equal(body.error.code, 'INVALID_PACKAGE');
    assert.match(body.error.message, /\.\.\/outside\.txt: paths may not contain \.\./);
    assert.equal(storedPackages(), 1);
  });

  it('refuses absolute paths', async () => {
    const { status, body } = await upload(await tarOf(work, [join(work, 'outside.txt')], { preservePaths: true }));
    assert.equal(status, 400);
    assert.match(body.error.message, /absolute paths are not allowed/);
    assert.equal(storedPackages(), 1);
  });

  it('refuses symbolic links that point out of the package, absolute or relative', async () => {
    const links = mkdtempSync(join(work, 'links-'));
    symlinkSync('/etc/passwd', join(links, 'passwd'));
    symlinkSync('../../outside.txt', join(links, 'up'));
    symlinkSync('main.py', join(links, 'fine'));
    const { status, body } = await upload(await tarOf(links, ['passwd', 'up', 'fine']));
    assert.equal(status, 400);
    assert.deepEqual(body.error.details.problems, ['passwd: links to absolute paths (/etc/passwd) are not allowed', 'up: the link points outside the package (../../outside.txt)']);
    assert.equal(storedPackages(), 1);
  });

  it('refuses a corrupt archive, a truncated one and one that is not an archive', async () => {
    const good = await tarOf(join(work, 'fn'), ['main.py']);
    const flipped = Buffer.from(good);
    flipped[Math.floor(flipped.length / 2)] ^= 0xff;
    for (const bad of [flipped, good.subarray(0, good.length - 20), Buffer.from('just some text, not a tar at all')]) {
      const { status, body } = await upload(bad);
      assert.equal(status, 400, JSON.stringify(body));
      assert.equal(body.error.code, 'INVALID_PACKAGE');
      assert.match(body.error.message, /not a readable \.tar\.gz/);
    }
    assert.equal(storedPackages(), 1);
  });

  it('refuses a body that is not sent as an archive', async () => {
    const response = await fetch(`${pontoon.url}/v1/namespaces/default/packages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(response.status, 400);
    assert.equal(storedPackages(), 1);
  });
});
