import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'fixture.js');
const sdkModule = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'index.js');

describe('exit paths: a real child process under the function contract', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pontoon-sdk-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function run(mode: string, input: string) {
    return runProgram([fixture, mode], input);
  }

  function runProgram(args: string[], input: string) {
    writeFileSync(join(dir, 'input.json'), input);
    const child = spawnSync(process.execPath, args, {
      env: {
        PATH: process.env.PATH,
        PONTOON_INPUT: join(dir, 'input.json'),
        PONTOON_OUTPUT: join(dir, 'output.json'),
        PONTOON_ERROR: join(dir, 'error.txt'),
        PONTOON_ATTEMPT: '2',
        PONTOON_FUNCTION: 'primes',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { code: child.status, stdout: child.stdout, stderr: child.stderr };
  }

  const read = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : undefined);

  it("done(result) writes the result file and exits 0; the logger's lines reach stdout", () => {
    const child = run('watcher-done', '[10, 30]');
    assert.equal(child.code, 0, child.stderr);
    assert.equal(read('output.json'), '[11,13,17,19,23,29]');
    assert.equal(read('error.txt'), undefined);
    assert.match(child.stdout, /^\[INFO\] attempt 2 of primes$/m);
  });

  it('fail(message) writes the message to the error file and exits 1', () => {
    const child = run('watcher-fail', 'null');
    assert.equal(child.code, 1);
    assert.equal(read('error.txt'), 'no primes today');
    assert.equal(read('output.json'), undefined);
  });

  it('serve runs the handler and writes its result', () => {
    const child = run('serve', '[1, 10]');
    assert.equal(child.code, 0, child.stderr);
    assert.equal(read('output.json'), '[2,3,5,7]');
  });

  it('serve turns a thrown error into a failure with its message and exit 1', () => {
    const child = run('serve', '[10, 1]');
    assert.equal(child.code, 1);
    assert.equal(read('error.txt'), 'from > to');
    assert.equal(read('output.json'), undefined);
    assert.match(child.stderr, /^\[ERROR\] RangeError: from > to$/m);
  });

  it('serve fails with a clear message when the input is not JSON', () => {
    const child = run('serve', '[1,');
    assert.equal(child.code, 1);
    assert.match(read('error.txt') ?? '', /^input is not valid JSON/);
  });

  describe('run as the program, the SDK is the handler runner', () => {
    beforeEach(() => {
      writeFileSync(join(dir, 'handlers.mjs'), 'export function sum([a, b]) { return a + b; }\nexport default { twice: (n) => n * 2 };\n');
    });

    it('serves a named export of the module it is given', () => {
      const child = runProgram([sdkModule, join(dir, 'handlers.mjs'), 'sum'], '[2, 3]');
      assert.equal(child.code, 0, child.stderr);
      assert.equal(read('output.json'), '5');
    });

    it("serves a property of the module's default export", () => {
      const child = runProgram([sdkModule, join(dir, 'handlers.mjs'), 'twice'], '4');
      assert.equal(child.code, 0, child.stderr);
      assert.equal(read('output.json'), '8');
    });

    it('fails with a message naming the handler when the module exports no such function', () => {
      const child = runProgram([sdkModule, join(dir, 'handlers.mjs'), 'nope', 'handlers.nope'], 'null');
      assert.equal(child.code, 1);
      assert.equal(read('error.txt'), 'handler handlers.nope: the module exports no function nope');
    });
  });
});
