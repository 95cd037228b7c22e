/**
 * Ansible's INI inventory: hosts before any section are `ungrouped`; `[group]` lists hosts
 * (`name[:port] key=value …`, ranges allowed), `[group:vars]` one `key=value` a line,
 * `[group:children]` one group name a line; `#` and `;` start comment lines. Every group named
 * as a child or by `[group:vars]` must be declared by `[group]` or `[group:children]` somewhere
 * in the file, as Ansible requires: a misspelt child would otherwise quietly leave devices out.
 */
import { invalid, type Where } from './error.js';
import { expandHostPattern } from './host-pattern.js';
import { parsePythonLiteral } from './py-literal.js';
import { InventorySource, setVar, type SourceGroup } from './source.js';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUP_LINE = /^([^:\]\s]+)\s*(?:#.*)?$/;

export function parseIni(text: string, file = 'inventory'): InventorySource {
  const source = new InventorySource(file);
  let group = source.declare('ungrouped', 1);
  let kind: 'hosts' | 'vars' | 'children' = 'hosts';
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const where = source.at(lineNo);
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;

    const section = SECTION.exec(line);
    if (section) {
      const name = section[1]!;
      const type = section[2] ?? 'hosts';
      if (type !== 'hosts' && type !== 'vars' && type !== 'children') {
        throw invalid(where, `[${name}:${type}] has an unknown section kind "${type}": expected [${name}], [${name}:vars] or [${name}:children]`);
      }
      kind = type;
      group = kind === 'vars' ? source.mention(name, lineNo, `[${name}:vars]`) : source.declare(name, lineNo);
      continue;
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      throw invalid(where, `${line} is not a section header: expected [GROUP], [GROUP:vars] or [GROUP:children], the name without spaces`);
    }

    if (kind === 'hosts') hostLine(source, group, line, where);
    else if (kind === 'vars') varLine(group, line, where);
    else childLine(source, group, line, where);
  }
  return source;
}

function hostLine(source: InventorySource, group: SourceGroup, line: string, where: Where): void {
  const words = shellWords(line, where);
  const [pattern, ...assignments] = words;
  if (pattern === undefined) return; // only a comment after all
  if (pattern.includes('=')) {
    const section = group.name === 'ungrouped' ? '[all:vars]' : `[${group.name}:vars]`;
    throw invalid(where, `"${pattern}" stands where a host name should: a variable for the whole group goes under ${section}, one for a host after its name`);
  }
  const { names, port } = expandHostPattern(pattern, where);
  const vars: [string, unknown][] = [];
  for (const word of assignments) {
    const eq = word.indexOf('=');
    if (eq <= 0) throw invalid(where, `"${word}" after host "${pattern}" is not a variable: expected KEY=VALUE (quote values with spaces: key="a b")`);
    vars.push([word.slice(0, eq), literalOrText(word.slice(eq + 1))]);
  }
  for (const name of names) {
    const host = source.addHost(group, name, where.line!);
    if (port !== undefined) setVar(host.vars, 'ansible_port', port, where.line!);
    for (const [key, value] of vars) setVar(host.vars, key, value, where.line!);
  }
}

function varLine(group: SourceGroup, line: string, where: Where): void {
  const eq = line.indexOf('=');
  const key = eq < 0 ? '' : line.slice(0, eq).trim();
  if (key === '' || /\s/.test(key)) throw invalid(where, `"${line}" in [${group.name}:vars] is not a variable: expected one KEY=VALUE a line`);
  const raw = line.slice(eq + 1).trim();
  const literal = parsePythonLiteral(raw);
  // Not a literal: the rest of the line is the text, less a trailing ` # comment`.
  setVar(group.vars, key, literal ? literal.value : raw.replace(/\s+#.*$/, ''), where.line!);
}

function childLine(source: InventorySource, group: SourceGroup, line: string, where: Where): void {
  const match = GROUP_LINE.exec(line);
  if (!match) throw invalid(where, `"${line}" in [${group.name}:children] is not a group name: expected one group name a line, without spaces or ":"`);
  const child = match[1]!;
  if (child === group.name) throw invalid(where, `[${group.name}:children] lists the group itself: a group cannot contain itself`);
  source.mention(child, where.line!, `[${group.name}:children]`);
  source.addChild(group, child, where.line!);
}

function literalOrText(text: string): unknown {
  const literal = parsePythonLiteral(text);
  return literal ? literal.value : text;
}

/**
 * A host line split as Python's shlex (POSIX mode, comments on) splits it, as Ansible does:
 * whitespace separates, quotes group (`key="a b"`), a backslash escapes, `#` outside quotes
 * ends the line.
 */
export function shellWords(line: string, where: Where): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  const push = (s: string) => (word = (word ?? '') + s);
  while (i < line.length) {
    const c = line[i]!;
    if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (c === '#') {
      break;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw invalid(where, `the line ends in a lone backslash: expected a character after it`);
      push(line[i + 1]!);
      i += 2;
    } else if (c === "'" || c === '"') {
      const start = i;
      push('');
      i++;
      for (;;) {
        if (i >= line.length) throw invalid(where, `unterminated ${c === '"' ? 'double' : 'single'} quote from column ${start + 1}: expected a closing ${c}`);
        const q = line[i]!;
        if (q === c) {
          i++;
          break;
        }
        if (c === '"' && q === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) {
          push(line[i + 1]!);
          i += 2;
        } else {
          push(q);
          i++;
        }
      }
    } else {
      push(c);
      i++;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}
