/**
 * known_hosts as OpenSSH reads it: host patterns with wildcards and negations, [host]:port,
 * hashed names, markers, comments and broken lines, several keys per host; answers agree with
 * `ssh-keygen -F`. Pinning appends one well-formed line, with safe modes, never twice, never
 * interleaved. Also the USER@HOST[:PORT] parser and the remote-command quoting.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fingerprint, keyTypeOf } from '../deploy/ssh/host-key.js';
import { KnownHosts, hostKeyName, pin } from '../deploy/ssh/known-hosts.js';
import { shellQuote } from '../deploy/ssh/quote.js';
import { formatTarget, parseTarget } from '../deploy/ssh/target.js';

/** A public key blob of `type` (random key material: the parser never uses it as a key). */
function blob(type = 'ssh-ed25519'): Buffer {
  const name = Buffer.from(type);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.length);
  const material = Buffer.alloc(4 + 32);
  material.writeUInt32BE(32);
  randomBytes(32).copy(material, 4);
  return Buffer.concat([length, name, material]);
}

function line(hosts: string, key: Buffer, marker = ''): string {
  return `${marker ? `${marker} ` : ''}${hosts} ${keyTypeOf(key)} ${key.toString('base64')}`;
}

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-known-hosts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a plain entry matches its host on port 22 only; [host]:port only that port', () => {
  const k22 = blob();
  const k2222 = blob();
  const hosts = KnownHosts.parse(`${line('garden', k22)}\n${line('[garden]:2222', k2222)}\n`, 'kh');
  assert.equal(hosts.check('garden', 22, 'ssh-ed25519', k22).status, 'match');
  assert.equal(hosts.check('garden', 2222, 'ssh-ed25519', k2222).status, 'match');
  // The port-22 key does not vouch for port 2222, nor the other way round: each is a different key there.
  assert.equal(hosts.check('garden', 2222, 'ssh-ed25519', k22).status, 'changed');
  assert.equal(hosts.check('garden', 22, 'ssh-ed25519', k2222).status, 'changed');
  assert.equal(hosts.check('garden', 2223, 'ssh-ed25519', k22).status, 'unknown');
  assert.equal(hosts.check('GARDEN', 22, 'ssh-ed25519', k22).status, 'match', 'host names are case-insensitive');
});

test('comma lists, * and ? wildcards, and a negation that vetoes the line', () => {
  const key = blob();
  const hosts = KnownHosts.parse(line('garden,10.0.0.5,*.lan,!evil.lan,pi-??,[*.farm]:2222', key), 'kh');
  for (const [host, port] of [['garden', 22], ['10.0.0.5', 22], ['kitchen.lan', 22], ['pi-01', 22], ['barn.farm', 2222]] as const) {
    assert.equal(hosts.check(host, port, 'ssh-ed25519', key).status, 'match', `${host}:${port}`);
  }
  for (const [host, port] of [['evil.lan', 22], ['pi-1', 22], ['pi-001', 22], ['lan', 22], ['barn.farm', 22], ['gardens', 22], ['kitchen.lan', 2222]] as const) {
    assert.equal(hosts.check(host, port, 'ssh-ed25519', key).status, 'unknown', `${host}:${port}`);
  }
});

test('hashed names match the name they hash (with the port form for other ports), and only that', () => {
  const a = blob();
  const b = blob();
  const hosts = KnownHosts.parse(`${line(hashed('garden'), a)}\n${line(hashed('[garden]:2222'), b)}\n`, 'kh');
  assert.equal(hosts.check('garden', 22, 'ssh-ed25519', a).status, 'match');
  assert.equal(hosts.check('Garden', 22, 'ssh-ed25519', a).status, 'match');
  assert.equal(hosts.check('garden', 2222, 'ssh-ed25519', b).status, 'match');
  assert.equal(hosts.check('gardem', 22, 'ssh-ed25519', a).status, 'unknown');
});

test('several keys per host: any of them matches; another key is "changed" with every known key located', () => {
  const a = blob();
  const b = blob('ecdsa-sha2-nistp256');
  const c = blob();
  const text = ['# the garden Pi', '', line('garden', a), line('kitchen', c), line('garden', b)].join('\n');
  const hosts = KnownHosts.parse(text, '/home/pi/.ssh/known_hosts');
  assert.deepEqual(hosts.check('garden', 22, 'ssh-ed25519', a), { status: 'match', entry: { file: '/home/pi/.ssh/known_hosts', line: 3, type: 'ssh-ed25519', fingerprint: fingerprint(a) } });
  assert.equal(hosts.check('garden', 22, 'ecdsa-sha2-nistp256', b).status, 'match');
  const changed = hosts.check('garden', 22, 'ssh-ed25519', c);
  assert.equal(changed.status, 'changed');
  assert.deepEqual(changed.status === 'changed' && changed.known.map((k) => [k.line, k.type]), [[3, 'ssh-ed25519'], [5, 'ecdsa-sha2-nistp256']]);
  // Known only by a key of another type: not unknown (that would let --accept-new add a second key), but changed.
  const ecdsaOnly = KnownHosts.parse(line('barn', b), 'kh');
  assert.equal(ecdsaOnly.check('barn', 22, 'ssh-ed25519', a).status, 'changed');
  assert.deepEqual(hosts.typesFor('garden', 22), ['ssh-ed25519', 'ecdsa-sha2-nistp256']);
});

