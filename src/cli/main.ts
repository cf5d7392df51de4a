import { CommanderError, type Command } from 'commander';
import { describeError, exitCodes, isUserError, type CliError } from './cli-error.js';
import { buildProgram } from './program.js';

/**
 * Runs the CLI on the given arguments and answers the exit code. Errors become one readable
 * message on stderr; a stack trace is shown only for unexpected errors and only with PONTOON_DEBUG.
 */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  applyToAll(program, (command) => {
    // Commander exits by itself on usage errors; overriding that keeps one exit path here.
    command.exitOverride();
    command.showHelpAfterError('(run with --help for usage)');
    command.configureHelp({ showGlobalOptions: true });
  });
  try {
    await program.parseAsync(argv);
    return exitCodes.ok;
  } catch (thrown) {
    if (thrown instanceof CommanderError) return thrown.exitCode;
    for (const line of describeError(thrown).map((line, index) => (index === 0 ? `error: ${line}` : line))) {
      process.stderr.write(`${line}\n`);
    }
    if (!isUserError(thrown) && process.env.PONTOON_DEBUG && thrown instanceof Error) process.stderr.write(`${thrown.stack}\n`);
    return (thrown as Partial<CliError>).exitCode ?? exitCodes.error;
  }
}

/** Applies a setting to a command and every subcommand (`addCommand` does not inherit settings). */
function applyToAll(command: Command, apply: (command: Command) => void): void {
  apply(command);
  for (const subcommand of command.commands) applyToAll(subcommand, apply);
}

process.exitCode = await runCli(process.argv);
