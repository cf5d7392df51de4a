import { InvalidArgumentError, Option, type Command } from 'commander';
import type { AuthOptions } from './auth-setup.js';

/** The auth flags of `pontoon up`, as commander parses them. */
export interface AuthFlags {
  tokensFile?: string;
  tokenReview?: boolean;
  allowUnauthenticated?: boolean;
  openMetrics?: boolean;
  allowedHost: string[];
  corsOrigin: string[];
  invokeRate?: number;
  maxQueued?: number;
  createAdminToken?: boolean;
}

/** A whole number from `min` to `max`, for a flag. */
const integerIn = (min: number, max: number) => (text: string) => {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
  return value;
};

const repeatable = (value: string, previous: string[]) => [...previous, ...value.split(',').map((item) => item.trim()).filter(Boolean)];

/** Adds the flags of tokens, TokenReview, browser guards and abuse limits to `pontoon up`. */
export function addAuthFlags(command: Command): Command {
  return command
    .addOption(new Option('--tokens-file <file>', 'tokens file (YAML or JSON: token hashes with roles per namespace); default: tokens.yaml in the data dir, if present. PONTOON_TOKENS may hold a document too').env('PONTOON_TOKENS_FILE'))
    .addOption(new Option('--create-admin-token', 'before starting, create an admin token for every namespace, add its hash to the tokens file and print it once'))
    .addOption(new Option('--token-review', 'also accept Kubernetes tokens, checked with a TokenReview; roles come from the tokens file\'s subjects').env('PONTOON_TOKEN_REVIEW'))
    .addOption(new Option('--allow-unauthenticated', 'run with auth off on an address other than loopback (every caller acts as admin)').env('PONTOON_ALLOW_UNAUTHENTICATED'))
    .addOption(new Option('--open-metrics', 'serve /metrics without a token').env('PONTOON_OPEN_METRICS'))
    .addOption(new Option('--allowed-host <names>', 'Host header names this server answers to (comma-separated, repeatable); on loopback, localhost names are always allowed').env('PONTOON_ALLOWED_HOSTS').default([]).argParser(repeatable))
    .addOption(new Option('--cors-origin <origins>', 'origins (scheme://host:port) whose pages may call the API (CORS); none by default').env('PONTOON_CORS_ORIGINS').default([]).argParser(repeatable))
    .addOption(new Option('--invoke-rate <n>', 'invoking requests (invoke, batch, cancel, events) per token per second, then 429 with Retry-After; 0 for no limit (default 1000 with auth on)').env('PONTOON_INVOKE_RATE').argParser(integerIn(0, 1_000_000)))
    .addOption(new Option('--max-queued <n>', 'queued executions per namespace past which invocations answer 429 QUEUE_FULL; 0 for no limit (default 100000 with auth on)').env('PONTOON_MAX_QUEUED').argParser(integerIn(0, 1_000_000_000)));
}

/** The AuthOptions of parsed flags and the environment. */
export function authStartOptions(flags: AuthFlags, environment: NodeJS.ProcessEnv = process.env): AuthOptions {
  return {
    tokensFile: flags.tokensFile,
    tokens: environment.PONTOON_TOKENS,
    tokenReview: flags.tokenReview === true,
    allowUnauthenticated: flags.allowUnauthenticated === true,
    openMetrics: flags.openMetrics === true,
    allowedHosts: flags.allowedHost,
    corsOrigins: flags.corsOrigin,
    invokeRate: flags.invokeRate,
    maxQueuedPerNamespace: flags.maxQueued,
  };
}
