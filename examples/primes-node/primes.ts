import { fail, type Handler } from '@pontoon/sdk';

/** Input [from, to]; result: the primes in that range. Bad input fails the execution. */
export const primes: Handler<unknown, number[]> = (input, ctx) => {
  if (!Array.isArray(input) || input.length !== 2 || !input.every(Number.isInteger) || input[0] > input[1]) {
    return fail('input must be [from, to] with integers from <= to');
  }
  const [from, to] = input as [number, number];
  ctx.logger.info('looking for primes between %d and %d', from, to);
  const found: number[] = [];
  for (let n = Math.max(2, from); n <= to; n++) {
    let prime = true;
    for (let d = 2; d * d <= n && prime; d++) prime = n % d !== 0;
    if (prime) found.push(n);
  }
  return found;
};
