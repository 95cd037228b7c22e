/**
 * `--limit`, as Ansible reads a host pattern: terms separated by `,` (or `:` when there is no
 * comma); a term is a group or host name, a glob (`garden*`, `pi-?`, `pi[12]`), `~regex`, or
 * `all`/`*`. Plain terms are a union; `&term` keeps only hosts also in it, `!term` drops hosts in
 * it, whatever their place in the pattern. A term names a group when a group matches it; globs
 * and regexes match host names too. Ansible only warns about a term that matches nothing; here
 * it is an error, because a misspelt `!` term would deploy to the very devices meant to be spared.
 */
import { InventoryError } from './error.js';
import type { Inventory, InventoryHost } from './inventory.js';

export function selectHosts(inventory: Inventory, pattern: string): InventoryHost[] {
  const terms = splitPattern(pattern);
  if (terms.length === 0) throw new InventoryError(`--limit "${pattern}" has no host or group in it: expected a pattern such as garden, garden*, pi1,pi2 or all,!garden-3`, { code: 'LIMIT_INVALID' });
  const plain = terms.filter((t) => !t.startsWith('&') && !t.startsWith('!'));
  const intersect = terms.filter((t) => t.startsWith('&')).map((t) => t.slice(1));
  const exclude = terms.filter((t) => t.startsWith('!')).map((t) => t.slice(1));

  const match = (term: string): Set<string> => {
    const found = matchTerm(inventory, term, pattern);
    if (found.size === 0) throw unmatched(inventory, pattern, `"${term}" matches no group or host`);
    return found;
  };
  let selected = new Set<string>();
  if (plain.length === 0) selected = new Set(inventory.hosts.map((h) => h.name));
  for (const term of plain) for (const name of match(term)) selected.add(name);
  for (const term of intersect) {
    const keep = match(term);
    selected = new Set([...selected].filter((name) => keep.has(name)));
  }
  for (const term of exclude) for (const name of match(term)) selected.delete(name);

  const hosts = inventory.hosts.filter((h) => selected.has(h.name));
  if (hosts.length === 0) throw unmatched(inventory, pattern, 'together its terms leave no host');
  return hosts;
}

function splitPattern(pattern: string): string[] {
  const trimmed = pattern.trim();
  // As Ansible: `:` separates only when there is no comma, and never inside an IPv6 address.
  const ipv6 = /^[0-9a-fA-F:.]+$/.test(trimmed) && (trimmed.includes('::') || trimmed.split(':').length === 8);
  const parts = trimmed.includes(',') || ipv6 ? trimmed.split(',') : trimmed.split(':');
  return parts.map((p) => p.trim()).filter((p) => p !== '' && p !== '&' && p !== '!');
}

function matchTerm(inventory: Inventory, term: string, pattern: string): Set<string> {
  const test = matcher(term, pattern);
  const found = new Set<string>();
  const groups = inventory.groups.filter(test);
  for (const group of groups) for (const host of inventory.hosts) if (inHost(host, group)) found.add(host.name);
  if (groups.length === 0 || term.startsWith('~') || /[.?*[]/.test(term)) {
    for (const host of inventory.hosts) if (test(host.name)) found.add(host.name);
  }
  return found;
}

function inHost(host: InventoryHost, group: string): boolean {
  if (group === 'all') return true;
  if (group === 'ungrouped') return host.groups.length === 0;
  return host.groups.includes(group);
}

function matcher(term: string, pattern: string): (name: string) => boolean {
  if (term.startsWith('~')) {
    let re: RegExp;
    try {
      // Python's re.match: anchored at the start only.
      re = new RegExp(`^(?:${term.slice(1)})`);
    } catch (err) {
      throw new InventoryError(`--limit "${pattern}": "${term}" is not a valid regular expression: ${(err as Error).message}`, { code: 'LIMIT_INVALID', cause: err });
    }
    return (name) => re.test(name);
  }
  if (term === 'all' || term === '*') return () => true;
  if (!/[*?[]/.test(term)) return (name) => name === term;
  const re = globToRegExp(term);
  return (name) => re.test(name);
}

/** fnmatch: `*` any run, `?` one character, `[abc]`/`[a-z]` one of, `[!abc]` none of. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, end);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      out += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else out += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

function unmatched(inventory: Inventory, pattern: string, why: string): InventoryError {
  const groups = inventory.groups.filter((g) => g !== 'all' && g !== 'ungrouped');
  const listed = groups.length ? groups.join(', ') : '(none besides all)';
  return new InventoryError(`--limit "${pattern}": ${why}; the inventory's groups are: ${listed}`, { code: 'LIMIT_UNMATCHED' });
}
