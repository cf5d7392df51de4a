import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Contract, ContractError, ENV } from '../src/index.js';

describe('Contract: the files of the function contract', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pontoon-sdk-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the input JSON text from the file named by PONTOON_INPUT', () => {
    writeFileSync(join(dir, 'input.json'), '[1, 10]');
    assert.equal(new Contract({ [ENV.input]: join(dir, 'input.json') }).readInputJson(), '[1, 10]');
  });

  it('treats a program run outside Pontoon (no PONTOON_INPUT) as having a null input', () => {
    assert.equal(new Contract({}).readInputJson(), 'null');
  });

  it('says which file it could not read when the input file is missing', () => {
    const path = join(dir, 'absent.json');
    assert.throws(() => new Contract({ [ENV.input]: path }).readInputJson(), (err: unknown) => {
      assert.ok(err instanceof ContractError);
      assert.match(err.message, new RegExp(path));
      return true;
    });
  });

  it('writes the result to PONTOON_OUTPUT and the failure message to PONTOON_ERROR', () => {
    const env = { [ENV.output]: join(dir, 'output.json'), [ENV.error]: join(dir, 'error.txt') };
    const printed: string[] = [];
    const contract = new Contract(env, { out: (t) => printed.push(t), err: (t) => printed.push(t) });
    contract.writeOutputJson('[2,3,5]');
    contract.writeError('no primes today');
    assert.equal(readFileSync(env[ENV.output], 'utf8'), '[2,3,5]');
    assert.equal(readFileSync(env[ENV.error], 'utf8'), 'no primes today');
    assert.deepEqual(printed, []);
  });

  it('prints the result to stdout and the failure to stderr outside Pontoon', () => {
    const out: string[] = [];
    const err: string[] = [];
    const contract = new Contract({}, { out: (t) => out.push(t), err: (t) => err.push(t) });
    contract.writeOutputJson('42');
    contract.writeError('broken');
    assert.deepEqual(out, ['42\n']);
    assert.deepEqual(err, ['broken\n']);
  });
});
