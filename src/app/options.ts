import { resolve } from 'node:path';
import { durationMs, parseDuration } from '../domain/duration.js';
import { parseOutboundAllowance, refusedUrl, type OutboundAllowance } from '../domain/outbound-policy.js';
import { parseMemory } from '../domain/quantity.js';
import { defaultUidRange, parseRunAs, parseUidRange, type RunAsChoice, type UidRange } from '../domain/run-as.js';
import { redactUrlCredentials } from '../domain/url-credentials.js';
import { parseSecretStore, type SecretStore } from '../executors/secrets/secret-store.js';
import { environmentVariableName } from '../observer/inherited-env.js';
import { logFormatFor, logFormats, type LogFormat, type LogFormatChoice } from './log-format.js';

/** How `pontoon up` runs; every field has a flag and an environment variable. */
export interface PontoonOptions {
  /** TCP port; 0 picks a free one. Default 7070. */
  port?: number;
  /** Address to bind. Default 127.0.0.1. */
  host?: string;
  /** Where the SQLite file, builds and attempt work dirs live. Default ./.pontoon. */
  dataDir?: string;
  /** pino level: fatal, error, warn, info, debug, trace, silent. Default info. */
  logLevel?: string;
  /** Log lines as JSON, readable (`pretty`), or `auto`: readable when stdout is a terminal. Default auto. */
  logFormat?: LogFormatChoice;
  /** Most attempts running at once on this controller. Default 8. */
  capacity?: number;
  /** Lease duration such as 15s: how soon a dead controller's attempts count as lost. */
  lease?: string;
  /** Time between TERM and KILL when an attempt is stopped. Default 10s. */
  grace?: string;
  /** Log bytes kept per attempt unless the function says otherwise. Default 1Mi. */
  logLimit?: string;
  /** Largest invocation input. Default 1Mi. */
  payloadLimit?: string;
  /** Largest result a function may return. Default 1Mi. */
  resultLimit?: string;
  /** Deploy the functions under examples/ at start. */
  examples?: boolean;
  /** Directory of the examples. Default: the examples/ folder of this installation. */
  examplesDir?: string;
  /** URLs that receive the completion CloudEvent of every execution (besides each function's spec.sinks). */
  eventSinks?: string[];
  /** Variables of the server's environment that local programs inherit, besides PATH, HOME and the like. */
  passEnv?: string[];
  /**
   * Who local functions run as: `dynamic` (one uid per attempt or replica; the default as root),
   * `server` (this process's user; the default otherwise), `user[:group]` or `uid[:gid]`.
   */
  runAs?: string;
  /** The uids of dynamic function users, `first-last`. Default 1879048192-1879113727. */
  runAsRange?: string;
  /**
   * Where builds are kept. Default: `builds` in the data dir, or /var/cache/pontoon/builds when
   * functions run as other users (who cannot enter the data dir, 0700).
   */
  buildDir?: string;
  /**
   * OTLP/HTTP endpoint (collector base URL) that receives the traces of executions; without it,
   * tracing follows the OTEL_* environment variables and is off unless they name an exporter.
   */
  otlpEndpoint?: string;
  /** Largest uploaded source package (compressed archive). Default 64Mi. */
  packageLimit?: string;
  /**
   * Directories of the server's disk under which a deployed `spec.source` path may lie. Default
   * none: code comes from uploaded packages only (the examples of --examples aside).
   */
  sourceRoots?: string[];
  /** CIDRs, addresses and host names that callbacks and sinks may reach besides public addresses. */
  allowOutbound?: string[];
  /** Where spec.secrets come from: `files:<dir>` (`<dir>/<secret>/<key>`) or `env:<PREFIX>` (`<PREFIX><SECRET>_<KEY>`). */
  secretStore?: string;
}

/** Options with every default applied and units converted. */
export interface ResolvedOptions {
  port: number;
  host: string;
  dataDir: string;
  logLevel: string;
  logFormat: LogFormat;
  capacity: number;
  leaseMs: number;
  graceMs: number;
  logLimitBytes: number;
  payloadLimitBytes: number;
  resultLimitBytes: number;
  examplesDir: string | undefined;
  eventSinks: string[];
  passEnv: string[];
  /** Undefined: the default for this server's user (see resolveRunAs). */
  runAs: RunAsChoice | undefined;
  runAsRange: UidRange;
  buildDir: string | undefined;
  packageLimitBytes: number;
  /** Absolute; the examples directory is added when examples are deployed (they are the server's own). */
  sourceRoots: string[];
  outboundAllowance: OutboundAllowance;
  secretStore: SecretStore | undefined;
}

