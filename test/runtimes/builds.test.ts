import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';
import { conformanceFunctions } from '../conformance/languages.js';

/** Writes files into a fresh temp dir and returns its path. */
function sourceDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pontoon-src-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe('runtime builds', () => {
  let pontoon: TestPontoon;
  const made: string[] = [];
  const source = (files: Record<string, string>) => {
    const dir = sourceDir(files);
    made.push(dir);
    return dir;
  };
  const builds = (prefix: string) => readdirSync(join(pontoon.dataDir, 'builds')).filter((name) => name.startsWith(`${prefix}-`));

  before(async () => {
    pontoon = await startTestPontoon();
  });
  after(async () => {
    await pontoon?.close();
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  describe('a build failure fails the deploy with the compiler’s own message (422 BUILD_FAILED)', () => {
    const cases: { runtime: string; handler: string; files: Record<string, string>; says: RegExp[] }[] = [
      {
        runtime: 'java',
        handler: 'Broken',
        files: { 'Broken.java': 'public class Broken {\n  public static void main(String[] args) {\n    int x = "not a number";\n  }\n}\n' },
        says: [/Broken\.java:3: error: incompatible types/],
      },
      { runtime: 'go', handler: '.', files: { 'main.go': 'package main\n\nfunc main() {\n\tundefinedThing()\n}\n' }, says: [/main\.go:4:2: undefined: undefinedThing/] },
      { runtime: 'node', handler: 'broken.handle', files: { 'broken.ts': 'export const handle = (): number => "not a number";\n' }, says: [/broken\.ts\(1,\d+\): error TS2322/] },
      { runtime: 'python', handler: 'broken.handle', files: { 'broken.py': 'def handle(data, ctx)\n    return data\n' }, says: [/SyntaxError/, /broken\.py/] },
    ];
    for (const example of cases) {
      it(`${example.runtime}: the deploy answers 422 with the compiler's message, and nothing is stored`, async () => {
        const dir = source(example.files);
        const name = `broken-${example.runtime}`;
        const answer = await pontoon.deploy(name, { runtime: example.runtime, source: dir, handler: example.handler });
        assert.equal(answer.status, 422, JSON.stringify(answer.body));
        assert.equal(answer.body.error.code, 'BUILD_FAILED');
        for (const pattern of example.says) assert.match(answer.body.error.message, pattern);
        // The message points at the user's files, not at the build's temporary copy.
        assert.ok(!answer.body.error.message.includes('.tmp-'), answer.body.error.message);
        assert.ok(answer.body.error.message.includes(dir), `the message names the source dir ${dir}: ${answer.body.error.message}`);
        assert.equal((await pontoon.request('GET', `/v1/namespaces/default/functions/${name}`)).status, 404);
        assert.deepEqual(readdirSync(join(pontoon.dataDir, 'builds')).filter((entry) => entry.includes('.tmp-')), []);
      });
    }

    it('java: a handler class that the source does not declare fails the deploy', async () => {
      const dir = source({ 'Real.java': 'public class Real { public static void main(String[] a) {} }\n' });
      const answer = await pontoon.deploy('missing-class', { runtime: 'java', source: dir, handler: 'com.example.Missing' });
      assert.equal(answer.status, 422);
      assert.match(answer.body.error.message, /handler class com\.example\.Missing is not declared/);
    });
  });

  it('a second deploy of the same source reuses the build; changed source makes a new one', async () => {
    const dir = source({ 'main.go': 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("v1") }\n' });
    assert.equal((await pontoon.deploy('reuse-a', { runtime: 'go', source: dir })).status, 201);
    const first = builds('go');
    assert.equal(first.length, 1);
    // A file the build does not make: it survives only if the build is not made again.
    writeFileSync(join(pontoon.dataDir, 'builds', first[0], 'marker'), 'kept');
    assert.equal((await pontoon.deploy('reuse-b', { runtime: 'go', source: dir })).status, 201);
    assert.deepEqual(builds('go'), first);
    assert.ok(existsSync(join(pontoon.dataDir, 'builds', first[0], 'marker')));

    writeFileSync(join(dir, 'main.go'), 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("v2") }\n');
    assert.equal((await pontoon.deploy('reuse-a', { runtime: 'go', source: dir })).status, 200);
    assert.equal(builds('go').length, 2);
    const run = await pontoon.request('POST', '/v1/namespaces/default/functions/reuse-a/invoke?wait=30s', null);
    assert.equal(run.body.status, 'succeeded');
    const logs = await pontoon.request('GET', `/v1/namespaces/default/executions/${run.body.id}/logs`);
    assert.deepEqual(logs.body.items.map((item: { line: string }) => item.line), ['v2']);
  });

  it('concurrent deploys of one new source make one build and leave no temporary directory', async () => {
    const dir = source({ 'main.py': 'print("hello")\n' });
    const answers = await Promise.all([1, 2, 3].map((n) => pontoon.deploy(`concurrent-${n}`, { runtime: 'python', source: dir })));
    assert.deepEqual(answers.map((answer) => answer.status), [201, 201, 201]);
    const made = readdirSync(join(pontoon.dataDir, 'builds')).filter((name) => name.startsWith('python-'));
    assert.equal(made.filter((name) => !name.includes('.tmp-')).length, 1);
    assert.deepEqual(made.filter((name) => name.includes('.tmp-')), []);
  });

  it('python: a requirements.txt gets a virtual environment of its own, which the function runs in', async () => {
    const dir = source({
      'requirements.txt': '# nothing to install: the environment is still made\n',
      'check.py': 'import sys\nfrom pontoon_sdk import serve\n\ndef handle(data, ctx):\n    return sys.prefix != sys.base_prefix\n',
    });
    const answer = await pontoon.deploy('with-venv', { runtime: 'python', source: dir, handler: 'check.handle' });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    const run = await pontoon.request('POST', '/v1/namespaces/default/functions/with-venv/invoke?wait=30s', null);
    assert.equal(run.body.status, 'succeeded', JSON.stringify(run.body));
    assert.equal(run.body.result, true);
  });

  it('python: a handler gets its input as the type its first parameter declares, and the parsed JSON without one', async () => {
    const dir = source({
      'shapes.py': [
        'from __future__ import annotations',
        'from dataclasses import dataclass',
        '',
        '@dataclass',
        'class Range:',
        '    start: int',
        '    end: int',
        '',
        'def typed(r: Range, ctx) -> list:',
        '    return [type(r).__name__, r.end - r.start]',
        '',
        'def untyped(data, ctx: object):',
        '    return type(data).__name__',
        '',
      ].join('\n'),
    });
    for (const name of ['typed', 'untyped']) {
      const answer = await pontoon.deploy(`py-${name}`, { runtime: 'python', source: dir, handler: `shapes.${name}` });
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
    }
    const invoke = (name: string, input: unknown) => pontoon.request('POST', `/v1/namespaces/default/functions/${name}/invoke?wait=30s`, input);
    const typed = await invoke('py-typed', { start: 3, end: 10 });
    assert.equal(typed.body.status, 'succeeded', JSON.stringify(typed.body));
    assert.deepEqual(typed.body.result, ['Range', 7]);
    const misfit = await invoke('py-typed', { start: '3', end: 10 });
    assert.equal(misfit.body.status, 'failed', JSON.stringify(misfit.body));
    assert.match(JSON.stringify(misfit.body), /input does not match at \$\.start: expected an integer/);
    const untyped = await invoke('py-untyped', { start: 3 });
    assert.equal(untyped.body.status, 'succeeded', JSON.stringify(untyped.body));
    assert.equal(untyped.body.result, 'dict');
  });

  it('node: a JavaScript file runs as a program when no handler is named, and imports the SDK', async () => {
    const dir = source({ 'index.js': "import { done, getInput } from '@pontoon/sdk';\ndone({ got: getInput() });\n" });
    assert.equal((await pontoon.deploy('plain-js', { runtime: 'node', source: dir })).status, 201);
    const run = await pontoon.request('POST', '/v1/namespaces/default/functions/plain-js/invoke?wait=30s', [7]);
    assert.equal(run.body.status, 'succeeded', JSON.stringify(run.body));
    assert.deepEqual(run.body.result, { got: [7] });
  });

  it("node: a handler that is a property of the module's default export runs; a missing one fails naming it", async () => {
    const dir = source({ 'tools.js': 'export default { double: (n) => n * 2 };\n' });
    assert.equal((await pontoon.deploy('node-default', { runtime: 'node', source: dir, handler: 'tools.double' })).status, 201);
    const run = await pontoon.request('POST', '/v1/namespaces/default/functions/node-default/invoke?wait=30s', 21);
    assert.equal(run.body.status, 'succeeded', JSON.stringify(run.body));
    assert.equal(run.body.result, 42);
    assert.equal((await pontoon.deploy('node-missing', { runtime: 'node', source: dir, handler: 'tools.triple' })).status, 201);
    const missing = await pontoon.request('POST', '/v1/namespaces/default/functions/node-missing/invoke?wait=30s', 1);
    assert.equal(missing.body.status, 'failed', JSON.stringify(missing.body));
    assert.equal(missing.body.error, 'handler tools.triple: the module exports no function triple');
  });

  it('java: a class implementing the SDK Handler gets its input as the type it declares', async () => {
    const dir = source({
      'com/example/Sum.java':
        'package com.example;\nimport dev.pontoon.sdk.*;\nimport java.util.List;\npublic class Sum implements Handler<List<Integer>, Integer> {\n  public Integer handle(List<Integer> input, Context ctx) { return input.stream().mapToInt(Integer::intValue).sum(); }\n}\n',
    });
    assert.equal((await pontoon.deploy('java-sum', { runtime: 'java', source: dir, handler: 'com.example.Sum' })).status, 201);
    const run = await pontoon.request('POST', '/v1/namespaces/default/functions/java-sum/invoke?wait=30s', [1, 2, 3]);
    assert.equal(run.body.status, 'succeeded', JSON.stringify(run.body));
    assert.equal(run.body.result, 6);
  });

  it('a function’s source is snapshotted at deploy: editing it afterwards does not change what runs', async () => {
    const dir = source({});
    cpSync(conformanceFunctions.python.source, dir, { recursive: true });
    assert.equal((await pontoon.deploy('snapshot', { ...conformanceFunctions.python, source: dir })).status, 201);
    writeFileSync(join(dir, 'conformance.py'), 'def handle(data, ctx):\n    return "edited"\n');
    const run = await pontoon.request('POST', '/v1/namespaces/default/functions/snapshot/invoke?wait=30s', { action: 'echo', value: 'original' });
    assert.equal(run.body.result, 'original');
  });
});
