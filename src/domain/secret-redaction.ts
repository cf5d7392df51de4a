/** What stands for a secret's value wherever a function's output would show it. */
export const redactedSecret = '[REDACTED]';

/**
 * Text with every occurrence of each value replaced by [REDACTED]. Longer values first, so a
 * value that contains another is replaced whole. Empty values are never looked for.
 */
export function redactSecrets(text: string, values: readonly string[]): string {
  let redacted = text;
  for (const value of [...values].filter((candidate) => candidate !== '').sort((a, b) => b.length - a.length)) {
    if (redacted.includes(value)) redacted = redacted.split(value).join(redactedSecret);
  }
  return redacted;
}
