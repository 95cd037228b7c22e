/**
 * What `vigil bundle` leaves out: a few defaults and the bundle's optional `.vigilignore`, one glob
 * per line. The syntax is a small, predictable subset of .gitignore, written here so bundling
 * needs no dependency:
 *
 *   - blank lines and lines starting with "#" are skipped;
 *   - `*` matches within one path segment, `**` across segments (`a/**` is everything under a,
 *     `**` + `/x` is x at any depth), `?` one character; other characters are literal;
 *   - a pattern without "/" (other than a trailing one) matches a name at any depth (`*.log`);
 *     one with "/" is relative to the bundle's root (a leading "/" is allowed);
 *   - a trailing "/" matches directories only;
 *   - a matched directory leaves out everything in it.
 *
 * Negation ("!") is refused rather than silently ignored: a file someone meant to keep must not
 * quietly go missing from the archive.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const IGNORE_FILE = '.vigilignore';

/**
 * Always left out: caches, version control, logs, the ignore file itself and earlier archives
 * (built into the bundle directory, they would make the next build differ). The bundle's own
 * node_modules is kept: tasks may depend on packages.
 */
export const DEFAULT_IGNORES: readonly string[] = ['**/node_modules/.cache/', '.git', '*.log', `/${IGNORE_FILE}`, '*.vigil.tgz'];

interface Rule {
  source: string;
  regex: RegExp;
  directoryOnly: boolean;
}

export class IgnoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IgnoreError';
  }
}

function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') {
        i++;
        out += '(?:.*/)?'; // "**/": zero or more whole directories
      } else {
        out += '.*';
      }
    } else if (c === '*') {
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else {
      out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return out;
}

function compile(line: string, where: string): Rule | undefined {
  const source = line.trim();
  if (source === '' || source.startsWith('#')) return undefined;
  if (source.startsWith('!')) throw new IgnoreError(`${where}: ${JSON.stringify(source)} negates a pattern, which vigil's ignore files do not support: list only what to leave out`);
  let pattern = source;
  const directoryOnly = pattern.endsWith('/');
  if (directoryOnly) pattern = pattern.replace(/\/+$/, '');
  // A pattern with a "/" inside is anchored at the root; one without matches a name at any depth.
  const anchored = pattern.includes('/');
  pattern = pattern.replace(/^\/+/, '');
  if (pattern === '') throw new IgnoreError(`${where}: ${JSON.stringify(source)} matches nothing: expected a glob such as "*.map" or "docs/"`);
  const body = globToRegex(pattern);
  return { source, directoryOnly, regex: new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`, 's') };
}

export class IgnoreRules {
  readonly #rules: Rule[];

  constructor(patterns: readonly string[], where = 'ignore pattern') {
    this.#rules = patterns.map((p, i) => compile(p, `${where} line ${i + 1}`)).filter((r): r is Rule => r !== undefined);
  }

  /** The defaults plus `dir/.vigilignore` if there is one. */
  static forBundle(dir: string): IgnoreRules {
    let extra: string[] = [];
    try {
      extra = readFileSync(join(dir, IGNORE_FILE), 'utf8').split(/\r?\n/);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new IgnoreError(`cannot read ${join(dir, IGNORE_FILE)}: ${(err as Error).message}`);
    }
    const rules = new IgnoreRules(DEFAULT_IGNORES, 'default');
    rules.#rules.push(...new IgnoreRules(extra, join(dir, IGNORE_FILE)).#rules);
    return rules;
  }

  /** The pattern that leaves `path` (relative, "/"-separated) out, or undefined if it is kept. */
  match(path: string, isDirectory: boolean): string | undefined {
    for (const rule of this.#rules) {
      if (rule.directoryOnly && !isDirectory) continue;
      if (rule.regex.test(path)) return rule.source;
    }
    return undefined;
  }
}
