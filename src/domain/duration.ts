import ms from 'ms';

/** A duration string: a number and a unit (`500ms`, `30s`, `2m`, `1h`, `1d`). */
export const durationPattern = '^[0-9]+(\\.[0-9]+)?(ms|s|m|h|d)$';
const durationRegExp = new RegExp(durationPattern);

/** Parses a duration string to milliseconds; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (!durationRegExp.test(text)) return undefined;
  const value = ms(text as ms.StringValue);
  return Number.isFinite(value) ? value : undefined;
}

/** Parses a duration string, throwing when it is not one (for values already validated). */
export function durationMs(text: string): number {
  const value = parseDuration(text);
  if (value === undefined) throw new Error(`not a duration: ${text}`);
  return value;
}

/** Formats milliseconds as a short duration (`1.5s`, `2m`). */
export function formatDuration(milliseconds: number): string {
  return ms(milliseconds);
}
