/**
 * The devices a `vigil deploy` goes to: USER@HOST[:PORT] arguments and the hosts an inventory
 * names (after --limit), each with how to reach vigil there. Connection variables from the
 * inventory win over the command line's defaults, as they do in Ansible.
 */
import { CliError } from '../runtime/errors.js';
import type { DeviceTarget } from './deploy-host.js';
import { loadInventory, type InventoryHost } from './inventory/inventory.js';
import { formatTarget, parseTarget } from './ssh/target.js';

export interface TargetFlags {
  inventory?: string;
  limit?: string;
  vigilCommand?: string;
  deviceConfig?: string;
}

export function deviceTargets(hosts: readonly string[], flags: TargetFlags): DeviceTarget[] {
  if (flags.limit !== undefined && flags.inventory === undefined) throw new CliError('BAD_ARGUMENT', '--limit selects inventory hosts: give --inventory FILE too');
  const vigilCommand = flags.vigilCommand ?? 'vigil';
  if (vigilCommand.trim() === '') throw new CliError('BAD_ARGUMENT', '--vigil-command is empty: expected the command that runs vigil on the devices');
  const targets: DeviceTarget[] = hosts.map((text) => {
    const ssh = parseTarget(text);
    return { name: formatTarget(ssh), ssh, vigilCommand, ...(flags.deviceConfig !== undefined ? { deviceConfig: flags.deviceConfig } : {}) };
  });
  if (flags.inventory !== undefined) {
    const inventory = loadInventory(flags.inventory, flags.limit !== undefined ? { limit: flags.limit } : {});
    for (const host of inventory.hosts) targets.push(fromInventory(host, vigilCommand, flags.deviceConfig));
  }
  if (targets.length === 0) throw new CliError('BAD_ARGUMENT', 'no devices to deploy to: give USER@HOST[:PORT] arguments or --inventory FILE');
  const seen = new Set<string>();
  for (const t of targets) {
    const key = `${t.ssh.user}@${t.ssh.host}:${t.ssh.port}`;
    if (seen.has(key)) throw new CliError('BAD_ARGUMENT', `${t.name} (${key}) is named twice: each device once, or two deploys would race on it`);
    seen.add(key);
  }
  return targets;
}

function fromInventory(host: InventoryHost, vigilCommand: string, deviceConfig: string | undefined): DeviceTarget {
  // The inventory's own fields are parsed by the same rules as a command-line target.
  const base = parseTarget(`${host.user !== undefined ? `${host.user}@` : ''}${host.host.includes(':') ? `[${host.host}]` : host.host}`);
  const ssh = { ...base, ...(host.port !== undefined ? { port: host.port } : {}) };
  const command = typeof host.vars.vigil_command === 'string' ? host.vars.vigil_command : vigilCommand;
  const config = typeof host.vars.vigil_config === 'string' ? host.vars.vigil_config : deviceConfig;
  return {
    name: host.name,
    ssh,
    vigilCommand: command,
    ...(host.identity !== undefined ? { identity: host.identity } : {}),
    ...(config !== undefined ? { deviceConfig: config } : {}),
  };
}
