/**
 * Reading command arguments the way the modem does: integers in a range, quoted strings, and a
 * plain ERROR for anything else (the handler never has to check twice).
 */
import type { Arg } from './command-line.js';
import { splitArgs } from './command-line.js';
import { syntaxError } from './context.js';

export function args(raw: string): Arg[] {
  return splitArgs(raw);
}

/** Integer argument `i`, in [min, max]; `fallback` when it is missing or empty. */
export function intArg(list: Arg[], i: number, min: number, max: number, fallback?: number): number {
  const a = list[i];
  if (!a || a.empty) {
    if (fallback === undefined) throw syntaxError();
    return fallback;
  }
  if (a.quoted || !/^\d+$/.test(a.value)) throw syntaxError();
  const n = Number(a.value);
  if (n < min || n > max) throw syntaxError();
  return n;
}

/** String argument `i` (quotes optional, as most firmware accepts both). */
export function strArg(list: Arg[], i: number, fallback?: string): string {
  const a = list[i];
  if (!a || a.empty) {
    if (fallback === undefined) throw syntaxError();
    return fallback;
  }
  return a.value;
}

export function quote(text: string): string {
  return `"${text}"`;
}

/** A string as the TE character set (+CSCS) wants it: UCS2 and HEX are hex-coded. */
export function teString(text: string, cscs: string): string {
  if (cscs === 'UCS2') {
    let out = '';
    for (let i = 0; i < text.length; i++) out += text.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0');
    return out;
  }
  if (cscs === 'HEX') return Buffer.from(text, 'utf8').toString('hex').toUpperCase();
  return text;
}

/** The reverse of teString for what the host sends (a UCS2 number, a text-mode message). */
export function fromTeString(text: string, cscs: string): string {
  if (cscs === 'UCS2' && /^([0-9A-Fa-f]{4})+$/.test(text)) {
    let out = '';
    for (let i = 0; i < text.length; i += 4) out += String.fromCharCode(parseInt(text.slice(i, i + 4), 16));
    return out;
  }
  return text;
}
