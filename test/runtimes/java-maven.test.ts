import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';
import { greeterSource, writeMavenProject } from './maven-project.js';

/** A Maven project: the pom, and its sources under src/main/java. */
function mavenProject(root: string, source: string): string {
  return writeMavenProject(mkdtempSync(join(root, 'project-')), 'greeter', { Greeter: source });
}

describe('java runtime: a source with a pom.xml is built with Maven', () => {
  let pontoon: TestPontoon;
  let root: string;

  before(async () => {
    pontoon = await startTestPontoon();
    root = mkdtempSync(join(tmpdir(), 'pontoon-maven-'));
  });
  after(async () => {
    await pontoon?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('compiles the project against the SDK from the local repository and runs its handler', async () => {
    const answer = await pontoon.deploy('maven-greeter', { runtime: 'java', source: mavenProject(root, greeterSource), handler: 'com.example.Greeter', retry: { limit: 0 } });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    const run = await pontoon.request('POST', '/v1/namespaces/default/functions/maven-greeter/invoke?wait=60s', { name: 'ada' });
    assert.equal(run.body.status, 'succeeded', JSON.stringify(run.body));
    assert.equal(run.body.result, 'hello ada');
    const logs = await pontoon.request('GET', `/v1/namespaces/default/executions/${run.body.id}/logs`);
    assert.deepEqual((logs.body.items as { line: string }[]).map((item) => item.line), ['greeting ada']);
  });

  it('refuses a project that does not compile, with the compiler’s own message', async () => {
    const broken = mavenProject(root, greeterSource.replace('return "hello " + who.name();', 'return 42;'));
    const answer = await pontoon.deploy('maven-broken', { runtime: 'java', source: broken, handler: 'com.example.Greeter' });
    assert.equal(answer.status, 422, JSON.stringify(answer.body));
    assert.equal(answer.body.error.code, 'BUILD_FAILED');
    assert.match(answer.body.error.message, /Greeter\.java.*incompatible types/s);
  });
});
