import { join } from 'node:path';
import { Command, Option } from 'commander';
import { logFormats, type LogFormatChoice } from '../../app/log-format.js';
import { CliError, asError } from '../cli-error.js';
import { addAuthFlags, authStartOptions, type AuthFlags } from '../../app/auth-flags.js';
import { integerIn } from '../parse-args.js';
import { createToken } from './token.js';
import { addKubernetesFlags, kubernetesStartOptions, type KubernetesFlags } from '../../kubernetes/up-flags.js';

interface UpOptions extends KubernetesFlags, AuthFlags {
  port: number;
  host: string;
  dataDir: string;
  logLevel: string;
  logFormat: LogFormatChoice;
  capacity: number;
  lease: string;
  grace: string;
  logLimit: string;
  payloadLimit: string;
  resultLimit: string;
  examples?: boolean;
  eventSink: string[];
  passEnv: string[];
  sourceRoot: string[];
  packageLimit: string;
  allowOutbound: string[];
  secretStore?: string;
  store: string;
  runAs?: string;
  runAsRange?: string;
  buildDir?: string;
  otlpEndpoint?: string;
}

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** `pontoon up`: runs the API, the engine and the embedded store in this process until stopped. */
export function upCommand(): Command {
  return addAuthFlags(addKubernetesFlags(new Command('up')))
    .description('run Pontoon here: the HTTP API and the engine, with the embedded SQLite store (or --store postgres://…) and local processes (or --executor kubernetes), until Ctrl-C')
    .addOption(new Option('--port <port>', 'TCP port to listen on (0 picks a free one)').env('PONTOON_PORT').default(7070).argParser(integerIn(0, 65535)))
    .addOption(new Option('--host <host>', 'address to bind').env('PONTOON_HOST').default('127.0.0.1'))
    .addOption(new Option('--data-dir <dir>', 'directory of the SQLite file (made 0700) and, unless functions run as other users, the builds; one server at a time (locked)').env('PONTOON_DATA_DIR').default('.pontoon'))
    .addOption(new Option('--log-level <level>', 'server log level').env('PONTOON_LOG_LEVEL').default('info').choices(logLevels))
    .addOption(
      new Option('--log-format <format>', 'server log lines: readable on a terminal and JSON otherwise (auto), or always json or pretty')
        .env('PONTOON_LOG_FORMAT')
        .default('auto')
        .choices(logFormats),
    )
    .addOption(
      new Option('--capacity <n>', 'most attempts running at once').env('PONTOON_CAPACITY').default(8).argParser(integerIn(1, 100_000)),
    )
    .addOption(new Option('--lease <duration>', 'lease of a running attempt: how soon the attempts of a dead controller count as lost').env('PONTOON_LEASE').default('15s'))
    .addOption(new Option('--grace <duration>', 'time between TERM and KILL when an attempt is stopped').env('PONTOON_GRACE').default('10s'))
    .addOption(new Option('--log-limit <size>', 'log bytes kept per attempt unless the function sets spec.limits.logs').env('PONTOON_LOG_LIMIT').default('1Mi'))
    .addOption(new Option('--payload-limit <size>', 'largest invocation input').env('PONTOON_PAYLOAD_LIMIT').default('1Mi'))
    .addOption(new Option('--result-limit <size>', 'largest result a function may write').env('PONTOON_RESULT_LIMIT').default('1Mi'))
    .addOption(
      new Option('--store <store>', 'sqlite (the file in the data dir) or a postgres:// URL that several controllers share')
        .env('PONTOON_STORE')
        .default('sqlite'),
    )
    .addOption(
      new Option('--event-sink <url>', 'send the completion CloudEvent of every execution to this URL (repeatable)')
        .env('PONTOON_EVENT_SINK')
        .default([])
        .argParser((url: string, previous: string[]) => [...previous, url]),
    )
    .addOption(
      new Option('--pass-env <names>', 'variables of this environment that local programs inherit besides PATH, HOME, USER, SHELL, LANG, LC_*, TZ, TMPDIR and TERM (comma-separated, repeatable)')
        .env('PONTOON_PASS_ENV')
        .default([])
        .argParser((names: string, previous: string[]) => [...previous, ...names.split(',').map((name) => name.trim()).filter(Boolean)]),
    )
    .addOption(
      new Option(
        '--run-as <user>',
        'who local functions run as: dynamic (one uid per attempt or warm replica; the default as root), server (this user; the default otherwise), user[:group] or uid[:gid]; only root can run them as others',
      ).env('PONTOON_RUN_AS'),
    )
    .addOption(new Option('--run-as-range <first-last>', 'uids of the dynamic function users (default 1879048192-1879113727)').env('PONTOON_RUN_AS_RANGE'))
    .addOption(
      new Option('--build-dir <dir>', 'where builds are kept (default: builds in the data dir; /var/cache/pontoon/builds when functions run as other users)').env('PONTOON_BUILD_DIR'),
    )
    .addOption(
      new Option(
        '--otlp-endpoint <url>',
        'export OpenTelemetry traces of executions over OTLP/HTTP to this collector (e.g. http://127.0.0.1:4318); without it, tracing is off unless OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_TRACES_EXPORTER=otlp is set (docs/tracing.md)',
      ).env('PONTOON_OTLP_ENDPOINT'),
    )
    .addOption(
      new Option('--source-root <dir>', "a directory of this machine under which a deployed spec.source path may lie (repeatable); without one, code comes only from packages the CLI uploads")
        .env('PONTOON_SOURCE_ROOT')
        .default([])
        .argParser((dir: string, previous: string[]) => [...previous, dir]),
    )
    .addOption(new Option('--package-limit <size>', 'largest uploaded source package (the .tar.gz that pontoon deploy sends)').env('PONTOON_PACKAGE_LIMIT').default('64Mi'))
    .addOption(
      new Option('--allow-outbound <cidrs>', 'CIDRs, addresses or host names that callback and sink URLs may reach besides public addresses: loopback, private, link-local and the like are refused otherwise (comma-separated, repeatable; e.g. 127.0.0.1/32,10.0.0.0/8,hooks.internal)')
        .env('PONTOON_ALLOW_OUTBOUND')
        .default([])
        .argParser((entries: string, previous: string[]) => [...previous, ...entries.split(',').map((entry) => entry.trim()).filter(Boolean)]),
    )
    .addOption(
      new Option('--secret-store <store>', 'where spec.secrets come from: files:<dir> (a file <dir>/<secret>/<key>, as a mounted Kubernetes Secret) or env:<PREFIX> (the variable <PREFIX><SECRET>_<KEY>, upper-cased); on Kubernetes, Secrets of the function\'s namespace')
        .env('PONTOON_SECRET_STORE'),
    )
    .option('--examples', 'deploy the example functions at start (their directory counts as a source root)')
    .action(async (options: UpOptions) => {
      // Loaded here, not at the top: every other command starts without the server's code.
      const { startPontoon } = await import('../../app/start.js');
      if (options.createAdminToken) {
        const file = options.tokensFile ?? join(options.dataDir, 'tokens.yaml');
        const token = await createToken(file, 'admin', 'admin', ['*']);
        process.stdout.write(`Created an admin token (its hash is in ${file}); it is shown once:\n  export PONTOON_TOKEN=${token}\n`);
      }
      let running: Awaited<ReturnType<typeof startPontoon>>;
      try {
        running = await startPontoon({
          port: options.port,
          host: options.host,
          dataDir: options.dataDir,
          logLevel: options.logLevel,
          logFormat: options.logFormat,
          capacity: options.capacity,
          lease: options.lease,
          grace: options.grace,
          logLimit: options.logLimit,
          payloadLimit: options.payloadLimit,
          resultLimit: options.resultLimit,
          examples: options.examples === true,
          eventSinks: options.eventSink,
          passEnv: options.passEnv,
          sourceRoots: options.sourceRoot,
          packageLimit: options.packageLimit,
          allowOutbound: options.allowOutbound,
          secretStore: options.secretStore,
          store: options.store,
          ...(options.runAs === undefined ? {} : { runAs: options.runAs }),
          ...(options.runAsRange === undefined ? {} : { runAsRange: options.runAsRange }),
          ...(options.buildDir === undefined ? {} : { buildDir: options.buildDir }),
          otlpEndpoint: options.otlpEndpoint,
          ...kubernetesStartOptions(options),
          auth: authStartOptions(options),
        });
      } catch (thrown) {
        throw new CliError(`cannot start Pontoon: ${asError(thrown).message}`);
      }
      process.stdout.write(`Pontoon is up at ${running.url}: the dashboard at /, the API under /v1 (data in ${options.dataDir}); Ctrl-C stops it\n`);
      stopOnSignal(running);
    });
}

function stopOnSignal(running: { close(): Promise<void> }): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second signal while closing means the user wants out now.
    if (stopping) process.exit(1);
    stopping = true;
    process.stderr.write(`${signal}: stopping Pontoon\n`);
    running.close().then(
      () => process.exit(0),
      (thrown: unknown) => {
        process.stderr.write(`error: Pontoon did not stop cleanly: ${asError(thrown).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
