import { asError } from '../domain/errors.js';

/**
 * A level-triggered background loop: runs `pass` every `intervalMs`, or sooner when woken, never
 * two passes at once. A wake during a pass schedules one more pass right after it, so no wake-up
 * is lost and a burst of wake-ups costs one pass.
 */
export class Loop {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private again = false;
  private stopped = true;
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly pass: () => Promise<void>,
    private readonly onError: (name: string, error: Error) => void,
  ) {}

  /** Starts the loop with an immediate pass. */
  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** Asks for a pass as soon as possible. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = true;
    this.idle = this.run();
  }

  /** Stops scheduling passes and waits for the current one to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.idle;
  }

  private async run(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.pass();
      } catch (thrown) {
        this.onError(this.name, asError(thrown));
      }
    } while (this.again && !this.stopped);
    this.running = false;
    if (!this.stopped) this.timer = setTimeout(() => this.wake(), this.intervalMs);
  }
}
