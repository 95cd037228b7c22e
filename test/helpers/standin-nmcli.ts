/**
 * A stand-in nmcli for the faults a real NetworkManager cannot be made to produce on demand
 * (malformed output, an exit status of our choosing), and to see exactly what the driver ran:
 * every call's arguments, standard input and locale are recorded. It is a real executable run
 * by the real runner (and by node-wifi, found on PATH), so argument passing is what it is on a
 * device.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Answer {
  code?: number;
  stdout?: string;
  stderr?: string;
}

export interface Call {
  args: string[];
  stdin: string;
  lang: string | undefined;
}

export interface StandIn {
  dir: string;
  /** The executable's path (named nmcli, in `dir`, which can go first on PATH). */
  path: string;
  /** Answers by exact argument list joined with spaces; a prefix ending in "*" matches the rest. */
  answer(args: string, answer: Answer): void;
  calls(): Call[];
}

export function standInNmcli(): StandIn {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-nmcli-'));
  const answers = join(dir, 'answers.json');
  const log = join(dir, 'calls.jsonl');
  writeFileSync(answers, '{}');
  const path = join(dir, 'nmcli');
  writeFileSync(
    path,
    `#!${process.execPath}
const fs = require('fs');
const args = process.argv.slice(2);
// Only the editor reads its input (as nmcli does); node-wifi leaves the pipe open, so reading it always would hang.
let stdin = '';
if (args[1] === 'edit') { try { stdin = fs.readFileSync(0, 'utf8'); } catch {} }
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ args, stdin, lang: process.env.LC_ALL }) + '\\n');
const all = JSON.parse(fs.readFileSync(${JSON.stringify(answers)}, 'utf8'));
const key = args.join(' ');
const hit = all[key] ?? Object.entries(all).find(([k]) => k.endsWith('*') && key.startsWith(k.slice(0, -1)))?.[1];
const a = hit ?? { code: 2, stderr: 'Error: the stand-in has no answer for: nmcli ' + key + '\\n' };
if (a.stdout) process.stdout.write(a.stdout);
if (a.stderr) process.stderr.write(a.stderr);
process.exitCode = a.code ?? 0;
`,
  );
  chmodSync(path, 0o755);
  return {
    dir,
    path,
    answer(args, answer) {
      const all = JSON.parse(readFileSync(answers, 'utf8')) as Record<string, Answer>;
      all[args] = answer;
      writeFileSync(answers, JSON.stringify(all));
    },
    calls() {
      if (!existsSync(log)) return [];
      return readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Call);
    },
  };
}
