/** The prime finder the tests run, as in the README: the primes in [from, to]. */
export function primesBetween(from: number, to: number): number[] {
  const primes: number[] = [];
  for (let n = Math.max(2, from); n <= to; n++) {
    let prime = true;
    for (let d = 2; d * d <= n && prime; d++) prime = n % d !== 0;
    if (prime) primes.push(n);
  }
  return primes;
}
