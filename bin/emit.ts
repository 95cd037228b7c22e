/** `vigil emit EVENT_ID`: raise a CustomSystemEvent on the running runtime. */
import { Command } from 'commander';
import { controlRequest } from '../runtime/control-client.js';
import { socketFor, targetHelp, type TargetOptions } from './state-dir.js';

export function emitCommand(): Command {
  return new Command('emit')
    .description('raise a named device event: tasks with a CustomSystemEventTrigger for it run')
    .argument('<event-id>', 'the event id, e.g. door.opened')
    .option('--json', 'print the result as JSON')
    .option('--state <dir>', targetHelp.state)
    .option('--config <file>', targetHelp.config)
    .action(async (id: string, options: TargetOptions & { json?: boolean }) => {
      const reached = (await controlRequest(socketFor(options), 'emit', { id })) as number;
      if (options.json) process.stdout.write(`${JSON.stringify({ id, reached })}\n`);
      else process.stdout.write(`${id}: ${reached === 0 ? 'no registration listens for it' : `reached ${reached} registration${reached === 1 ? '' : 's'}`}\n`);
    });
}
