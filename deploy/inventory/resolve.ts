/**
 * From what the file says to the hosts a deploy uses. Variables are flattened onto each host in
 * Ansible's order, lowest first: `all`, then the host's groups by depth (a parent before its
 * children), groups at the same depth by `ansible_group_priority` (default 1) and then by name,
 * and last the host's own variables. The connection settings are then read from the result.
 */
import { homedir } from 'node:os';
import { InventoryError, invalid } from './error.js';
import type { Inventory, InventoryHost } from './inventory.js';
import type { InventorySource, Located, SourceGroup } from './source.js';

const IMPLICIT = ['all', 'ungrouped'];

export function resolveInventory(source: InventorySource): Inventory {
  for (const name of IMPLICIT) source.declare(name, 1);
  checkDeclared(source);
  const parents = parentsOf(source);
  checkCycles(source);
  const depth = depths(source, parents);

  const membership = new Map<string, Set<string>>(); // host → every group it is in, ancestors too
  const addTo = (host: string, group: string, seen: Set<string>) => {
    if (seen.has(group)) return;
    seen.add(group);
    for (const parent of parents.get(group) ?? []) addTo(host, parent, seen);
  };
  for (const group of source.groups.values()) {
    for (const host of group.hosts) {
      const seen = membership.get(host) ?? new Set<string>();
      membership.set(host, seen);
      addTo(host, group.name, seen);
    }
  }

  if (source.hosts.size === 0) {
    throw new InventoryError('the inventory has no hosts: expected at least one host, under a [group] (INI) or a group\'s hosts: (YAML)', {
      code: 'INVENTORY_EMPTY',
      where: { file: source.file },
    });
  }

  const hosts: InventoryHost[] = [];
  for (const sourceHost of source.hosts.values()) {
    const groups = [...(membership.get(sourceHost.name) ?? [])].filter((g) => !IMPLICIT.includes(g));
    // As Ansible: `ungrouped` holds the hosts in no other group, whatever section listed them.
    const order = groups.length === 0 ? ['all', 'ungrouped'] : ['all', ...[...groups].sort((a, b) => compareGroups(source.groups.get(a)!, source.groups.get(b)!, depth))];
    const merged = new Map<string, Located<unknown>>();
    for (const name of order) for (const [key, value] of source.groups.get(name)!.vars) merged.set(key, value);
    for (const [key, value] of sourceHost.vars) merged.set(key, value);
    hosts.push(connection(source, sourceHost.name, groups.sort(), merged));
  }
  const groups = [...source.groups.keys()].sort();
  return { hosts, groups };
}

function checkDeclared(source: InventorySource): void {
  const missing = [...source.groups.values()].filter((g) => !g.declared).sort((a, b) => a.mention!.line - b.mention!.line)[0];
  if (!missing) return;
  const { line, by } = missing.mention!;
  throw invalid(
    source.at(line),
    `${by} names the group "${missing.name}", which is never declared: add a [${missing.name}] section (it may stay empty) or correct the name`,
  );
}

function parentsOf(source: InventorySource): Map<string, string[]> {
  const parents = new Map<string, string[]>();
  for (const group of source.groups.values()) {
    for (const child of group.children) parents.set(child.value, [...(parents.get(child.value) ?? []), group.name]);
  }
  // Every group without another parent is a child of `all`.
  for (const name of source.groups.keys()) if (name !== 'all' && !parents.has(name)) parents.set(name, ['all']);
  return parents;
}

function checkCycles(source: InventorySource): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (group: SourceGroup, path: string[]) => {
    state.set(group.name, 'visiting');
    for (const child of group.children) {
      const seen = state.get(child.value);
      if (seen === 'visiting') {
        const cycle = [...path.slice(path.indexOf(child.value)), child.value].join(' → ');
        throw invalid(source.at(child.line), `groups contain each other: ${cycle}: expected children to form a tree, each group inside others only once around`);
      }
      if (seen === undefined) visit(source.groups.get(child.value)!, [...path, child.value]);
    }
    state.set(group.name, 'done');
  };
  for (const group of source.groups.values()) if (!state.has(group.name)) visit(group, [group.name]);
}

/** Ansible's depth: the longest way down from `all`, so a child always merges after its parents. */
function depths(source: InventorySource, parents: Map<string, string[]>): Map<string, number> {
  const depth = new Map<string, number>([['all', 0]]);
  const of = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    const d = Math.max(...(parents.get(name) ?? ['all']).map(of)) + 1;
    depth.set(name, d);
    return d;
  };
  for (const name of source.groups.keys()) of(name);
  return depth;
}

function compareGroups(a: SourceGroup, b: SourceGroup, depth: Map<string, number>): number {
  return depth.get(a.name)! - depth.get(b.name)! || priority(a) - priority(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

function priority(group: SourceGroup): number {
  const value = group.vars.get('ansible_group_priority')?.value;
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : 1;
}

function connection(source: InventorySource, name: string, groups: string[], merged: Map<string, Located<unknown>>): InventoryHost {
  const pick = (...keys: string[]) => keys.map((k) => merged.get(k)).find((v) => v !== undefined && v.value !== null);
  const text = (key: string, entry: Located<unknown> | undefined): string | undefined => {
    if (entry === undefined) return undefined;
    if (typeof entry.value === 'string' && entry.value.trim() !== '') return entry.value;
    if (typeof entry.value === 'number') return String(entry.value);
    throw invalid(source.at(entry.line), `${key} of host "${name}" is ${JSON.stringify(entry.value)}: expected a non-empty string`);
  };

  const host = { name, host: text('ansible_host', pick('ansible_host', 'ansible_ssh_host')) ?? name } as InventoryHost;
  const port = pick('ansible_port', 'ansible_ssh_port');
  if (port) {
    const n = typeof port.value === 'number' ? port.value : typeof port.value === 'string' && /^\s*\d+\s*$/.test(port.value) ? Number(port.value) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 65535) {
      throw invalid(source.at(port.line), `ansible_port of host "${name}" is ${JSON.stringify(port.value)}: expected a port number from 1 to 65535`);
    }
    host.port = n;
  }
  const user = text('ansible_user', pick('ansible_user', 'ansible_ssh_user'));
  if (user !== undefined) host.user = user;
  const identity = text('ansible_ssh_private_key_file', pick('ansible_ssh_private_key_file', 'ansible_private_key_file'));
  if (identity !== undefined) host.identity = expandHome(identity);
  host.groups = groups;
  host.vars = Object.fromEntries([...merged].map(([key, { value }]) => [key, value]));
  return host;
}

/** `~` and `~/…` are the user's home, as ssh reads them; `~other/` is left alone. */
export function expandHome(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return homedir() + path.slice(1);
  return path;
}