function bytes(text: string, field: string): number {
  const value = parseMemory(text);
  if (value === undefined || value <= 0) throw new Error(`${field} must be a size such as 1Mi, not ${text}`);
  return value;
}

/** A duration option within bounds: a lease of 0 would lose every attempt, one of years none. */
function milliseconds(text: string, field: string, bounds: { min: string; max: string }): number {
  const value = parseDuration(text);
  if (value === undefined) throw new Error(`${field} must be a duration such as 15s, not ${text}`);
  if (value < durationMs(bounds.min) || value > durationMs(bounds.max)) throw new Error(`${field} must be from ${bounds.min} to ${bounds.max}, not ${text}`);
  return value;
}

function httpUrl(text: string, field: string): string {
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.toString();
  } catch {
    // fall through to the error below
  }
  throw new Error(`${field} must be http(s) URLs, not ${text}`);
}

function logFormat(text: string): LogFormat {
  if ((logFormats as readonly string[]).includes(text)) return logFormatFor(text as LogFormatChoice);
  throw new Error(`logFormat must be one of ${logFormats.join(', ')}, not ${JSON.stringify(text)}`);
}

function variableName(text: string, field: string): string {
  if (environmentVariableName.test(text)) return text;
  throw new Error(`${field} must be environment variable names (letters, digits and _), not ${JSON.stringify(text)}`);
}

/** Applies defaults and checks units; throws an Error naming the bad option. */
export function resolveOptions(options: PontoonOptions, installDir: string): ResolvedOptions {
  const capacity = options.capacity ?? 8;
  if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`capacity must be a positive integer, not ${options.capacity}`);
  const port = options.port ?? 7070;
  const outboundAllowance = parseOutboundAllowance(options.allowOutbound ?? []);
  const eventSinks = (options.eventSinks ?? []).map((url) => httpUrl(url, 'eventSinks'));
  for (const url of eventSinks) {
    // Refused now rather than at every delivery: the operator named both, and one contradicts the other.
    const reason = refusedUrl(url, outboundAllowance);
    if (reason) throw new Error(`eventSinks ${redactUrlCredentials(url)} is refused: ${reason}`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`port must be 0-65535, not ${options.port}`);
  return {
    port,
    host: options.host ?? '127.0.0.1',
    dataDir: resolve(options.dataDir ?? '.pontoon'),
    logLevel: options.logLevel ?? 'info',
    logFormat: logFormat(options.logFormat ?? 'auto'),
    capacity,
    leaseMs: milliseconds(options.lease ?? '15s', 'lease', { min: '1s', max: '1h' }),
    graceMs: milliseconds(options.grace ?? '10s', 'grace', { min: '0s', max: '10m' }),
    logLimitBytes: bytes(options.logLimit ?? '1Mi', 'logLimit'),
    payloadLimitBytes: bytes(options.payloadLimit ?? '1Mi', 'payloadLimit'),
    resultLimitBytes: bytes(options.resultLimit ?? '1Mi', 'resultLimit'),
    examplesDir: options.examples ? resolve(options.examplesDir ?? resolve(installDir, 'examples')) : undefined,
    eventSinks,
    passEnv: (options.passEnv ?? []).map((name) => variableName(name, 'passEnv')),
    runAs: options.runAs === undefined ? undefined : parseRunAs(options.runAs),
    runAsRange: options.runAsRange === undefined ? defaultUidRange : parseUidRange(options.runAsRange),
    buildDir: options.buildDir === undefined ? undefined : resolve(options.buildDir),
    packageLimitBytes: bytes(options.packageLimit ?? '64Mi', 'packageLimit'),
    sourceRoots: (options.sourceRoots ?? []).map((root) => resolve(root)),
    outboundAllowance,
    secretStore: options.secretStore ? parseSecretStore(options.secretStore, (path) => resolve(path)) : undefined,
  };
}
