/**
 * OpenSSH's known_hosts, read and appended to as `ssh` does (sshd(8), "SSH_KNOWN_HOSTS FILE
 * FORMAT"): `[@marker] patterns keytype base64-key [comment]`, one key a line, several lines per
 * host allowed. Patterns are comma-separated host names with `*` and `?` wildcards and `!`
 * negations, `[host]:port` for a port other than 22, or one hashed name `|1|salt|hmac-sha1`.
 *
 * `@revoked` keys are refused for the hosts their line matches. `@cert-authority` lines are
 * never used: host certificates are not supported here, and treating a CA's key as the host's
 * own key would accept any host the CA signed, or none; such a line neither matches nor counts
 * as a known key.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fingerprint, keyTypeOf } from './host-key.js';

export interface KnownKey {
  file: string;
  /** 1-based. */
  line: number;
  type: string;
  fingerprint: string;
}

export type HostKeyCheck =
  | { status: 'match'; entry: KnownKey }
  /** Keys are known for this host but the one presented is none of them (`known` lists them). */
  | { status: 'changed'; known: KnownKey[] }
  | { status: 'unknown' }
  | { status: 'revoked'; entry: KnownKey };

interface Entry extends KnownKey {
  marker: 'revoked' | 'cert-authority' | undefined;
  hosts: HostMatcher;
  blob: Buffer;
}

type HostMatcher = (name: string) => boolean;

export class KnownHosts {
  readonly file: string;
  readonly #entries: Entry[];
  /** Lines that were neither comments nor entries (ignored, as ssh ignores them). */
  readonly skipped: number[];

  private constructor(file: string, entries: Entry[], skipped: number[]) {
    this.file = file;
    this.#entries = entries;
    this.skipped = skipped;
  }

  /** The file's entries; a file that does not exist is an empty one. */
  static async load(file: string): Promise<KnownHosts> {
    let text = '';
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return KnownHosts.parse(text, file);
  }

  static parse(text: string, file: string): KnownHosts {
    const entries: Entry[] = [];
    const skipped: number[] = [];
    text.split('\n').forEach((raw, index) => {
      const line = raw.replace(/\r$/, '').trim();
      if (line === '' || line.startsWith('#')) return;
      const entry = parseLine(line, file, index + 1);
      if (entry) entries.push(entry);
      else skipped.push(index + 1);
    });
    return new KnownHosts(file, entries, skipped);
  }

  /** What the file says about `keyBlob` (of `keyType`) presented by host:port. */
  check(host: string, port: number, keyType: string, keyBlob: Buffer): HostKeyCheck {
    const name = hostKeyName(host, port);
    const forHost = this.#entries.filter((e) => e.marker !== 'cert-authority' && e.hosts(name));
    const revoked = forHost.find((e) => e.marker === 'revoked' && e.blob.equals(keyBlob));
    if (revoked) return { status: 'revoked', entry: known(revoked) };
    const keys = forHost.filter((e) => e.marker === undefined);
    const same = keys.find((e) => e.type === keyType && e.blob.equals(keyBlob));
    if (same) return { status: 'match', entry: known(same) };
    // A host known by a key of another type is not unknown: offering the known types first (see
    // typesFor) makes a server that still has that key present it, so one that does not has changed.
    if (keys.length > 0) return { status: 'changed', known: keys.map(known) };
    return { status: 'unknown' };
  }

  /** Every line whose host patterns match host:port, markers included, in file order (what `ssh-keygen -F` lists). */
  entriesFor(host: string, port: number): (KnownKey & { marker?: 'revoked' | 'cert-authority' })[] {
    const name = hostKeyName(host, port);
    return this.#entries.filter((e) => e.hosts(name)).map((e) => (e.marker ? { ...known(e), marker: e.marker } : known(e)));
  }

  /** The key types known for host:port, in file order, so that the server can be asked for one of them first. */
  typesFor(host: string, port: number): string[] {
    const name = hostKeyName(host, port);
    const types = this.#entries.filter((e) => e.marker === undefined && e.hosts(name)).map((e) => e.type);
    return [...new Set(types)];
  }
}

/** How known_hosts names host:port: "garden" for port 22, "[garden]:2222" otherwise; lower case, as ssh looks it up. */
export function hostKeyName(host: string, port: number): string {
  const lower = host.toLowerCase();
  return port === 22 ? lower : `[${lower}]:${port}`;
}

