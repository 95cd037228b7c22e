#!/usr/bin/env node
/**
 * The vigil command line. Thin: it parses, then calls into runtime/ (and later deploy/).
 * Errors are one line on stderr and a non-zero exit; the stack only with --verbose.
 */
import { Command, CommanderError } from 'commander';
import { errorMessage } from '../runtime/errors.js';
import { version } from './version.js';

/**
 * Each command's module is imported only when that command runs: loading all of them (ssh2,
 * the runtime, the flash tools) would cost every invocation ~150 ms, and `vigil apply` runs once
 * per deploy on a Pi Zero. The list is in the order `vigil --help` shows them.
 */
const commands: [string, () => Promise<Command>][] = [
  ['run', async () => (await import('./run.js')).runCommand()],
  ['status', async () => (await import('./status.js')).statusCommand()],
  ['logs', async () => (await import('./logs.js')).logsCommand()],
  ['trigger', async () => (await import('./trigger.js')).triggerCommand()],
  ['emit', async () => (await import('./emit.js')).emitCommand()],
  ['sensors', async () => (await import('./sensors.js')).sensorsCommand()],
  ['sms', async () => (await import('./sms.js')).smsCommand()],
  ['ble', async () => (await import('./ble.js')).bleCommand()],
  ['bundle', async () => (await import('./bundle.js')).bundleCommand()],
  ['deploy', async () => (await import('./deploy.js')).deployCommand()],
  ['apply', async () => (await import('./apply.js')).applyCommand()],
  ['install', async () => (await import('./install.js')).installCommand()],
  ['flash', async () => (await import('./flash.js')).flashCommand()],
];

const program = new Command()
  .name('vigil')
  .description('Background tasks for single-board computers: triggers, conditions, budgets, on real hardware.')
  .version(version(), '-V, --version')
  .option('--verbose', 'print stack traces with errors')
  .showHelpAfterError('(add --help for usage)')
  .exitOverride();

// The command named on the line (the first word that is not an option), or all of them for help.
const named = process.argv.slice(2).find((arg) => !arg.startsWith('-'));
const wanted = commands.filter(([name]) => name === named);
for (const [, load] of wanted.length > 0 ? wanted : commands) program.addCommand(await load());
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
