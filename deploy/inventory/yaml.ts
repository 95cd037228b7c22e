/**
 * Ansible's YAML inventory: top-level keys are groups (usually just `all`); a group has `hosts`
 * (a mapping: each host a key, its variables a mapping or nothing), `vars` and `children` (a
 * mapping of groups, each shaped the same). Host keys may carry `:PORT` and ranges, as in INI.
 * Anything else is refused with its line, rather than skipped as Ansible does with a warning:
 * `host:` for `hosts:` would otherwise deploy to nobody without a word.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { invalid, type Where } from './error.js';
import { expandHostPattern } from './host-pattern.js';
import { InventorySource, setVar, type SourceGroup } from './source.js';

const GROUP_KEYS = ['hosts', 'vars', 'children'];
const MAX_DEPTH = 64;

export function parseYaml(text: string, file = 'inventory.yml'): InventorySource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const source = new InventorySource(file);
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0].line;
    throw invalid(line === undefined ? { file } : { file, line }, `not valid YAML: ${first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  const walker = new Walker(source, doc, lines);
  walker.root(doc.contents);
  return source;
}

class Walker {
  readonly #source: InventorySource;
  readonly #doc: Document;
  readonly #lines: LineCounter;

  constructor(source: InventorySource, doc: Document, lines: LineCounter) {
    this.#source = source;
    this.#doc = doc;
    this.#lines = lines;
  }

  #where(node: unknown, fallback = 1): Where {
    const range = (node as Node | null)?.range;
    return this.#source.at(range ? this.#lines.linePos(range[0]).line : fallback);
  }

  #deref(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.#doc) : node;
  }

  #isNull(node: unknown): boolean {
    return node === null || node === undefined || (isScalar(node) && node.value === null);
  }

  root(node: unknown): void {
    node = this.#deref(node);
    if (this.#isNull(node)) return; // nothing at all: reported as an empty inventory
    if (!isMap(node)) throw invalid(this.#where(node), `expected a mapping of group names at the top (all:, or one key per group), not ${describe(node)}`);
    for (const pair of node.items) {
      const name = this.#key(pair.key, 'a group name');
      this.group(name, pair.key, pair.value, 0);
    }
  }

  group(name: string, keyNode: unknown, node: unknown, depth: number): SourceGroup {
    const where = this.#where(keyNode);
    if (depth > MAX_DEPTH) throw invalid(where, `groups nested more than ${MAX_DEPTH} deep under "${name}": expected a tree of groups, not a loop of aliases`);
    const group = this.#source.declare(name, where.line!);
    node = this.#deref(node);
    if (this.#isNull(node)) return group;
    if (!isMap(node)) throw invalid(this.#where(node, where.line), `group "${name}" is ${describe(node)}: expected a mapping with hosts:, vars: or children:`);
    for (const pair of node.items) {
      const key = this.#key(pair.key, 'hosts, vars or children');
      const value = this.#deref(pair.value);
      const at = this.#where(pair.key);
      if (!GROUP_KEYS.includes(key)) throw invalid(at, `group "${name}" has "${key}:": expected hosts:, vars: or children:`);
      if (this.#isNull(value)) continue;
      if (key === 'hosts') this.#hosts(group, value, at);
      else if (key === 'vars') this.#vars(group.vars, value, `vars of group "${name}"`, at);
      else this.#children(group, value, at, depth);
    }
    return group;
  }

  #hosts(group: SourceGroup, node: unknown, at: Where): void {
    if (isSeq(node)) {
      throw invalid(this.#where(node, at.line), `hosts of group "${group.name}" is a list: expected a mapping, each host a key ending in ":" (write "- pi1" as "pi1:")`);
    }
    if (!isMap(node)) throw invalid(this.#where(node, at.line), `hosts of group "${group.name}" is ${describe(node)}: expected a mapping, each host a key ending in ":"`);
    for (const pair of node.items) {
      const pattern = this.#key(pair.key, 'a host name');
      const where = this.#where(pair.key);
      const value = this.#deref(pair.value);
      if (!this.#isNull(value) && !isMap(value)) {
        throw invalid(this.#where(value, where.line), `host "${pattern}" in group "${group.name}" is ${describe(value)}: expected its variables as a mapping (key: value), or nothing`);
      }
      const { names, port } = expandHostPattern(pattern, where);
      for (const name of names) {
        const host = this.#source.addHost(group, name, where.line!);
        if (port !== undefined) setVar(host.vars, 'ansible_port', port, where.line!);
        if (isMap(value)) this.#vars(host.vars, value, `host "${name}"`, where);
      }
    }
  }

  #vars(vars: Map<string, { value: unknown; line: number }>, node: unknown, what: string, at: Where): void {
    if (!isMap(node)) throw invalid(this.#where(node, at.line), `${what} is ${describe(node)}: expected a mapping (key: value)`);
    for (const pair of node.items) {
      const key = this.#key(pair.key, 'a variable name');
      const value = this.#deref(pair.value);
      const js: unknown = value === null || value === undefined ? null : (value as Node).toJS(this.#doc);
      setVar(vars, key, js, this.#where(pair.key).line!);
    }
  }

  #children(group: SourceGroup, node: unknown, at: Where, depth: number): void {
    if (!isMap(node)) {
      const hint = isSeq(node) ? ' (write "- garden" as "garden:")' : '';
      throw invalid(this.#where(node, at.line), `children of group "${group.name}" is ${describe(node)}: expected a mapping of group names${hint}`);
    }
    for (const pair of node.items) {
      const child = this.#key(pair.key, 'a group name');
      const line = this.#where(pair.key).line!;
      if (child === group.name) throw invalid(this.#source.at(line), `group "${child}" lists itself among its children: a group cannot contain itself`);
      this.#source.addChild(group, child, line);
      this.group(child, pair.key, pair.value, depth + 1);
    }
  }

  #key(node: unknown, expected: string): string {
    node = this.#deref(node);
    if (isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number') && String(node.value) !== '') return String(node.value);
    throw invalid(this.#where(node), `expected ${expected} as the key here, not ${describe(node)}`);
  }
}

function describe(node: unknown): string {
  if (isSeq(node)) return 'a list';
  if (isMap(node)) return 'a mapping';
  if (isScalar(node)) return node.value === null ? 'empty' : `the value ${JSON.stringify(node.value)}`;
  return 'empty';
}
