/** How the server's log lines look: one JSON object a line (for log collectors), or lines for people. */
export type LogFormat = 'json' | 'pretty';

/** The formats `pontoon up --log-format` takes: `auto` is `pretty` on a terminal, `json` otherwise. */
export const logFormats = ['auto', 'json', 'pretty'] as const;

/** A `--log-format` choice. */
export type LogFormatChoice = (typeof logFormats)[number];

/** `pretty` when stdout is a terminal, `json` when it is a pipe or a file (a container, a log collector). */
export function logFormatFor(choice: LogFormatChoice, stdout: { isTTY?: boolean } = process.stdout): LogFormat {
  if (choice === 'auto') return stdout.isTTY ? 'pretty' : 'json';
  return choice;
}
