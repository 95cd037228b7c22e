/**
 * `vigil apply`: the device side of `vigil deploy`, also usable by hand on the device. It installs
 * a bundle archive as a new version, switches to it atomically and keeps it only if the running
 * runtime is healthy with it; `--rollback NAME` goes back one version.
 */
import { createReadStream, rmSync } from 'node:fs';
import { Command, Option } from 'commander';
import { applyArchive, rollbackBundle, type ApplyOptions, type ApplyResult, type Phase } from '../deploy/device/apply.js';
import { DeviceLayout } from '../deploy/device/layout.js';
import { socketLink } from '../deploy/device/runtime-link.js';
import { stage } from '../deploy/device/staging.js';
import { loadConfig, resolveConfigPath } from '../runtime/config.js';
import { CliError, VigilError, errorMessage } from '../runtime/errors.js';
import { statePaths } from '../runtime/paths.js';
import { targetHelp } from './state-dir.js';

interface ApplyCliOptions {
  sha256?: string;
  smoke?: string;
  keep: string;
  timeout: string;
  rollback?: string;
  json?: boolean;
  config?: string;
}

export function applyCommand(): Command {
  return new Command('apply')
    .description('install a bundle archive on this device as a new version, atomically, kept only if the runtime is healthy with it (the device side of vigil deploy)')
    .argument('[archive]', 'a NAME-VERSION.vigil.tgz from `vigil bundle`, or - to read it from stdin')
    .option('--sha256 <hex>', "the archive's expected sha256: anything else is an incomplete or altered upload")
    .option('--smoke <task>', 'after the switch, run this task of the bundle; keep the version only if it succeeds')
    .option('--keep <n>', 'versions of each bundle to keep on the device, the current one included', '3')
    .option('--timeout <sec>', 'how long to wait for the runtime to reload, and for the smoke task', '60')
    .option('--rollback <bundle>', 'go back to the previous kept version of this bundle instead')
    .option('--config <file>', targetHelp.config)
    .addOption(new Option('--json', 'print progress and the result as JSON lines'))
    .addHelpText(
      'after',
      `
What happens:
  1. the archive is written whole to BUNDLES/.vigil/staging and every checksum is verified;
  2. it is unpacked as BUNDLES/.vigil/versions/NAME/SEQ-VERSION-SHA;
  3. BUNDLES/NAME, a symlink, is switched to it in one rename;
  4. the running runtime reloads it (tasks of the old version are cancelled with ServicingUpdate,
     then SystemTrigger ServicingComplete fires) and must report every registration armed;
  5. with --smoke, that task runs and must succeed.
If 4 or 5 fails, the previous version is switched back and the new one deleted (exit 1).
A deploy cut off before 3 changes nothing; one cut off between 3 and its check is undone by the
next apply or rollback of that bundle. A bundle directory put there by hand is kept as version 0.
`,
    )
    .action(async (archive: string | undefined, options: ApplyCliOptions) => {
      const keep = Number(options.keep);
      if (!Number.isInteger(keep) || keep < 2 || keep > 100) throw new CliError('BAD_ARGUMENT', `--keep ${options.keep} is not valid: expected a whole number from 2 to 100 (the current version and at least one to roll back to)`);
      const timeoutSec = Number(options.timeout);
      if (!Number.isFinite(timeoutSec) || timeoutSec <= 0) throw new CliError('BAD_ARGUMENT', `--timeout ${options.timeout} is not valid: expected seconds, such as 60`);
      if (options.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(options.sha256)) throw new CliError('BAD_ARGUMENT', `--sha256 ${options.sha256} is not valid: expected 64 hex digits`);
      if ((archive === undefined) === (options.rollback === undefined)) throw new CliError('BAD_ARGUMENT', 'give an archive to install, or --rollback BUNDLE, not both');

      // The deploy's SSH connection may drop while this runs; the switch and its check must still finish.
      process.on('SIGHUP', () => {});
      process.stdout.on('error', () => {});
      const json = options.json === true;
      const say = (line: Record<string, unknown>, text: string) => {
        if (json) process.stdout.write(`${JSON.stringify(line)}\n`);
        else if (text) process.stderr.write(`${text}\n`);
      };
      const config = loadConfig(resolveConfigPath(options.config));
      const o: ApplyOptions = {
        layout: new DeviceLayout(config.bundlesDir),
        link: socketLink(statePaths(config.stateDir).socket),
        keep,
        timeoutMs: timeoutSec * 1000,
        onPhase: (phase: Phase, detail?: string) => say({ phase, ...(detail ? { detail } : {}) }, `${phase}${detail ? `: ${detail}` : ''}`),
        ...(options.smoke !== undefined ? { smoke: options.smoke } : {}),
      };
      let result: ApplyResult;
      try {
        if (options.rollback !== undefined) result = await rollbackBundle(options.rollback, o);
        else {
          const staged = await stage(archive === '-' ? process.stdin : createReadStream(archive!), o.layout);
          try {
            result = await applyArchive(staged.data, options.sha256, o);
          } finally {
            rmSync(staged.file, { force: true });
          }
        }
      } catch (err) {
        if (json) {
          say({ error: { code: err instanceof VigilError ? err.code : 'ERROR', message: errorMessage(err) } }, '');
          process.exitCode = 1;
          return;
        }
        throw err;
      }
      say({ result }, summary(result));
      if (result.status === 'rolled-back' && result.failure) process.exitCode = 1;
    });
}

function summary(r: ApplyResult): string {
  switch (r.status) {
    case 'deployed':
      return `${r.bundle} ${r.version} deployed${r.previous ? ` (was ${r.previous.version})` : ''}: ${r.health?.tasks.length ?? 0} registration${(r.health?.tasks.length ?? 0) === 1 ? '' : 's'} armed${r.smoke ? `, smoke task ${r.smoke.task} succeeded in ${r.smoke.ms} ms` : ''}${r.pruneError ? `; ${r.pruneError}` : ''}`;
    case 'unchanged':
      return `${r.bundle} ${r.version} is already installed and healthy`;
    case 'rolled-back':
      return r.failure ? `${r.bundle} ${r.version} NOT deployed, rolled back${r.previous ? ` to ${r.previous.version}` : ''}: ${r.failure.message}` : `${r.bundle} rolled back to ${r.version}`;
  }
}
