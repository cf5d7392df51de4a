import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';
import { repoRoot } from './languages.js';

const examplesDir = join(repoRoot, 'examples');
const primeFinders = ['primes-node', 'primes-python', 'primes-java', 'primes-go'];

/** The names of the Function documents in every examples/<dir>/*.yaml. */
function exampleNames(): string[] {
  const names: string[] = [];
  for (const dir of readdirSync(examplesDir, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const file of readdirSync(join(examplesDir, dir.name)).filter((name) => /\.ya?ml$/.test(name))) {
      for (const document of parseAllDocuments(readFileSync(join(examplesDir, dir.name, file), 'utf8'))) {
        const parsed = document.toJS() as { kind?: string; metadata?: { name?: string } };
        if (parsed?.kind === 'Function' && parsed.metadata?.name) names.push(parsed.metadata.name);
      }
    }
  }
  return names.sort();
}

describe('the examples', () => {
  let pontoon: TestPontoon;
  before(async () => {
    pontoon = await startTestPontoon({ examples: true, examplesDir });
  });
  after(() => pontoon?.close());

  it('are all deployed at start, the prime finder in four languages among them', async () => {
    const expected = exampleNames();
    for (const name of primeFinders) assert.ok(expected.includes(name), `examples/ has no function ${name}`);
    for (const name of expected) {
      const answer = await pontoon.request('GET', `/v1/namespaces/default/functions/${name}`);
      assert.equal(answer.status, 200, `example ${name} was not deployed: ${JSON.stringify(answer.body)}`);
    }
  });

  for (const name of primeFinders) {
    it(`${name} finds the primes in [1, 30] and logs a line`, async () => {
      const answer = await pontoon.request('POST', `/v1/namespaces/default/functions/${name}/invoke?wait=60s`, [1, 30]);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.status, 'succeeded', JSON.stringify(answer.body));
      assert.deepEqual(answer.body.result, [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]);
      const logs = await pontoon.request('GET', `/v1/namespaces/default/executions/${answer.body.id}/logs`);
      assert.ok(
        logs.body.items.some((item: { line: string }) => item.line === '[INFO] looking for primes between 1 and 30'),
        JSON.stringify(logs.body.items),
      );
    });

    it(`${name} fails on input that is not [from, to]`, async () => {
      const answer = await pontoon.request('POST', `/v1/namespaces/default/functions/${name}/invoke?wait=60s`, [30, 1]);
      assert.equal(answer.body.status, 'failed', JSON.stringify(answer.body));
      assert.equal(answer.body.error, 'input must be [from, to] with integers from <= to');
    });
  }
});
