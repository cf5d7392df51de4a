import { format } from 'node:util';

/** Writes plain log lines with a level prefix; the observer timestamps them. */
export class Logger {
  /** A logger over two writers: debug and info go to `out`, warn and error to `err`. */
  constructor(
    private readonly out: (text: string) => void = (text) => process.stdout.write(text),
    private readonly err: (text: string) => void = (text) => process.stderr.write(text),
  ) {}

  /** Logs at debug level; arguments are formatted like console.log. */
  debug(message: unknown, ...args: unknown[]): void {
    this.out(lines('DEBUG', message, args));
  }

  /** Logs at info level. */
  info(message: unknown, ...args: unknown[]): void {
    this.out(lines('INFO', message, args));
  }

  /** Logs at warn level. */
  warn(message: unknown, ...args: unknown[]): void {
    this.err(lines('WARN', message, args));
  }

  /** Logs at error level. */
  error(message: unknown, ...args: unknown[]): void {
    this.err(lines('ERROR', message, args));
  }
}

// Each physical line carries the level, because the observer splits logs into lines.
function lines(level: string, message: unknown, args: unknown[]): string {
  return format(message, ...args)
    .split(/\r?\n/)
    .map((line) => `[${level}] ${line}\n`)
    .join('');
}
