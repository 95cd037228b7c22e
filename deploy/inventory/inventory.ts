/**
 * Ansible inventories for `vigil deploy --inventory FILE`, so a fleet that already has one reuses
 * it: `loadInventory(file, { limit })` reads an INI or YAML inventory and gives the hosts to deploy
 * to, each with its connection settings (ansible_host, ansible_port, ansible_user,
 * ansible_ssh_private_key_file) and every variable merged onto it, vigil_* ones included.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { errorMessage } from '../../runtime/errors.js';
import { InventoryError } from './error.js';
import { parseIni } from './ini.js';
import { selectHosts } from './limit.js';
import { resolveInventory } from './resolve.js';
import { parseYaml } from './yaml.js';

export { InventoryError } from './error.js';
export { parseIni } from './ini.js';
export { parseYaml } from './yaml.js';
export { resolveInventory } from './resolve.js';
export { selectHosts } from './limit.js';

export interface InventoryHost {
  /** The inventory name (what --limit and the result table use). */
  name: string;
  /** Where to connect: ansible_host, else the name. */
  host: string;
  /** ansible_port (or the `name:port` shorthand). */
  port?: number;
  /** ansible_user. */
  user?: string;
  /** ansible_ssh_private_key_file, `~` expanded. */
  identity?: string;
  /** Every group the host is in, parents of its groups included; not `all` or `ungrouped`. Sorted. */
  groups: string[];
  /** Every variable that applies to the host, after precedence. */
  vars: Record<string, unknown>;
}

export interface Inventory {
  /** In the order the file first lists them. */
  hosts: InventoryHost[];
  /** Every group the file defines, with `all` and `ungrouped`, sorted. */
  groups: string[];
}

export type InventoryFormat = 'ini' | 'yaml';

export interface LoadOptions {
  /** An Ansible host pattern: `garden`, `garden*`, `pi1,pi2`, `garden,!garden-3`, `garden,&south`. */
  limit?: string;
  /** Taken from the extension (.yml, .yaml, .json are YAML; .ini INI), else from the content. */
  format?: InventoryFormat;
}

export function loadInventory(file: string, options: LoadOptions = {}): Inventory {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'it does not exist' : code === 'EISDIR' ? 'it is a directory, expected an INI or YAML file' : errorMessage(err);
    throw new InventoryError(`cannot read inventory ${file}: ${why}`, { code: 'INVENTORY_UNREADABLE', cause: err });
  }
  return parseInventory(text, file, options);
}

/** As loadInventory, from text already read; `file` names it in errors. */
export function parseInventory(text: string, file: string, options: LoadOptions = {}): Inventory {
  const format = options.format ?? detectFormat(file, text);
  const source = format === 'yaml' ? parseYaml(text, file) : parseIni(text, file);
  const inventory = resolveInventory(source);
  return options.limit === undefined ? inventory : { ...inventory, hosts: selectHosts(inventory, options.limit) };
}

/**
 * Ansible tells formats apart by trying each parser; a file named `hosts` may be either. A first
 * line that is `---` or a bare `key:` is YAML: in INI it could only be a host with an empty port.
 */
export function detectFormat(file: string, text: string): InventoryFormat {
  const ext = extname(file).toLowerCase();
  if (['.yml', '.yaml', '.json'].includes(ext)) return 'yaml';
  if (['.ini', '.cfg'].includes(ext)) return 'ini';
  const first = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#') && !l.startsWith(';'));
  if (first === undefined) return 'ini';
  if (first === '---' || first.startsWith('{')) return 'yaml';
  return /^[^\s[=]+:(\s.*)?$/.test(first) ? 'yaml' : 'ini';
}
