import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../cli/run-cli.js';
import { api, startController, stopController, type Controller } from '../ha/controllers.js';
import { dropSchemas, freshSchema, pgQuery, pgSkipReason, testPgUrl } from '../helpers/postgres.js';
import { writePythonFunction } from './package-fixtures.js';

const skip = pgSkipReason();

describe('uploaded packages on PostgreSQL with two controllers', { skip }, () => {
  let root: string;
  const controllers: Controller[] = [];

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'pontoon-pg-packages-'));
    // The controllers' build dirs are in it, and their functions (other users, as root) read builds.
    chmodSync(root, 0o755);
  });
  after(async () => {
    for (const controller of controllers) await stopController(controller);
    rmSync(root, { recursive: true, force: true });
    await dropSchemas();
  });

  it('a package uploaded to one controller runs on the other after the first stopped and the directory is gone', async () => {
    const schema = freshSchema('packages');
    const store = `${testPgUrl}?schema=${schema}`;
    // Each its own build dir (packages unpack there): as root, controllers would share /var/cache/pontoon.
    for (const index of [0, 1]) controllers.push(await startController({ store, dataDir: join(root, `c${index}`), flags: ['--build-dir', join(root, `builds${index}`)] }));
    const [first, second] = controllers;

    const { dir, specFile } = writePythonFunction('adder', 10);
    const deployed = await runCli(['deploy', '-f', specFile], { env: { PONTOON_URL: first.url } });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(deployed.code, 0, deployed.stderr);
    await stopController(first);

    const fn = await api(second.url, 'GET', '/v1/namespaces/default/functions/adder');
    const sha256 = fn.spec.package.sha256;
    const rows = await pgQuery<{ sha256: string; size: number }>(`SELECT sha256, size FROM "${schema}".packages`);
    assert.deepEqual(rows, [{ sha256, size: fn.spec.package.size }]);
    assert.equal(existsSync(join(root, 'builds1', 'packages', sha256)), false, 'the second controller had the package before it needed it');

    const invoked = await runCli(['invoke', 'adder', '--data', '[1, 2]', '--wait'], { env: { PONTOON_URL: second.url } });
    assert.equal(invoked.code, 0, `${invoked.stderr}\n${second.output()}`);
    assert.equal(JSON.parse(invoked.stdout), 13);
    assert.ok(existsSync(join(root, 'builds1', 'packages', sha256, 'src', 'adder.py')), 'the second controller unpacked the package from the store');
  });
});