test('@revoked refuses the key for the hosts its line matches; @cert-authority neither matches nor counts as known', () => {
  const good = blob();
  const bad = blob();
  const ca = blob();
  const text = [line('*', bad, '@revoked'), line('garden', bad), line('garden', good), line('*.lan', ca, '@cert-authority')].join('\n');
  const hosts = KnownHosts.parse(text, 'kh');
  const revoked = hosts.check('garden', 22, 'ssh-ed25519', bad);
  assert.equal(revoked.status, 'revoked', 'revoked wins over a plain line for the same key');
  assert.equal(revoked.status === 'revoked' && revoked.entry.line, 1);
  assert.equal(hosts.check('garden', 22, 'ssh-ed25519', good).status, 'match');
  assert.equal(hosts.check('kitchen.lan', 22, 'ssh-ed25519', ca).status, 'unknown', 'a CA key is not a host key');
  assert.deepEqual(hosts.typesFor('kitchen.lan', 22), []);
  const scoped = KnownHosts.parse(line('garden', bad, '@revoked'), 'kh');
  assert.equal(scoped.check('kitchen', 22, 'ssh-ed25519', bad).status, 'unknown', '@revoked applies to the hosts on its line');
});

test('broken lines are skipped (their numbers kept); the lines around them still count', () => {
  const key = blob();
  const wrongType = `garden ssh-rsa ${key.toString('base64')}`;
  const text = ['garden', 'garden ssh-ed25519', 'garden ssh-ed25519 not*base64', wrongType, '@unknown garden ssh-ed25519 AAAA', line('|1|short|hash', key), line('garden', key), '   # indented comment', '\t'].join('\r\n');
  const hosts = KnownHosts.parse(text, 'kh');
  assert.deepEqual(hosts.skipped, [1, 2, 3, 4, 5, 6]);
  assert.equal(hosts.check('garden', 22, 'ssh-ed25519', key).status, 'match');
});

test('which lines match a host agrees with `ssh-keygen -F`, plain and hashed by `ssh-keygen -H`', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'known_hosts');
  const plain = [line('garden', blob()), line('garden,10.0.0.5', blob()), line('[garden]:2222', blob()), line('kitchen.lan', blob()), line('pi-01', blob('ecdsa-sha2-nistp256')), line('Barn', blob())];
  const patterned = [line('*.lan,!evil.lan', blob()), line('pi-??', blob()), line('[*.farm]:2222', blob()), line('10.0.0.*', blob())];
  const queries: [string, number][] = [['garden', 22], ['10.0.0.5', 22], ['garden', 2222], ['kitchen.lan', 22], ['evil.lan', 22], ['pi-01', 22], ['pi-001', 22], ['barn.farm', 2222], ['barn', 22], ['10.0.0.77', 22], ['nowhere', 22]];
  const compare = (label: string) => {
    const ours = KnownHosts.parse(readFileSync(file, 'utf8'), file);
    for (const [host, port] of queries) {
      const name = hostKeyName(host, port);
      let out = '';
      try {
        out = execFileSync('ssh-keygen', ['-F', name, '-f', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (err) {
        out = (err as { stdout?: string }).stdout ?? ''; // exit 1: not found
      }
      const theirs = [...out.matchAll(/found: line (\d+)/g)].map((m) => Number(m[1]));
      assert.deepEqual(ours.entriesFor(host, port).map((e) => e.line), theirs, `${label}: ${name}`);
    }
  };
  writeFileSync(file, `${[...plain, ...patterned].join('\n')}\n`);
  compare('plain');
  execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
  assert.match(readFileSync(file, 'utf8'), /^\|1\|/, 'ssh-keygen hashed the names');
  compare('hashed');
});

test('pin() creates the directory 0700 and the file 0600 and writes the line ssh would', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'home', '.ssh', 'known_hosts');
  const key = blob();
  assert.deepEqual((await pin(file, 'Garden', 22, 'ssh-ed25519', key)).written, true);
  assert.deepEqual((await pin(file, '10.0.0.5', 2222, 'ssh-ed25519', key)).written, true);
  assert.equal(readFileSync(file, 'utf8'), `garden ssh-ed25519 ${key.toString('base64')}\n[10.0.0.5]:2222 ssh-ed25519 ${key.toString('base64')}\n`);
  assert.equal(statSync(join(dir, 'home', '.ssh')).mode & 0o777, 0o700);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const again = await pin(file, 'garden', 22, 'ssh-ed25519', key);
  assert.equal(again.written, false, 'a key already there is not written twice');
  const other = await pin(file, 'garden', 22, 'ssh-ed25519', blob());
  assert.equal(other.written, false, 'pin never adds a second key to a known host');
  assert.equal(other.check.status, 'changed');
  assert.equal(readFileSync(file, 'utf8').split('\n').length, 3);
  // ssh itself reads what was written.
  assert.match(execFileSync('ssh-keygen', ['-F', '[10.0.0.5]:2222', '-f', file], { encoding: 'utf8' }), /found: line 2/);
});

