/** `vigil trigger NAME [--arg k=v …]`: fire an ApplicationTrigger on the running runtime. */
import { Command } from 'commander';
import { controlRequest } from '../runtime/control-client.js';
import { CliError } from '../runtime/errors.js';
import type { TriggerOutcome } from '../runtime/runtime.js';
import { socketFor, targetHelp, type TargetOptions } from './state-dir.js';

function collectArg(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new CliError('BAD_ARGUMENT', `--arg ${JSON.stringify(value)} is not key=value: expected e.g. --arg room=kitchen`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

export function triggerCommand(): Command {
  return new Command('trigger')
    .description('fire an ApplicationTrigger: the tasks registered with it run with the arguments as trigger details')
    .argument('<name>', "the trigger's name (the task's name unless the trigger names itself)")
    .option('-a, --arg <key=value>', 'an argument for the task (repeatable)', collectArg, {})
    .option('--json', 'print the result as JSON')
    .option('--state <dir>', targetHelp.state)
    .option('--config <file>', targetHelp.config)
    .action(async (name: string, options: TargetOptions & { arg: Record<string, string>; json?: boolean }) => {
      const outcome = (await controlRequest(socketFor(options), 'trigger', { name, args: options.arg })) as TriggerOutcome;
      if (options.json) process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
      else for (const t of outcome.tasks) process.stdout.write(`${t.bundle}/${t.name}: ${t.result}\n`);
      if (outcome.result !== 'Allowed') process.exitCode = 2;
    });
}
