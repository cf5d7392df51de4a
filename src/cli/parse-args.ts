import { InvalidArgumentError } from 'commander';
import ms from 'ms';

/** Parses an integer argument within a range, for commander options. */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value: string) => {
    const number = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number < min || number > max) {
      throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    }
    return number;
  };
}

/** Parses a duration such as `500ms`, `30s`, `2m` to milliseconds, or fails naming the value. */
export function durationArgument(value: string): number {
  const parsed = /^[0-9]+(\.[0-9]+)?(ms|s|m|h|d)$/.test(value) ? ms(value as ms.StringValue) : undefined;
  if (parsed === undefined || !Number.isFinite(parsed)) {
    throw new InvalidArgumentError('must be a duration such as 500ms, 30s, 2m or 1h');
  }
  return parsed;
}
