import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { FunctionVersion } from '../../src/domain/function-spec.js';
import { validateFunctionDocument } from '../../src/domain/validate-spec.js';
import { createRuntimes } from '../../src/runtimes/registry.js';

/**
 * Which launches speak the replica protocol (docs/warm-replicas.md): an SDK's handler runner does,
 * a program form does not and must run on demand even with spec.warm. The runtime says so in the
 * launch plan, from the build, since the spec alone cannot tell (python `mod` vs `mod.fn`, a Java
 * class with or without a static main, a Go main that calls Serve or the watcher API).
 */
describe('runtimes: which launch plans speak the replica protocol', () => {
  const made: string[] = [];
  const temp = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
  const runtimes = createRuntimes({ cacheDir: temp('pontoon-builds-') });
  after(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  const fn = (runtime: string, handler: string | undefined, files: Record<string, string>): FunctionVersion => {
    const source = temp('pontoon-src-');
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(source, name, '..'), { recursive: true });
      writeFileSync(join(source, name), text);
    }
    const document = validateFunctionDocument({
      apiVersion: 'pontoon.dev/v1',
      kind: 'Function',
      metadata: { name: `f-${runtime}`, namespace: 'default' },
      spec: { runtime, source, ...(handler ? { handler } : {}), warm: { max: 1 } },
    });
    return { namespace: 'default', name: `f-${runtime}`, version: 1, document, createdAt: new Date().toISOString() };
  };
  const replica = async (version: FunctionVersion) => (await runtimes.plan(version)).replica;

  it('python: module.function is the handler runner; a module run as a program and main.py are not', async () => {
    assert.equal(await replica(fn('python', 'work.handler', { 'work.py': 'def handler(data, ctx):\n    return data\n' })), true);
    assert.equal(await replica(fn('python', 'job', { 'job.py': 'import pontoon_sdk\npontoon_sdk.done(1)\n' })), false);
    assert.equal(await replica(fn('python', undefined, { 'main.py': 'print(1)\n' })), false);
  });

  it('java: a class implementing Handler is the handler runner; a class with a static main is not', async () => {
    const handler = 'package ex;\nimport dev.pontoon.sdk.*;\npublic class Echo implements Handler<Object, Object> {\n  public Object handle(Object input, Context ctx) { return input; }\n}\n';
    const program = 'package ex;\npublic class Main {\n  public static void main(String[] args) { System.out.println(1); }\n}\n';
    assert.equal(await replica(fn('java', 'ex.Echo', { 'ex/Echo.java': handler })), true);
    assert.equal(await replica(fn('java', 'ex.Main', { 'ex/Main.java': program })), false);
  });

  it('go: a main that calls Serve (under any import name) is the handler runner; a watcher program is not', async () => {
    const plain = 'package main\n\nimport pontoon "pontoon.dev/sdk/go"\n\nfunc echo(ctx *pontoon.Context, in any) (any, error) { return in, nil }\n\nfunc main() { pontoon.Serve(echo) }\n';
    const aliased = 'package main\n\nimport (\n\t"fmt"\n\tsdk "pontoon.dev/sdk/go"\n)\n\nfunc echo(ctx *sdk.Context, in any) (string, error) { return fmt.Sprint(in), nil }\n\nfunc main() { sdk.Serve[any, string](echo) }\n';
    assert.equal(await replica(fn('go', undefined, { 'main.go': plain })), true);
    assert.equal(await replica(fn('go', undefined, { 'main.go': aliased })), true);
    const watcher = 'package main\n\nimport pontoon "pontoon.dev/sdk/go"\n\nfunc main() {\n\tinput, _ := pontoon.GetInput()\n\tpontoon.Done(input)\n}\n';
    assert.equal(await replica(fn('go', undefined, { 'main.go': watcher })), false);
  });
});
