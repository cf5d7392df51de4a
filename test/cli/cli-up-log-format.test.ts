import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { which } from '../../src/runtimes/build-tools.js';
import { cliMain } from './run-cli.js';

/** What `pontoon up` printed on stdout (where its logs go) until it was up, colours taken out. */
interface UpOutput {
  lines: string[];
}

const ansi = /\x1b\[[0-9;]*m/g;

/**
 * Runs `pontoon up` until it is up, then stops it. On a terminal when `terminal` is set:
 * util-linux's `script` gives it a pseudo-terminal as stdin, stdout and stderr.
 */
async function upOutput(dataDir: string, args: string[], options: { terminal: boolean; env?: Record<string, string> }): Promise<UpOutput> {
  const command = [process.execPath, cliMain, 'up', '--port', '0', '--data-dir', dataDir, ...args];
  const env: NodeJS.ProcessEnv = { ...process.env, PONTOON_LOG_FORMAT: '', ...options.env };
  if (!env.PONTOON_LOG_FORMAT) delete env.PONTOON_LOG_FORMAT;
  const child = options.terminal
    ? spawn('script', ['-qfec', `exec ${command.map((part) => `'${part}'`).join(' ')}`, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(command[0]!, command.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    await new Promise<void>((resolve, reject) => {
      // The CLI's own line, and the logger's (JSON lines are written asynchronously, so either first).
      child.stdout!.on('data', () => /Pontoon is up at http/.test(output) && /pontoon is up/.test(output) && resolve());
      void exited.then(() => reject(new Error(`pontoon up exited before it was up:\n${output}${errors}`)));
    });
    // `exec`: the server is script's child, and stops as its terminal hangs up or on this TERM.
    child.kill('SIGTERM');
    await exited;
  } finally {
    clearTimeout(killer);
    child.kill('SIGKILL');
  }
  // On a terminal, stderr is the same terminal: the CLI's own line about the TERM is left out.
  return { lines: output.replace(ansi, '').split(/\r?\n/).filter((line) => line.trim() !== '' && !/^SIGTERM: stopping/.test(line)) };
}

const isJson = (line: string) => {
  try {
    return typeof JSON.parse(line) === 'object';
  } catch {
    return false;
  }
};

describe('pontoon up: log lines readable on a terminal, JSON otherwise', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pontoon-up-logs-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('on a terminal, prints readable lines: time, level and message, no JSON', { skip: which('script') ? false : 'util-linux script is not installed' }, async () => {
    const { lines } = await upOutput(join(dir, 'tty'), [], { terminal: true });
    const up = lines.find((line) => line.includes('pontoon is up'));
    assert.ok(up, lines.join('\n'));
    assert.match(up, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: pontoon is up \{.*"url":"http:\/\/127\.0\.0\.1:\d+"/);
    assert.deepEqual(lines.filter(isJson), []);
  });

  it('with stdout a pipe, prints one JSON object a line', async () => {
    const { lines } = await upOutput(join(dir, 'pipe'), [], { terminal: false });
    const logLines = lines.filter((line) => !line.startsWith('Pontoon is up at'));
    assert.ok(logLines.length > 0);
    for (const line of logLines) assert.ok(isJson(line), `not JSON: ${line}`);
    assert.ok(logLines.some((line) => JSON.parse(line).msg === 'pontoon is up'), logLines.join('\n'));
  });

  it('--log-format and PONTOON_LOG_FORMAT choose either way', { skip: which('script') ? false : 'util-linux script is not installed' }, async () => {
    const pretty = await upOutput(join(dir, 'pretty'), ['--log-format', 'pretty'], { terminal: false });
    assert.ok(pretty.lines.some((line) => /^\[[\d:.]+\] INFO: pontoon is up/.test(line)), pretty.lines.join('\n'));
    assert.deepEqual(pretty.lines.filter(isJson), []);
    const json = await upOutput(join(dir, 'json'), [], { terminal: true, env: { PONTOON_LOG_FORMAT: 'json' } });
    assert.ok(json.lines.some((line) => isJson(line) && JSON.parse(line).msg === 'pontoon is up'), json.lines.join('\n'));
  });
});