function known(e: Entry): KnownKey {
  return { file: e.file, line: e.line, type: e.type, fingerprint: e.fingerprint };
}

function parseLine(line: string, file: string, number: number): Entry | undefined {
  const fields = line.split(/[ \t]+/);
  let marker: Entry['marker'];
  if (fields[0]?.startsWith('@')) {
    const name = fields.shift();
    if (name === '@revoked') marker = 'revoked';
    else if (name === '@cert-authority') marker = 'cert-authority';
    else return undefined;
  }
  const [patterns, type, base64] = fields;
  if (!patterns || !type || !base64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  const blob = Buffer.from(base64, 'base64');
  // ssh rejects a line whose key does not name its own type; so does this.
  if (keyTypeOf(blob) !== type) return undefined;
  const hosts = patterns.startsWith('|') ? hashedMatcher(patterns) : patternMatcher(patterns);
  if (!hosts) return undefined;
  return { file, line: number, type, fingerprint: fingerprint(blob), marker, hosts, blob };
}

/** `|1|base64 salt|base64 HMAC-SHA1(salt, name)`, as `ssh-keygen -H` and HashKnownHosts write. */
function hashedMatcher(field: string): HostMatcher | undefined {
  const parts = field.split('|');
  if (parts.length !== 4 || parts[0] !== '' || parts[1] !== '1') return undefined;
  const salt = Buffer.from(parts[2]!, 'base64');
  const hash = Buffer.from(parts[3]!, 'base64');
  if (salt.length !== 20 || hash.length !== 20) return undefined;
  return (name) => timingSafeEqual(createHmac('sha1', salt).update(name).digest(), hash);
}

/**
 * A comma-separated pattern list: matches when some positive pattern does and no negated one
 * does (a negation vetoes the line, as in ssh's match_hostname).
 */
function patternMatcher(field: string): HostMatcher | undefined {
  const patterns = field.split(',').filter((p) => p !== '');
  if (patterns.length === 0) return undefined;
  const positive: RegExp[] = [];
  const negative: RegExp[] = [];
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) negative.push(globRegExp(pattern.slice(1)));
    else positive.push(globRegExp(pattern));
  }
  return (name) => !negative.some((re) => re.test(name)) && positive.some((re) => re.test(name));
}

function globRegExp(pattern: string): RegExp {
  const body = [...pattern.toLowerCase()].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 's');
}

/** Appends in flight, per file: this process serialises its own so that parallel connects never interleave lines. */
const appending = new Map<string, Promise<unknown>>();

/**
 * Adds `host:port keyType key` as one line to `file` (creating its directory 0700 and the file
 * 0600 when missing), unless the file already vouches for that key. Another pin of the same
 * host may have landed first: the result then says what the file says now, and nothing is
 * written unless the host is still unknown.
 */
export function pin(file: string, host: string, port: number, keyType: string, keyBlob: Buffer): Promise<{ written: boolean; check: HostKeyCheck }> {
  const key = resolve(file);
  const run = (appending.get(key) ?? Promise.resolve()).catch(() => undefined).then(() => append(file, host, port, keyType, keyBlob));
  appending.set(key, run);
  void run.finally(() => {
    if (appending.get(key) === run) appending.delete(key);
  }).catch(() => undefined);
  return run;
}

async function append(file: string, host: string, port: number, keyType: string, keyBlob: Buffer): Promise<{ written: boolean; check: HostKeyCheck }> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const handle = await open(file, 'a+', 0o600);
  try {
    const text = await handle.readFile('utf8');
    const check = KnownHosts.parse(text, file).check(host, port, keyType, keyBlob);
    if (check.status !== 'unknown') return { written: false, check };
    // A file whose last line has no newline would otherwise have this entry glued onto it.
    const lead = text.length > 0 && !text.endsWith('\n') ? '\n' : '';
    // One write on an O_APPEND descriptor: another process appending at the same time cannot split it.
    await handle.write(`${lead}${hostKeyName(host, port)} ${keyType} ${keyBlob.toString('base64')}\n`);
    await handle.sync();
    return { written: true, check };
  } finally {
    await handle.close();
  }
}
