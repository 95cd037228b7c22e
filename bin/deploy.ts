/**
 * `vigil deploy BUNDLE USER@HOST[:PORT]… | --inventory FILE`: send a bundle to one device or a
 * fleet over SSH. Each device verifies, switches and health-checks it itself (`vigil apply`);
 * this side checks host keys, streams the archive, shows progress and sums up.
 */
import { Command, Option } from 'commander';
import { deployHost, rollbackHost, type DeploySettings, type DeviceTarget, type HostOutcome, type Payload } from '../deploy/deploy-host.js';
import { loadPayload } from '../deploy/payload.js';
import { createProgressDisplay } from '../deploy/fleet/progress.js';
import { runFleet, type FleetResult } from '../deploy/fleet/runner.js';
import { fleetExitCode, fleetJson, formatFleetTable } from '../deploy/fleet/table.js';
import { wantsColor } from '../deploy/fleet/format.js';
import { deviceTargets } from '../deploy/targets.js';
import { CliError } from '../runtime/errors.js';

interface DeployCliOptions {
  inventory?: string;
  limit?: string;
  concurrency: string;
  identity?: string;
  knownHosts?: string;
  acceptNew?: boolean;
  smoke?: string;
  keep: string;
  timeout: string;
  rollback?: boolean;
  vigilCommand?: string;
  deviceConfig?: string;
  json?: boolean;
}

export function deployCommand(): Command {
  return new Command('deploy')
    .description('install a bundle on devices over SSH: verified, switched atomically, hot-reloaded, rolled back if unhealthy')
    .argument('<bundle>', 'a bundle directory or a .vigil.tgz from `vigil bundle` (with --rollback: the bundle name)')
    .argument('[hosts...]', 'USER@HOST[:PORT] of each device (IPv6 as USER@[ADDR]:PORT)')
    .option('-i, --inventory <file>', 'an Ansible inventory (INI or YAML) naming the devices')
    .option('-l, --limit <pattern>', 'only these inventory hosts or groups (globs, "a,b", "!exclude", "&both")')
    .option('-c, --concurrency <n>', 'devices deployed to at once', '5')
    .option('--identity <key>', 'private key file to log in with (default: ssh-agent, then ~/.ssh/id_ed25519, id_ecdsa, id_rsa)')
    .option('--known-hosts <file>', 'known_hosts file to check host keys against (default: ~/.ssh/known_hosts)')
    .option('--accept-new', 'trust a host seen for the first time and pin its key in known_hosts (a changed key is still refused)')
    .option('--smoke <task>', 'after the switch, run this task of the bundle on each device; keep the version only if it succeeds')
    .option('--keep <n>', 'versions of the bundle each device keeps for rollback, the current one included', '3')
    .option('--timeout <sec>', "how long each device waits for its runtime's reload and the smoke task", '60')
    .option('--rollback', 'go back to the version each device ran before (BUNDLE is then the bundle name)')
    .option('--vigil-command <cmd>', 'how to run vigil on the devices when it is not `vigil` on PATH (inventory: vigil_command)')
    .option('--device-config <file>', "the devices' config file, when not /etc/vigil/config.json (inventory: vigil_config)")
    .addOption(new Option('--json', 'print the results as JSON (progress still goes to stderr)'))
    .addHelpText(
      'after',
      `
Each device must run vigil (vigil install puts it in place as a service). Per device:
  connect, checking the host key against known_hosts (unknown: refused unless --accept-new;
  changed: always refused) → hand the archive to the device's runtime through its control
  socket, forwarded over SSH (or, when that cannot be reached, to \`vigil apply -\` there) → it is
  staged and every checksum verified → the new version is switched in atomically → the runtime reloads it
  (ServicingUpdate, then ServicingComplete) and must report every registration armed → with
  --smoke the task must succeed. Otherwise the device switches back by itself and reports
  "rolled back". An upload cut off at any point leaves the old version running untouched.

Inventory variables used: ansible_host, ansible_port, ansible_user, ansible_ssh_private_key_file,
vigil_command, vigil_config. Exit code 1 if any device did not end up on the new version.

Examples:
  vigil deploy tasks/garden pi@garden.local
  vigil deploy garden-1.2.0.vigil.tgz --inventory hosts.ini --limit greenhouse --smoke selftest
  vigil deploy --rollback garden pi@garden.local
`,
    )
    .action(async (bundle: string, hosts: string[], options: DeployCliOptions) => {
      const concurrency = wholeNumber('--concurrency', options.concurrency, 1, 256);
      const settings: DeploySettings = {
        keep: wholeNumber('--keep', options.keep, 2, 100),
        timeoutSec: wholeNumber('--timeout', options.timeout, 1, 3600),
        ...(options.identity !== undefined ? { identity: options.identity } : {}),
        ...(options.knownHosts !== undefined ? { knownHosts: options.knownHosts } : {}),
        ...(options.acceptNew ? { acceptNew: true } : {}),
        ...(options.smoke !== undefined ? { smoke: options.smoke } : {}),
      };
      if (options.rollback && options.smoke !== undefined) throw new CliError('BAD_ARGUMENT', '--smoke does not apply with --rollback: a rollback is checked for armed registrations only');
      const targets = deviceTargets(hosts, options);
      const payload: Payload | undefined = options.rollback ? undefined : loadPayload(bundle);
      const controller = new AbortController();
      const stop = () => controller.abort(new CliError('INTERRUPTED', 'interrupted'));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      let results: FleetResult<HostOutcome, DeviceTarget>[];
      try {
        if (payload) process.stderr.write(`${payload.name} ${payload.version}  sha256 ${payload.sha256.slice(0, 16)}…  ${payload.archive.length} bytes → ${targets.length} device${targets.length === 1 ? '' : 's'}\n`);
        results = await runFleet<HostOutcome, DeviceTarget>(
          targets,
          (target, progress, signal) => (payload ? deployHost(target, payload, settings, progress, signal) : rollbackHost(target, bundle, settings, progress, signal)),
          { concurrency, signal: controller.signal, display: createProgressDisplay({ stream: process.stderr }) },
        );
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
      if (options.json) process.stdout.write(`${JSON.stringify(fleetJson(results), null, 2)}\n`);
      else process.stdout.write(formatFleetTable(results, { color: wantsColor(process.stdout, process.env) }));
      process.exitCode = fleetExitCode(results);
    });
}

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError('BAD_ARGUMENT', `${flag} ${text} is not valid: expected a whole number from ${min} to ${max}`);
  return n;
}
