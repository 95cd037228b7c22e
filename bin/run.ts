/**
 * `vigil run`: the runtime in the foreground, as systemd runs it. SIGTERM/SIGINT: Terminating
 * to running tasks, a grace period, the store flushed, exit 0. SIGHUP: the config's policy is
 * re-read (access re-decided; revoked bundles' tasks cancelled with SystemPolicy).
 */
import { Command } from 'commander';
import { resolve } from 'node:path';
import { createBoard } from '../drivers/board.js';
import { loadConfig, resolveConfigPath } from '../runtime/config.js';
import { errorMessage } from '../runtime/errors.js';
import { DevicePolicy } from '../runtime/policy.js';
import { Runtime } from '../runtime/runtime.js';
import { ServiceNotifier } from '../runtime/sd-notify.js';

interface RunOptions {
  config?: string;
  state?: string;
  sim?: boolean;
  quiet?: boolean;
}

export function runCommand(): Command {
  return new Command('run')
    .description('run the runtime in the foreground (the embedded default: a simulated board with the example bundles)')
    .option('--config <file>', 'device configuration (default: $VIGIL_CONFIG, /etc/vigil/config.json, or the embedded default)')
    .option('--state <dir>', "state directory: registrations, logs, the control socket (default: the config's stateDir)")
    .option('--sim', 'use the simulated bindings whatever the config says')
    .option('-q, --quiet', 'no console view; the JSON log file only')
    .action(async (options: RunOptions) => {
      await run(options);
    });
}

async function run(options: RunOptions): Promise<void> {
  // First, so the watchdog is fed during a slow start and no child inherits NOTIFY_SOCKET.
  const notifier = new ServiceNotifier();
  const configFile = resolveConfigPath(options.config);
  const config = loadConfig(configFile);
  if (options.state) config.stateDir = resolve(options.state);
  const board = await createBoard(config, { sim: options.sim === true });
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  // A deploy over SSH hands its archive to this process (deploy/device/socket-apply.ts), loaded on first use.
  const controlMethods = { 'bundle.apply': async (rt: Runtime, params: Record<string, unknown>) => (await import('../deploy/device/socket-apply.js')).applyUpload(rt, params) };
  const runtime = await Runtime.start({ config, drivers: board, control: true, controlMethods, ...(board.netStatsDir ? { netStatsDir: board.netStatsDir } : {}), ...(options.quiet ? {} : { console: { out: process.stdout, color } }) });

  notifier.onError = (err) => runtime.log.warn({ evt: 'runtime', err: { code: err.code, message: err.message } }, err.message);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // A second signal while stopping: the user wants out now.
      process.stderr.write(`vigil: ${signal} again, exiting without waiting for tasks\n`);
      process.exit(1);
    }
    stopping = true;
    notifier.stopping(`stopping: ${runtime.dispatcher.runningCount()} running tasks cancelled with Terminating`);
    runtime.stop().then(
      () => notifier.close().then(() => process.exit(0)),
      (err: unknown) => {
        process.stderr.write(`vigil: stopping failed: ${errorMessage(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    try {
      runtime.setPolicy(new DevicePolicy(loadConfig(configFile).policy));
      runtime.log.info({ config: configFile }, 'policy reloaded');
    } catch (err) {
      runtime.log.error({ err: errorMessage(err) }, `policy not reloaded: ${errorMessage(err)}`);
    }
  });
  // An in-process task's stray rejection must not take the runtime down; it is logged instead.
  process.on('unhandledRejection', (reason) => runtime.log.error({ err: errorMessage(reason) }, `unhandled rejection in the runtime (an in-process task?): ${errorMessage(reason)}`));
  // Ready only now that a stop is handled: systemd may send SIGTERM the moment it hears it.
  notifier.ready(`ready: ${runtime.bundles.loaded.size} bundles, ${runtime.registry.records().length} tasks`);
}
