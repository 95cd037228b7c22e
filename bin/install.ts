/**
 * `vigil install`: on the device, as root, sets vigil up as a systemd service (deploy/install
 * has the steps). Prints each change as it is made; a second run prints that nothing changed.
 */
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { install, type Change, type InstallHost, type InstallOptions, type InstallReport } from '../deploy/install/install.js';
import { execRunner } from '../deploy/install/runner.js';

interface InstallFlags {
  config?: string;
  forceConfig?: boolean;
  start: boolean;
  dryRun?: boolean;
  root?: string;
  node?: string;
  entry?: string;
  json?: boolean;
}

export function installCommand(): Command {
  return new Command('install')
    .description('set vigil up as a systemd service on this device: the vigil user, /etc/vigil/config.json, the unit, enabled and started (as root)')
    .option('--config <file>', 'the device configuration to install as /etc/vigil/config.json (default: keep the one there, or write a starting point for a Raspberry Pi)')
    .option('--force-config', 'replace an existing /etc/vigil/config.json (with --config FILE, or with the starting point)')
    .option('--no-start', 'enable the service but do not start or restart it')
    .option('--dry-run', 'print what would change and change nothing (works without root)')
    .option('--root <dir>', 'install into this file tree (an image being prepared) instead of the running system: no systemctl, accounts edited in DIR/etc')
    .option('--node <path>', 'node as the service runs it (default: the node running this; under --root /usr/bin/node)')
    .option('--entry <path>', "vigil's dist/bin/vigil.js as the service runs it (default: this installation's; under --root where npm install --global puts it)")
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
What it does, each step only when needed (a second run changes nothing and says so):
  - creates the system user vigil (home /var/lib/vigil, no login) and the groups it needs that
    do not exist yet (gpio, i2c, dialout, bluetooth, netdev), and adds it to them
  - creates /var/lib/vigil and /var/lib/vigil/bundles (bundles go there)
  - writes /etc/vigil/config.json from --config FILE or, when there is none, a starting point
    (system and GPIO drivers, nothing wired up); an existing one is kept unless --force-config
  - writes /etc/systemd/system/vigil.service (the package's deploy/vigil.service with the paths
    of node and vigil filled in) and the polkit rule that lets the vigil user drive
    NetworkManager (/etc/polkit-1/rules.d/50-vigil-networkmanager.rules)
  - systemctl daemon-reload, then enable --now (or restart, when the unit, the config or the
    accounts changed under a running service)

Change the unit's settings with a drop-in (systemctl edit vigil): install never touches those.
node and vigil must be installed system-wide: the service cannot see /home, /root or /tmp.
The runtime's log: vigil logs (as root or the vigil user), or journalctl -u vigil for start-up
failures. Stop and disable: systemctl disable --now vigil.
`,
    )
    .action(async (flags: InstallFlags) => {
      const options: InstallOptions = { start: flags.start };
      for (const key of ['config', 'forceConfig', 'dryRun', 'root', 'node', 'entry'] as const) if (flags[key] !== undefined) (options as Record<string, unknown>)[key] = flags[key];
      const dryRun = flags.dryRun === true;
      const show = (change: Change) => {
        if (!flags.json) process.stdout.write(`${dryRun ? `would ${change.does}` : change.did}\n`);
      };
      const report = await install(options, localHost(), show);
      if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(summary(report));
    });
}

function localHost(): InstallHost {
  return {
    runner: execRunner,
    uid: process.getuid?.() ?? -1,
    fsRoot: '/',
    // sd_booted(): systemd is PID 1 exactly when this directory exists.
    systemdRunning: existsSync('/run/systemd/system'),
    nodePath: process.execPath,
    nodeVersion: process.versions.node,
    hostname: hostname(),
    now: Date.now(),
  };
}

function summary(report: InstallReport): string {
  const lines = report.notes.map((note) => `note: ${note}`);
  const where = report.offline ? ` under ${report.root}` : '';
  const n = report.changes.length;
  if (n === 0) lines.push(`vigil is installed${where} and up to date: nothing ${report.dryRun ? 'would change' : 'changed'}`);
  else if (report.dryRun) lines.push(`dry run: ${n} change${n === 1 ? '' : 's'} to make${where}, none made`);
  else lines.push(`vigil is installed${where}: ${n} change${n === 1 ? '' : 's'}${report.offline ? '' : '; systemctl status vigil shows the service, vigil logs its log'}`);
  return `${lines.join('\n')}\n`;
}
