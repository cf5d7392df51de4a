import { asError } from '../../domain/errors.js';
import { LogCapture } from '../../observer/log-capture.js';
import { isKubeStatus, type KubeApi } from '../../kubernetes/kube-api.js';
import type { LogLine } from '../../store/store.js';
import { podLayout } from './pod-layout.js';

/** How an attempt's log follower is made. */
export interface PodLogOptions {
  api: KubeApi;
  namespace: string;
  limitBytes: number;
  onLines(lines: LogLine[]): void;
  /**
   * Lines of the program already stored (an adopted attempt's, read by the controller's previous
   * run): the log is read again from its start and these are not delivered twice.
   */
  skipLines?: number;
}

/** How often a follow is retried while the container is still being created. */
const retryDelayMs = 500;
const maxRetries = 40;
/** What the kubelet says of a container that has no log yet, as opposed to one that has none at all. */
const notStartedYet = /waiting to start|ContainerCreating|PodInitializing/;

/**
 * Follows the function container's log through the API server while the attempt runs, so its
 * lines are stored as they come and are safe before the pod is collected (a Job past its deadline
 * has its pod deleted at once). The API server merges stdout and stderr, so lines are stored as
 * `stdout`. Capped at the attempt's log limit like local attempts (LogCapture).
 */
export class PodLogFollower {
  private readonly capture: LogCapture;
  private readonly abort = new AbortController();
  private following: Promise<void> | undefined;
  /** The last line the program printed, for a failure's message. */
  lastLine = '';

  constructor(private readonly options: PodLogOptions) {
    let skip = options.skipLines ?? 0;
    this.capture = new LogCapture({
      limitBytes: options.limitBytes,
      onLines: (lines) => {
        for (const line of lines) if (line.stream !== 'system' && line.line.trim()) this.lastLine = line.line;
        // Skipped after the capture, so that the log limit still counts the lines stored before.
        const fresh = lines.filter((line) => {
          if (line.stream === 'system' || skip === 0) return true;
          skip -= 1;
          return false;
        });
        if (fresh.length > 0) options.onLines(fresh);
      },
    });
  }

  /** True once following has begun. */
  get started(): boolean {
    return this.following !== undefined;
  }

  /** Starts following the pod's function container (once). */
  follow(podName: string): void {
    if (this.following) return;
    this.following = this.run(podName);
  }

  /** Waits for the log to end (the container ended), at most `timeoutMs`, then flushes what was read. */
  async finish(timeoutMs: number): Promise<void> {
    if (this.following) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.following, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    }
    this.abort.abort();
    this.capture.end('stdout');
    this.capture.flush();
  }

  /** Adds one of Pontoon's own lines to the attempt's log. */
  system(line: string): void {
    this.capture.system(line);
  }

  /** Stops following without flushing (a stopped attempt reports nothing). */
  cancel(): void {
    this.abort.abort();
  }

  private async run(podName: string): Promise<void> {
    const path = `/api/v1/namespaces/${this.options.namespace}/pods/${podName}/log`;
    for (let attempt = 0; attempt < maxRetries && !this.abort.signal.aborted; attempt++) {
      try {
        await this.options.api.stream(path, { container: podLayout.containers.function, follow: true }, (chunk) => this.capture.write('stdout', chunk), this.abort.signal);
        return;
      } catch (thrown) {
        // 400 while the container is still being created: it will have a log soon.
        if (isKubeStatus(thrown, 400) && notStartedYet.test(asError(thrown).message) && attempt + 1 < maxRetries) {
          await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
          continue;
        }
        if (!this.abort.signal.aborted) this.capture.system(`[pontoon] the pod’s log could not be read: ${asError(thrown).message}`);
        return;
      }
    }
  }
}
