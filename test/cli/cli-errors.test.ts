import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deadUrl } from '../client/tiny-server.js';
import { runCli, type CliRun } from './run-cli.js';

/** A user error is one `error:` line (plus details), never a stack trace. */
function assertUserError(run: CliRun, pattern: RegExp, code = 1): void {
  assert.equal(run.code, code, `exit code; stderr: ${run.stderr}`);
  assert.match(run.stderr, /^error: /);
  assert.match(run.stderr, pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
}

describe('pontoon CLI: usage and user errors (no server needed)', () => {
  let dir: string;
  let url: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pontoon-cli-'));
    url = await deadUrl();
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('describes every command in --help, with where the API address comes from', async () => {
    const run = await runCli(['--help']);
    assert.equal(run.code, 0);
    for (const command of ['up', 'deploy', 'invoke', 'get', 'describe', 'logs', 'cancel', 'delete']) {
      assert.match(run.stdout, new RegExp(`^  ${command}\\b`, 'm'));
    }
    assert.match(run.stdout, /PONTOON_URL/);
    assert.match(run.stdout, /-n, --namespace/);
  });

  it('documents --wait, --batch and the exit codes in invoke --help', async () => {
    const run = await runCli(['invoke', '--help']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /--wait \[timeout\]/);
    assert.match(run.stdout, /--data <json>/);
    assert.match(run.stdout, /@file\.json/);
    assert.match(run.stdout, /--batch <file>/);
    assert.match(run.stdout, /2 when the --wait timeout ran out/);
  });

  it('refuses malformed --data naming it, before contacting any server', async () => {
    const run = await runCli(['invoke', 'primes', '--data', '[1,', '--url', url]);
    assertUserError(run, /--data is not valid JSON/);
  });

  it('names the file when --data @file holds malformed JSON or cannot be read', async () => {
    const file = join(dir, 'bad-input.json');
    writeFileSync(file, '{"from": 1,');
    assertUserError(await runCli(['invoke', 'primes', '--data', `@${file}`, '--url', url]), new RegExp(`bad-input\\.json is not valid JSON`));
    assertUserError(await runCli(['invoke', 'primes', '--data', `@${join(dir, 'nope.json')}`, '--url', url]), /cannot read .*nope\.json \(ENOENT\)/);
  });

  it('says the server cannot be reached and how to start it, using PONTOON_URL', async () => {
    const run = await runCli(['get', 'functions'], { env: { PONTOON_URL: url } });
    assertUserError(run, new RegExp(`cannot reach Pontoon at ${url}.*: is \`pontoon up\` running\\?`));
  });

  it('lets --url win over PONTOON_URL', async () => {
    const run = await runCli(['get', 'executions', '--url', url], { env: { PONTOON_URL: 'http://127.0.0.1:1' } });
    assertUserError(run, new RegExp(`cannot reach Pontoon at ${url}`));
  });

  it('refuses a priority out of range and a wait that is not a duration', async () => {
    const priority = await runCli(['invoke', 'primes', '--priority', '5000', '--url', url]);
    assert.equal(priority.code, 1);
    assert.match(priority.stderr, /--priority.*must be an integer from -1000 to 1000/);
    const wait = await runCli(['invoke', 'primes', '--wait', 'soon', '--url', url]);
    assert.equal(wait.code, 1);
    assert.match(wait.stderr, /--wait.*must be a duration/);
  });

  it('refuses an unknown -o format and an unknown command', async () => {
    const output = await runCli(['get', 'functions', '-o', 'xml', '--url', url]);
    assert.equal(output.code, 1);
    assert.match(output.stderr, /Allowed choices are json, yaml/);
    const unknown = await runCli(['explode']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /unknown command 'explode'/);
  });

  it('refuses malformed YAML naming the file, and deploys nothing', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'apiVersion: pontoon.dev/v1\nkind: Function\nmetadata: { name: x\nspec: [\n');
    // The server is unreachable: reaching it would be a different error, so parsing comes first.
    assertUserError(await runCli(['deploy', '-f', file, '--url', url]), /broken\.yaml: invalid YAML: /);
  });

  it('refuses a document without metadata.name, naming which document of the file', async () => {
    const file = join(dir, 'two.yaml');
    writeFileSync(file, 'apiVersion: pontoon.dev/v1\nkind: Function\nmetadata: {name: a}\nspec: {runtime: command}\n---\nkind: Function\nspec: {}\n');
    assertUserError(await runCli(['deploy', '-f', file, '--url', url]), /two\.yaml#2: metadata\.name is missing/);
  });

  it('refuses a directory without spec files and a path that does not exist', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'README.md'), 'not a spec');
    assertUserError(await runCli(['deploy', '-f', empty, '--url', url]), /no \.yaml, \.yml or \.json files/);
    assertUserError(await runCli(['deploy', '-f', join(dir, 'missing.yaml'), '--url', url]), /missing\.yaml: no such file or directory/);
  });

  it('refuses --batch combined with --data, and a batch file that is not an array', async () => {
    const file = join(dir, 'batch.json');
    writeFileSync(file, '{"not": "an array"}');
    assertUserError(await runCli(['invoke', 'primes', '--batch', file, '--data', '1', '--url', url]), /--batch cannot be combined with --data/);
    assertUserError(await runCli(['invoke', 'primes', '--batch', file, '--url', url]), /must hold a JSON array of inputs/);
  });
});
