import { fork, type ChildProcess } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { asError } from '../../domain/errors.js';
import type { HostCommand, HostEvent, HostEventBatch } from '../../observer/host/protocol.js';

/** The host's entry point, next to the observer modules it loads. */
const hostEntry = fileURLToPath(new URL('../../observer/host/main.js', import.meta.url));

/** How long close() waits for the host to leave after disconnecting before it kills it. */
const closeWaitMs = 5000;

/**
 * How much nicer than the controller the host, and so every program it starts, runs. When the
 * programs saturate the CPU, the controller (API, dispatch, settlement) still gets it first, so
 * invocations stay fast and freed slots are refilled at once; a machine that is not saturated
 * runs the programs as fast as before. On the cold-path benchmark (2 cores, saturated) the ratio
 * to the bare loop went from 0.70 to 0.74 (means of 15 rounds each, alternated).
 */
const hostNiceness = 5;

/** What an observer host tells its executor. */
export interface ObserverHostListener {
  /** An event about one attempt, in the order the host sent them. */
  event(event: Exclude<HostEvent, { type: 'ready' }>): void;
  /** The host is gone (`why` says how); no further event comes from it. */
  exited(why: string): void;
}

/**
 * The executor's side of one observer host process (src/observer/host/main.ts): forks it, queues
 * commands until it listens, and tells the executor when it exits.
 */
export class ObserverHost {
  private readonly child: ChildProcess;
  private readonly queued: HostCommand[] = [];
  private ready = false;
  private gone = false;
  private readonly exit: Promise<void>;

  /** `env` is the host's environment, which the programs it starts inherit. */
  constructor(
    private readonly listener: ObserverHostListener,
    env: NodeJS.ProcessEnv,
  ) {
    // No execArgv: the controller's own flags (`-e script`, `--test`) would run in the host too.
    // JSON: its messages are small, and it measured faster than 'advanced' (see LocalExecutor).
    this.child = fork(hostEntry, [], { env, execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
    if (this.child.pid !== undefined) lowerPriority(this.child.pid);
    this.exit = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.leave(signal ? `killed by ${signal}` : `exit code ${code}`);
        resolve();
      });
    });
    this.child.on('error', (error) => {
      // Fork itself failed (no exit event follows) or a send failed (exit follows).
      if (this.child.pid === undefined) this.leave(`could not start: ${error.message}`);
    });
    this.child.on('message', (batch: HostEventBatch) => {
      for (const event of batch) {
        if (event.type === 'ready') this.listen();
        else this.listener.event(event);
      }
    });
    this.idle(true);
  }

  /** Process id of the host, when it started. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends a command, or keeps it until the host listens. Lost silently once the host is gone. */
  send(command: HostCommand): void {
    if (this.gone) return;
    if (!this.ready) this.queued.push(command);
    else this.child.send(command, (error) => error && !this.gone && process.emitWarning(`observer host: ${asError(error).message}`));
  }

  /**
   * While idle, the host does not keep the executor's process alive (a server that closes
   * without close() still exits); while attempts run it does, as their own processes used to.
   */
  idle(idle: boolean): void {
    const channel = this.child.channel as { ref?(): void; unref?(): void } | undefined;
    if (idle) {
      this.child.unref();
      channel?.unref?.();
    } else {
      this.child.ref();
      channel?.ref?.();
    }
  }

  /** Disconnects, so the host ends what it still runs and exits; kills it if it lingers. */
  async close(): Promise<void> {
    if (this.gone) return;
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), closeWaitMs);
    await this.exit;
    clearTimeout(timer);
  }

  private listen(): void {
    this.ready = true;
    for (const command of this.queued.splice(0)) this.send(command);
  }

  private leave(why: string): void {
    if (this.gone) return;
    this.gone = true;
    this.queued.length = 0;
    this.listener.exited(why);
  }
}

/** Makes a host nicer than this process by hostNiceness (raising niceness needs no privilege). */
function lowerPriority(pid: number): void {
  try {
    setPriority(pid, Math.min(19, getPriority() + hostNiceness));
  } catch (thrown) {
    process.emitWarning(`observer host: cannot lower its priority: ${asError(thrown).message}`);
  }
}
