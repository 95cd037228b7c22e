#!/usr/bin/env node
/**
 * The vigil command line. Thin: it parses, then calls into runtime/ (and later deploy/).
 * Errors are one line on stderr and a non-zero exit; the stack only with --verbose.
 */
import { Command, CommanderError } from 'commander';
import { errorMessage } from '../runtime/errors.js';
import { emitCommand } from './emit.js';
import { installCommand } from './install.js';
import { flashCommand } from './flash.js';
import { logsCommand } from './logs.js';
import { runCommand } from './run.js';
import { sensorsCommand } from './sensors.js';
import { smsCommand } from './sms.js';
import { bleCommand } from './ble.js';
import { bundleCommand } from './bundle.js';
import { applyCommand } from './apply.js';
import { deployCommand } from './deploy.js';
import { statusCommand } from './status.js';
import { triggerCommand } from './trigger.js';
import { version } from './version.js';

const program = new Command()
  .name('vigil')
  .description('Background tasks for single-board computers: triggers, conditions, budgets, on real hardware.')
  .version(version(), '-V, --version')
  .option('--verbose', 'print stack traces with errors')
  .showHelpAfterError('(add --help for usage)')
  .exitOverride();

program.addCommand(runCommand());
program.addCommand(statusCommand());
program.addCommand(logsCommand());
program.addCommand(triggerCommand());
program.addCommand(emitCommand());
program.addCommand(sensorsCommand());
program.addCommand(smsCommand());
program.addCommand(bleCommand());
program.addCommand(bundleCommand());
program.addCommand(installCommand());
program.addCommand(flashCommand());
program.addCommand(deployCommand());
program.addCommand(applyCommand());
// Subcommands do not inherit these from the program.
for (const command of program.commands) command.exitOverride().showHelpAfterError('(add --help for usage)');

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // commander has printed the message (or the help/version) already.
    process.exitCode = err.exitCode;
  } else {
    const verbose = program.opts<{ verbose?: boolean }>().verbose || process.argv.includes('--verbose');
    process.stderr.write(`vigil: ${errorMessage(err)}\n`);
    if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  }
}
