/**
 * A host as an inventory writes it: a name, maybe `:PORT` after it, maybe ranges in it
 * (`web[01:50].example.com`, `db-[a:f]`, `pi[1:10:2]`) that stand for many hosts. Bracketed or
 * bare IPv6 addresses are names, not ranges.
 */
import { invalid, type Where } from './error.js';

export interface HostPattern {
  names: string[];
  port?: number;
}

/** More than this from one line is a typo (`[1:100000]`), not a fleet. */
export const MAX_EXPANSION = 10_000;

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

export function expandHostPattern(pattern: string, where: Where): HostPattern {
  const { name, port } = splitPort(pattern, where);
  if (name === '') throw invalid(where, `host "${pattern}" has no name: expected NAME or NAME:PORT`);
  if (name === '---') throw invalid(where, `host "---" looks like the start of a YAML document: name the file .yml or .yaml`);
  const names = isIpv6(name) ? [name] : expandRanges(name, pattern, where);
  return port === undefined ? { names } : { names, port };
}

function isIpv6(text: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return false;
  return text.includes('::') || text.split(':').length === 8;
}

function splitPort(pattern: string, where: Where): { name: string; port?: number } {
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::(.*))?$/.exec(pattern);
  if (bracketed && isIpv6(bracketed[1]!)) {
    const [, address, port] = bracketed;
    return port === undefined ? { name: address! } : { name: address!, port: parsePort(port, pattern, where) };
  }
  if (isIpv6(pattern)) return { name: pattern };
  // The port's colon is the last one outside brackets: `web[01:10]:2222`.
  let depth = 0;
  let colon = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === ':' && depth === 0) colon = i;
  }
  if (colon < 0) return { name: pattern };
  return { name: pattern.slice(0, colon), port: parsePort(pattern.slice(colon + 1), pattern, where) };
}

function parsePort(text: string, pattern: string, where: Where): number {
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw invalid(where, `host "${pattern}" has a bad port "${text}": expected NAME:PORT with a port from 1 to 65535`);
  }
  return port;
}

function expandRanges(name: string, pattern: string, where: Where): string[] {
  const open = name.indexOf('[');
  const close = name.indexOf(']');
  if (open < 0 && close < 0) return [name];
  if (close < 0) throw badRange(pattern, `"[" without its "]"`, where);
  if (open < 0 || close < open) throw badRange(pattern, 'a "]" without its "["', where);
  const end = close;
  const head = name.slice(0, open);
  const values = rangeValues(name.slice(open + 1, end), pattern, where);
  const tails = expandRanges(name.slice(end + 1), pattern, where);
  if (values.length * tails.length > MAX_EXPANSION) {
    throw badRange(pattern, `it makes ${values.length * tails.length} hosts, more than the ${MAX_EXPANSION} one line may`, where);
  }
  return values.flatMap((v) => tails.map((t) => head + v + t));
}

function rangeValues(spec: string, pattern: string, where: Where): string[] {
  const bounds = spec.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) throw badRange(pattern, `[${spec}] is not [BEGIN:END] or [BEGIN:END:STEP]`, where);
  // As Ansible: an empty begin is 0.
  const begin = bounds[0] === '' ? '0' : bounds[0]!;
  const endText = bounds[1]!;
  if (endText === '') throw badRange(pattern, `[${spec}] has no end`, where);
  const stepText = bounds[2] ?? '1';
  const step = /^\d+$/.test(stepText) ? Number(stepText) : NaN;
  if (!(step >= 1)) throw badRange(pattern, `the step "${stepText}" is not a whole number of 1 or more`, where);

  if (/^\d+$/.test(begin) && /^\d+$/.test(endText)) {
    // A leading zero asks for that width (`[01:50]` gives 01 … 50), and then both ends must have it.
    const width = begin.length > 1 && begin.startsWith('0') ? begin.length : 0;
    if (width && endText.length !== width) {
      throw badRange(pattern, `[${spec}] pads "${begin}" to ${width} digits but "${endText}" has ${endText.length}: write both ends with the same width`, where);
    }
    const from = Number(begin);
    const to = Number(endText);
    if (from > to) throw badRange(pattern, `[${spec}] begins after it ends`, where);
    if ((to - from) / step >= MAX_EXPANSION) throw badRange(pattern, `[${spec}] makes more than ${MAX_EXPANSION} hosts`, where);
    const out: string[] = [];
    for (let i = from; i <= to; i += step) out.push(width ? String(i).padStart(width, '0') : String(i));
    return out;
  }
  const from = begin.length === 1 ? LETTERS.indexOf(begin) : -1;
  const to = endText.length === 1 ? LETTERS.indexOf(endText) : -1;
  if (from < 0 || to < 0) throw badRange(pattern, `[${spec}] is neither numbers ([1:9], [01:50]) nor single letters ([a:f])`, where);
  if (from > to) throw badRange(pattern, `[${spec}] begins after it ends`, where);
  const out: string[] = [];
  for (let i = from; i <= to; i += step) out.push(LETTERS[i]!);
  return out;
}

function badRange(pattern: string, why: string, where: Where) {
  return invalid(where, `bad host range in "${pattern}": ${why}`);
}
