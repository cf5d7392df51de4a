import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { dropSchemas, freshSchema, pgQuery, pgSkipReason, testPgUrl } from '../helpers/postgres.js';
import { writeScript } from '../helpers/pontoon.js';
import { api, killHard, leaderPidQuery, startController, stopController, type Controller } from './controllers.js';

const skip = pgSkipReason();

/** The pid of the leading controller, polled until `accept` takes it (bounded). */
async function leaderPid(schema: string, accept: (pid: number | undefined) => boolean): Promise<number> {
  const until = Date.now() + 20_000;
  for (;;) {
    const [row] = await pgQuery<{ pid: number }>(leaderPidQuery, [schema]);
    if (row && accept(row.pid)) return row.pid;
    assert.ok(Date.now() < until, 'no acceptable leader within 20 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('leader hand-over', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'pontoon-leader-'));
  const controllers: Controller[] = [];
  after(async () => {
    await Promise.all(controllers.map((controller) => killHard(controller)));
    rmSync(root, { recursive: true, force: true });
    await dropSchemas();
  });

  it('after kill -9 of the leader another controller leads within moments and reaps the dead leader’s attempts', async () => {
    const schema = freshSchema('leader');
    const store = `${testPgUrl}?schema=${schema}`;
    for (const index of [0, 1, 2]) controllers.push(await startController({ store, dataDir: join(root, `c${index}`), capacity: 4, lease: '2s' }));
    const pid = await leaderPid(schema, (found) => found !== undefined && controllers.some((controller) => controller.pid === found));
    const dead = controllers.find((controller) => controller.pid === pid)!;

    const script = writeScript('sleep 1.5; echo done');
    await api(dead.url, 'PUT', '/v1/namespaces/default/functions/slow', {
      apiVersion: 'pontoon.dev/v1',
      kind: 'Function',
      metadata: { name: 'slow' },
      spec: { runtime: 'command', command: [script], parallelism: 100, retry: { limit: 3, on: ['lost'], backoff: { initial: '100ms', jitter: false } } },
    });
    const batch = await api(dead.url, 'POST', '/v1/namespaces/default/functions/slow/batch', { inputs: Array.from({ length: 12 }, (_, i) => i) });
    const ids: string[] = batch.items.map((execution: { id: string }) => execution.id);

    // Wait until the leader itself runs some, so that reaping them is the new leader's job.
    const ownedByDead = async () =>
      pgQuery<{ execution_id: string }>(`SELECT execution_id FROM "${schema}".attempts WHERE status = 'running' AND owner LIKE $1`, [`%/${pid}/%`]);
    const until = Date.now() + 20_000;
    let cut: string[] = [];
    while (cut.length === 0) {
      assert.ok(Date.now() < until, 'the leader never ran an attempt');
      await new Promise((resolve) => setTimeout(resolve, 50));
      cut = (await ownedByDead()).map((row) => row.execution_id);
    }
    const killedAt = Date.now();
    await killHard(dead);
    const next = await leaderPid(schema, (found) => found !== undefined && found !== pid);
    const handOverMs = Date.now() - killedAt;
    assert.ok(controllers.some((controller) => controller !== dead && controller.pid === next), 'a surviving controller leads');

    const survivor = controllers.find((controller) => controller.pid === next)!;
    const finalUntil = Date.now() + 60_000;
    let executions: any[] = [];
    for (;;) {
      executions = await Promise.all(ids.map((id) => api(survivor.url, 'GET', `/v1/namespaces/default/executions/${id}`)));
      if (executions.every((execution) => execution.status === 'succeeded')) break;
      assert.ok(Date.now() < finalUntil, `not all succeeded: ${executions.map((execution) => execution.status).join(',')}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    for (const execution of executions.filter((execution) => cut.includes(execution.id))) {
      assert.equal(execution.attempts[0].status, 'lost');
      assert.equal(execution.attempts[0].reason, 'LeaseExpired');
      assert.equal(execution.attempts.at(-1).status, 'succeeded');
    }
    process.stdout.write(`leader hand-over: ${handOverMs} ms from kill -9 to a new leader; ${cut.length} attempts of the dead leader reaped and retried\n`);
    for (const controller of controllers) if (controller !== dead) await stopController(controller);
  });
});