test('pin() after a last line without a newline starts a new line', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'known_hosts');
  const a = blob();
  writeFileSync(file, line('garden', a));
  const b = blob();
  await pin(file, 'kitchen', 22, 'ssh-ed25519', b);
  const hosts = await KnownHosts.load(file);
  assert.equal(hosts.check('garden', 22, 'ssh-ed25519', a).status, 'match');
  assert.equal(hosts.check('kitchen', 22, 'ssh-ed25519', b).status, 'match');
});

test('parallel pins in one process never interleave, and one host is pinned once', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'known_hosts');
  const keys = Array.from({ length: 40 }, () => blob());
  const same = blob();
  const results = await Promise.all([
    ...keys.map((key, i) => pin(file, `pi-${i}`, 22, 'ssh-ed25519', key)),
    ...Array.from({ length: 10 }, () => pin(file, 'shared', 2222, 'ssh-ed25519', same)),
  ]);
  assert.equal(results.filter((r) => r.written).length, 41);
  const text = readFileSync(file, 'utf8');
  assert.equal(text.split('\n').filter(Boolean).length, 41);
  const hosts = KnownHosts.parse(text, file);
  assert.deepEqual(hosts.skipped, []);
  keys.forEach((key, i) => assert.equal(hosts.check(`pi-${i}`, 22, 'ssh-ed25519', key).status, 'match'));
});

test('a missing known_hosts file is an empty one', async (t) => {
  const hosts = await KnownHosts.load(join(tempDir(t), 'none'));
  assert.equal(hosts.check('garden', 22, 'ssh-ed25519', blob()).status, 'unknown');
});

test('parseTarget reads USER@HOST[:PORT] in its forms and says what is wrong with others', () => {
  assert.deepEqual(parseTarget('pi@garden'), { user: 'pi', host: 'garden', port: 22 });
  assert.deepEqual(parseTarget('pi@10.0.0.5:2222'), { user: 'pi', host: '10.0.0.5', port: 2222 });
  assert.deepEqual(parseTarget('pi@[fe80::1]:22'), { user: 'pi', host: 'fe80::1', port: 22 });
  assert.deepEqual(parseTarget('pi@[fe80::1%wlan0]'), { user: 'pi', host: 'fe80::1%wlan0', port: 22 });
  assert.deepEqual(parseTarget('pi@[garden]:2222'), { user: 'pi', host: 'garden', port: 2222 }, 'brackets may hold a name, as in known_hosts');
  assert.deepEqual(parseTarget('pi@fe80::1'), { user: 'pi', host: 'fe80::1', port: 22 });
  assert.deepEqual(parseTarget('garden.local'), { user: userInfo().username, host: 'garden.local', port: 22 });
  for (const [text, why] of [
    ['', /empty/],
    ['@garden', /user before "@" is missing/],
    ['pi@', /host after "@" is missing/],
    ['pi@garden:', /port "" is not a number/],
    ['pi@garden:70000', /port "70000" is not a number from 1 to 65535/],
    ['pi@garden:ssh', /port "ssh"/],
    ['pi@[fe80::1:22', /no "\]"/],
    ['pi@[fe80::1]x', /"x" after "\]" is not ":PORT"/],
    ['pi@gar den', /space/],
    ['p!@garden', /user "p!" is not a user name/],
    ['pi@-garden', /host "-garden" is neither/],
    ['pi@[not a host]:22', /space/],
    ['pi@[gar!den]:22', /host "gar!den" is neither/],
  ] as const) {
    assert.throws(() => parseTarget(text), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'BAD_TARGET');
      assert.match(err.message, why);
      assert.match(err.message, /expected USER@HOST\[:PORT\]/);
      return true;
    }, text);
  }
  for (const text of ['pi@garden', 'pi@10.0.0.5:2222', 'pi@[fe80::1]:2222']) assert.equal(formatTarget(parseTarget(text)), text);
  assert.equal(formatTarget(parseTarget('pi@[fe80::1]:22')), 'pi@[fe80::1]');
});

test('shellQuote: what sh reads back is exactly the arguments given', () => {
  const args = ['plain', 'two words', "it's", '$HOME', '`id`', '"q"', 'a\\b', '*', '', 'line\nbreak', 'A=b', '~', '-n', 'é'];
  const out = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${shellQuote(args)}`], { encoding: 'utf8' });
  assert.deepEqual(out.split('\0').slice(0, -1), args);
  assert.equal(shellQuote(['vigil', 'logs', '--state', '/var/lib/vigil']), 'vigil logs --state /var/lib/vigil');
  // An assignment-looking first word stays a command, not an environment setting.
  assert.equal(execFileSync('/bin/sh', ['-c', `${shellQuote(['A=b'])} 2>&1 || true`], { encoding: 'utf8' }).includes('not found'), true);
  assert.throws(() => shellQuote(['a\0b']), /NUL/);
});
