/**
 * The observer host: a small long-lived process that a local executor forks once and that starts
 * and watches every attempt's program for it (runProgram), sending logs and reports back over its
 * IPC channel. It loads the observer modules only (no HTTP server, no store), because fork()
 * costs grow with the parent's memory: spawning `true` measured ~500/s from a plain Node process
 * and ~200–340/s from the controller at 100–150 MiB RSS, where spawn took ~47% of the main thread.
 *
 * Lifecycle:
 * - the executor disconnects (close) or dies (kill -9): the channel closes, and the host kills
 *   the process groups of the attempts it still runs, removes their work dirs and exits, so no
 *   program outlives the controller that was watching it. A crash that takes the host too is
 *   covered by the next executor's orphan sweep (pid files).
 * - the host dies: the executor sees it exit, fails the attempts it had and forks a new one.
 */
import { readdirSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asError } from '../../domain/errors.js';
import type { AttemptReport } from '../../domain/execution.js';
import { workDirFiles } from '../contract.js';
import { containmentSupport, endContained } from '../containment.js';
import { runProgram, type ProgramHandle } from '../run-program.js';
import type { HostCommand, HostEvent, HostedProgram } from './protocol.js';

/** One program this host runs, from `start` until its `ended` is sent. */
interface HostedAttempt {
  handle: ProgramHandle;
  workDir: string;
}

/** How long, after the executor is gone, the killed programs get to be reaped before we exit. */
const orphanReapMs = 2000;

const attempts = new Map<string, HostedAttempt>();
// The executor forks the host with what programs may inherit (see inherited-env.ts). A plain
// copy taken once: spreading process.env (an exotic object) per attempt costs more.
const baseEnv: NodeJS.ProcessEnv = { ...process.env };
let outbox: HostEvent[] = [];

/**
 * Queues an event; everything queued in one turn of the event loop goes as one IPC message
 * (an attempt's last logs and its report, or several attempts ending together).
 */
function post(event: HostEvent): void {
  outbox.push(event);
  if (outbox.length === 1) setImmediate(flush);
}

function flush(): void {
  const batch = outbox;
  outbox = [];
  if (batch.length > 0 && process.connected) process.send?.(batch, undefined, undefined, () => undefined);
}

/**
 * Starts one attempt's program. Nothing is sent back until it ends: an acknowledgement per start
 * was one more wake-up of the executor per attempt, and every one counts on the cold path (see
 * LocalExecutor). The pid (and the attempt's cgroup) go to the work dir's pid file, where the
 * orphan sweep reads them.
 */
function start(key: string, program: HostedProgram): void {
  if (attempts.has(key)) {
    post({ type: 'ended', key, report: startFailed(`attempt ${key} is already running`) });
    return;
  }
  const { deadlineMs, ...options } = program;
  let handle: ProgramHandle;
  try {
    handle = runProgram({ ...options, baseEnv, deadline: new Date(deadlineMs), onLogs: (lines) => post({ type: 'logs', key, lines }) });
  } catch (thrown) {
    removeWorkDir(program.workDir);
    post({ type: 'ended', key, report: startFailed(`cannot prepare the attempt's work dir: ${asError(thrown).message}`) });
    return;
  }
  const attempt: HostedAttempt = { handle, workDir: program.workDir };
  attempts.set(key, attempt);
  // The pid file only serves the orphan sweep after a crash: failing to write it must not fail an
  // attempt that is already running.
  if (handle.pid !== undefined) {
    try {
      // With the attempt's cgroup on the next line: one file write per attempt rather than two.
      // 'wx': never through a file or symlink the program (owner of its work dir) put there first.
      const record = handle.attemptCgroup ? `${handle.pid}\n${handle.attemptCgroup}` : String(handle.pid);
      writeFileSync(join(program.workDir, workDirFiles.pid), record, { flag: 'wx', mode: 0o600 });
    } catch (thrown) {
      process.emitWarning(`cannot write the pid file of ${key}: ${asError(thrown).message}`);
    }
  }
  void handle.report.then((report) => {
    attempts.delete(key);
    post(report ? { type: 'ended', key, report } : { type: 'ended', key });
    // After the batch holding the report is sent (immediates run in order): it is not delayed.
    setImmediate(() => removeWorkDir(attempt.workDir));
  });
}

function startFailed(error: string): AttemptReport {
  return { status: 'failed', exitCode: null, reason: 'StartFailed', error, result: null };
}

/**
 * Synchronously: rmSync took 0.15 ms per attempt where fs.promises.rm took 1 ms of round trips.
 * A work dir usually holds a few plain files, which are unlinked by name: rmSync's walk tries
 * rmdir first (an ENOTEMPTY exception) and lstats every entry, and took 0.18 ms of the host's
 * ~2 ms per attempt. Anything else (a program's own subdirectories) goes through rmSync.
 */
function removeWorkDir(dir: string): void {
  try {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) rmSync(path, { recursive: true, force: true });
      else unlinkSync(path);
    }
    rmdirSync(dir);
  } catch (thrown) {
    if ((thrown as NodeJS.ErrnoException).code === 'ENOENT') return;
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (again) {
      process.emitWarning(`cannot remove attempt work dir ${dir}: ${asError(again).message}`);
    }
  }
}

/**
 * The executor is gone. Its attempts would be retried elsewhere, so their programs are killed at
 * once (SIGKILL, as the orphan sweep would) rather than given a grace period nobody waits for.
 */
function executorGone(): void {
  const running = [...attempts.values()];
  for (const { handle } of running) handle.kill();
  // And whatever else the host's cgroup holds: leftovers no attempt's end could tell apart.
  endContained();
  const reaped = Promise.all(running.map(({ handle, workDir }) => handle.report.then(() => removeWorkDir(workDir))));
  // A program whose pipes an escaped process still holds may take up to runProgram's drain wait.
  const bound = new Promise((resolve) => setTimeout(resolve, orphanReapMs));
  void Promise.race([reaped, bound]).then(() => process.exit(0));
}

process.on('message', (command: HostCommand) => {
  if (command.type === 'start') start(command.key, command.program);
  else if (command.type === 'stop') void attempts.get(command.key)?.handle.stop();
});
process.on('disconnect', executorGone);
// Ctrl-C reaches the whole foreground process group: the executor stops the attempts through us
// while it shuts down, so we must outlive it and leave when it disconnects.
process.on('SIGINT', () => undefined);
// Into the host's own cgroup (or made a subreaper) before the first program starts.
containmentSupport();
if (!process.connected) executorGone();
else post({ type: 'ready' });
