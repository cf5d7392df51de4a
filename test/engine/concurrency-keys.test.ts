import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { dropSchemas, freshSchema, testPgUrl } from '../helpers/postgres.js';
import { startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';

interface Listed {
  concurrencyKey: string;
  status: string;
  finishedAt: string;
  attempts: { startedAt: string; finishedAt: string }[];
}

const stores: [string, () => string | undefined][] = [
  ['SQLite', () => undefined],
  ['PostgreSQL', () => (testPgUrl ? `${testPgUrl}?schema=${freshSchema('keys')}` : undefined)],
];

for (const [name, storeOf] of stores) {
  describe(`concurrency keys on ${name}`, { skip: name === 'PostgreSQL' && !testPgUrl ? 'PONTOON_TEST_PG_URL is not set' : undefined }, () => {
    let pontoon: TestPontoon | undefined;
    after(async () => {
      await pontoon?.close();
      await dropSchemas();
    });

    it('10 keys, one with 900 executions and nine with 10, limit 2 per key: the nine small keys all finish before the large key is half done', async () => {
      const store = storeOf();
      pontoon = await startTestPontoon({ capacity: 8, ...(store ? { store } : {}) });
      const deployed = await pontoon.deploy('tenants', { runtime: 'command', command: ['true'], parallelism: 20, concurrency: { key: '/tenant', limit: 2 } });
      assert.equal(deployed.status, 201, JSON.stringify(deployed.body));
      // The large key first, so that age alone would run all of it before any small key.
      const large = await pontoon.request('POST', '/v1/namespaces/default/functions/tenants/batch', { inputs: Array.from({ length: 900 }, (_, i) => ({ tenant: 'large', i })) });
      assert.equal(large.status, 202);
      const small = Array.from({ length: 9 }, (_, key) => Array.from({ length: 10 }, (_, i) => ({ tenant: `small-${key}`, i }))).flat();
      assert.equal((await pontoon.request('POST', '/v1/namespaces/default/functions/tenants/batch', { inputs: small })).status, 202);

      const until = Date.now() + 240_000;
      let executions: Listed[];
      for (;;) {
        const { body } = await pontoon.request('GET', '/v1/namespaces/default/executions?function=tenants&limit=1000');
        executions = body.items;
        const ended = executions.filter((execution) => execution.status === 'succeeded').length;
        if (ended === 990) break;
        assert.ok(Date.now() < until, `only ${ended} of 990 succeeded within 240 s`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const ends = (key: (k: string) => boolean) => executions.filter((e) => key(e.concurrencyKey)).map((e) => e.finishedAt).sort();
      const smallDone = ends((k) => k.startsWith('small-')).at(-1)!;
      const largeEnds = ends((k) => k === 'large');
      const largeHalf = largeEnds[449];
      const largeBySmall = largeEnds.filter((at) => at <= smallDone).length;
      process.stderr.write(`# concurrency keys on ${name}: the small keys were done when ${largeBySmall} of the large key's 900 were\n`);
      assert.ok(smallDone < largeHalf, `the small keys finished at ${smallDone}, after the large key's 450th at ${largeHalf}`);

      // From the stored attempt times: no key ever had a third attempt running.
      for (const key of new Set(executions.map((e) => e.concurrencyKey))) {
        const spans = executions.filter((e) => e.concurrencyKey === key).flatMap((e) => e.attempts);
        for (const span of spans) {
          const overlapping = spans.filter((other) => other.startedAt <= span.startedAt && other.finishedAt > span.startedAt).length;
          assert.ok(overlapping <= 2, `key ${key} had ${overlapping} running at ${span.startedAt}`);
        }
      }
    });
  });
}
