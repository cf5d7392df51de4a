// A function with no SDK: it reads PONTOON_INPUT, writes PONTOON_OUTPUT, and logs to stdout.
import { readFileSync, writeFileSync } from 'node:fs';

function fail(message) {
  writeFileSync(process.env.PONTOON_ERROR, message);
  console.error(message);
  process.exit(1);
}

const input = JSON.parse(readFileSync(process.env.PONTOON_INPUT, 'utf8'));
if (!Array.isArray(input) || input.length !== 2 || !input.every(Number.isInteger)) {
  fail('input must be [from, to] with two integers');
}
const [from, to] = input;
if (to - from > Number(process.env.MAX_SPAN)) fail(`range too large: at most ${process.env.MAX_SPAN} numbers`);

console.log(`finding primes between ${from} and ${to}`);
const primes = [];
for (let n = Math.max(2, from); n <= to; n++) {
  let prime = true;
  for (let d = 2; d * d <= n; d++) {
    if (n % d === 0) {
      prime = false;
      break;
    }
  }
  if (prime) primes.push(n);
}
console.log(`found ${primes.length} primes`);
writeFileSync(process.env.PONTOON_OUTPUT, JSON.stringify(primes));
