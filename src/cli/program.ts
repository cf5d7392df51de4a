import { Command } from 'commander';
import { cancelCommand } from './commands/cancel.js';
import { deleteCommand } from './commands/delete.js';
import { deployCommand } from './commands/deploy.js';
import { describeCommand } from './commands/describe.js';
import { getCommand } from './commands/get.js';
import { getRulesCommand, getSchedulesCommand } from './commands/get-triggers.js';
import { invokeCommand } from './commands/invoke.js';
import { logsCommand } from './commands/logs.js';
import { packageCommand } from './commands/package.js';
import { tokenCommand } from './commands/token.js';
import { upCommand } from './commands/up.js';
import { addGlobalOptions } from './context.js';

/** Builds the `pontoon` command line: global options and one subcommand per file under commands/. */
export function buildProgram(): Command {
  const program = new Command('pontoon')
    .description('Pontoon runs functions: finite programs started on demand, queued by priority, retried by policy and watched until they end.')
    .helpCommand(true);
  addGlobalOptions(program);
  for (const command of [upCommand(), deployCommand(), invokeCommand(), getCommand().addCommand(getSchedulesCommand()).addCommand(getRulesCommand()), describeCommand(), logsCommand(), cancelCommand(), deleteCommand(), packageCommand(), tokenCommand()]) {
    program.addCommand(command);
  }
  program.addHelpText(
    'after',
    [
      '',
      'The API address comes from --url, else PONTOON_URL, else server: in ~/.config/pontoon/config.yaml, else http://127.0.0.1:7070.',
      'The bearer token comes from PONTOON_TOKEN, else token: in that file (PONTOON_CONFIG names another file).',
      'Every list and describe takes -o json|yaml. Exit code 1 means an error; 2 means an invoke --wait ran out.',
      '',
      'Quick start:',
      '  pontoon up --examples',
      '  pontoon deploy -f primes.yaml',
      "  pontoon invoke primes --data '[1,100]' --wait",
      '  pontoon get executions',
    ].join('\n'),
  );
  return program;
}
