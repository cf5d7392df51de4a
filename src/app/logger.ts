import { pino, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';
import type { LogFormat } from './log-format.js';

/** The server's logger on stdout. */
export function createLogger(level: string, format: LogFormat): Logger {
  if (format === 'json') return pino({ level });
  // Formatted in this thread and written synchronously: pino's worker-thread transport would lose
  // the last lines when `up` exits on Ctrl-C. pid and hostname say nothing to the person watching.
  return pino({ level }, PinoPretty({ sync: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
}
