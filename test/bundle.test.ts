/**
 * `vigil bundle`: the ustar writer and reader, the ignore rules, archives of the example bundles,
 * byte-identical rebuilds (after touching times, owners and modes), the system's tar reading and
 * extracting them, every refusal of the build (manifest, entries, links, special files, long
 * paths) and of readBundle (tampered, escaping, duplicated entries), and the command line.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, cpSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { ARCHIVE_MTIME, BundleError, buildBundle, readBundle, writeBundle } from '../deploy/bundle.js';
import { IgnoreRules } from '../deploy/ignore.js';
import { gzip, readTar, splitPath, writeTar, type TarEntry } from '../deploy/tar.js';
import { ManifestError } from '../runtime/errors.js';
import { repoRoot } from './helpers/cli.js';
import { tempDir } from './helpers/harness.js';

const isRoot = process.getuid?.() === 0;
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const ESM_TASK = 'export default function run(instance) { instance.progress = 100; }\n';

/** A bundle in a fresh temp directory: `files` maps relative paths to contents. */
function bundle(files: Record<string, string>, manifest: Record<string, unknown> = {}): string {
  const dir = join(tempDir('vigil-bundle-'), 'hello');
  const all: Record<string, string> = {
    'manifest.json': JSON.stringify({ name: 'hello', version: '1.2.3', tasks: [{ name: 'say', entry: 'say.js', trigger: { type: 'ApplicationTrigger' } }], ...manifest }, null, 2),
    'package.json': '{ "type": "module" }\n',
    'say.js': ESM_TASK,
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** The build's error, which must be of `type`. */
function buildError(dir: string, type: typeof BundleError | typeof ManifestError = BundleError): BundleError | ManifestError {
  try {
    buildBundle(dir);
  } catch (err) {
    assert.ok(err instanceof type, `expected a ${type.name}, got ${String(err)}`);
    return err;
  }
  assert.fail(`building ${dir} should have failed`);
}

/** A .tgz from hand-made entries, with a correct SHA256SUMS and BUNDLE.json unless given. */
function craft(files: Array<{ path: string; data: string }>, options: { sums?: (sums: string) => string; extra?: TarEntry[] } = {}): Buffer {
  const manifest = JSON.stringify({ name: 'hello', version: '1.2.3', tasks: [{ name: 'say', entry: 'say.js', trigger: { type: 'ApplicationTrigger' } }] });
  const all = [{ path: 'manifest.json', data: manifest }, { path: 'say.js', data: ESM_TASK }, ...files];
  const sums = (options.sums ?? ((s: string) => s))(all.map((f) => `${sha256(f.data)}  ${f.path}\n`).join(''));
  const info = { format: 1, name: 'hello', version: '1.2.3', files: all.length, bytes: all.reduce((n, f) => n + Buffer.byteLength(f.data), 0) };
  const entry = (path: string, data: string): TarEntry => ({ path, type: 'file', mode: 0o644, mtime: 0, data: Buffer.from(data) });
  return gzip(writeTar([entry('SHA256SUMS', sums), entry('BUNDLE.json', JSON.stringify(info)), ...all.map((f) => entry(f.path, f.data)), ...(options.extra ?? [])]));
}

describe('ustar writer and reader', () => {
  it('writes standard headers and reads back what it wrote, long paths split into prefix and name', () => {
    const long = `${'d'.repeat(150)}/${'f'.repeat(99)}`;
    const tar = writeTar([
      { path: 'a', type: 'directory', mode: 0o755, mtime: ARCHIVE_MTIME },
      { path: 'a/b.txt', type: 'file', mode: 0o644, mtime: ARCHIVE_MTIME, data: Buffer.from('hello\n') },
      { path: long, type: 'file', mode: 0o755, mtime: 1, data: Buffer.alloc(513, 7) },
    ]);
    assert.equal(tar.length, 10240, 'padded to one 10 KiB record');
    assert.equal(tar.subarray(0, 2).toString(), 'a/');
    assert.equal(tar.subarray(100, 108).toString(), '0000755\0');
    assert.equal(tar.subarray(108, 124).toString(), '0000000\x000000000\0', 'uid and gid 0');
    assert.equal(tar.subarray(136, 148).toString(), '02263523000\0', 'mtime 1980-01-01 (315532800) in octal');
    assert.equal(tar[156], 0x35, 'typeflag 5: directory');
    assert.equal(tar.subarray(257, 265).toString(), 'ustar\x0000');
    assert.equal(tar.subarray(512 + 124, 512 + 136).toString(), '00000000006\0', 'size of b.txt');
    const third = 1536;
    assert.equal(tar.subarray(third + 345, third + 495).toString(), 'd'.repeat(150), 'directory part in the prefix');
    assert.equal(tar.subarray(third, third + 99).toString(), 'f'.repeat(99));
    const back = readTar(tar);
    assert.deepEqual(back.map((e) => [e.path, e.type, e.mode, e.mtime, e.data?.length]), [['a', 'directory', 0o755, ARCHIVE_MTIME, undefined], ['a/b.txt', 'file', 0o644, ARCHIVE_MTIME, 6], [long, 'file', 0o755, 1, 513]]);
    assert.deepEqual(back[2]!.data, Buffer.alloc(513, 7));
  });

  it('refuses paths ustar cannot hold, naming them', () => {
    const tooLong = `${'d'.repeat(155)}/${'f'.repeat(100)}`;
    assert.throws(() => splitPath(tooLong), { message: `path "${tooLong}" is 256 bytes: ustar holds paths of at most 255 (vigil writes no extension headers): shorten it or list it in .vigilignore` });
    const noSplit = 'n'.repeat(120);
    assert.throws(() => splitPath(noSplit), /path "n{120}" cannot be split into a directory part of at most 155 bytes and a name of at most 100/);
    assert.doesNotThrow(() => splitPath(`${'d'.repeat(154)}/${'f'.repeat(100)}`), '255 bytes fit');
  });

  it('refuses damaged headers, links and extension headers', () => {
    const tar = writeTar([{ path: 'x', type: 'file', mode: 0o644, mtime: 0, data: Buffer.from('x') }]);
    const damaged = Buffer.from(tar);
    damaged[0] = 0x79;
    assert.throws(() => readTar(damaged), /header at byte 0 has checksum \d+ but its bytes sum to \d+: the archive is damaged/);
    for (const [flag, what] of [['2', 'a symbolic link'], ['x', 'a pax extended header'], ['3', 'a character device']] as const) {
      const other = Buffer.from(tar);
      other.write(flag, 156, 'ascii');
      other.fill(0x20, 148, 156);
      let sum = 0;
      for (const b of other.subarray(0, 512)) sum += b;
      other.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
      assert.throws(() => readTar(other), { message: `"x" is ${what}: expected only regular files and directories` });
    }
    assert.throws(() => readTar(tar.subarray(0, 512)), /claims 1 bytes but the archive ends 0 bytes later: it is truncated/);
  });

  it('gzips with a fixed header: no time, no name, Unix, and the same bytes every time', () => {
    const data = Buffer.from('same input\n'.repeat(100));
    const a = gzip(data);
    assert.deepEqual([...a.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3]);
    assert.deepEqual(gzip(Buffer.from(data)), a);
    assert.deepEqual(gunzipSync(a), data);
  });
});

describe('ignore rules', () => {
  it('matches names at any depth, anchored paths, ** and directory-only patterns', () => {
    const rules = new IgnoreRules(['*.map', '/build/tmp', 'docs/', 'cache/**', '**/fixtures/*.bin', '# a comment', '']);
    const m = (path: string, dir = false) => rules.match(path, dir);
    assert.equal(m('a.map'), '*.map');
    assert.equal(m('lib/deep/a.map'), '*.map');
    assert.equal(m('a.mapx'), undefined);
    assert.equal(m('build/tmp'), '/build/tmp');
    assert.equal(m('x/build/tmp'), undefined, 'anchored at the root');
    assert.equal(m('docs', true), 'docs/');
    assert.equal(m('docs', false), undefined, 'a file named docs is kept');
    assert.equal(m('cache/a/b'), 'cache/**');
    assert.equal(m('fixtures/x.bin'), '**/fixtures/*.bin');
    assert.equal(m('a/b/fixtures/x.bin'), '**/fixtures/*.bin');
    assert.equal(m('a/b/fixtures/sub/x.bin'), undefined, '* stays within one segment');
  });

  it('refuses negation rather than ignoring it', () => {
    assert.throws(() => new IgnoreRules(['*.js', '!keep.js'], '.vigilignore'), { message: '.vigilignore line 2: "!keep.js" negates a pattern, which vigil\'s ignore files do not support: list only what to leave out' });
  });
});

describe('building bundles', () => {
  it('packs every example bundle in tasks/, and readBundle verifies each against the files on disk', () => {
    const names = readdirSync(join(repoRoot, 'tasks')).filter((n) => statSync(join(repoRoot, 'tasks', n, 'manifest.json'), { throwIfNoEntry: false }));
    assert.ok(names.includes('door') && names.length >= 5, `example bundles: ${names.join(', ')}`);
    for (const name of names) {
      const dir = join(repoRoot, 'tasks', name);
      const built = buildBundle(dir);
      const read = readBundle(built.archive);
      const onDisk = readdirSync(dir).sort();
      assert.deepEqual([...read.files.keys()].sort(), onDisk, name);
      for (const file of onDisk) assert.equal(read.sums.get(file), sha256(readFileSync(join(dir, file))), `${name}/${file}`);
      assert.deepEqual(read.info, { format: 1, name, version: read.manifest.version, files: onDisk.length, bytes: onDisk.reduce((n, f) => n + statSync(join(dir, f)).size, 0) });
      assert.equal(built.sha256, sha256(built.archive));
    }
  });

  it('orders SHA256SUMS, BUNDLE.json, then paths in byte order; normalises modes; includes node_modules but not its cache, .git or logs', () => {
    const dir = bundle({
      'lib/util.js': 'export const x = 1;\n',
      'lib-a.js': '',
      'Z.txt': 'capital first\n',
      'bin/tool.sh': '#!/bin/sh\necho hi\n',
      'node_modules/dep/index.js': 'module.exports = 1;\n',
      'node_modules/.cache/junk': 'cache',
      '.git/HEAD': 'ref: refs/heads/main\n',
      'debug.log': 'noise',
      'docs/readme.md': 'docs',
      'src/say.ts': 'export default 1;\n',
      '.vigilignore': '# sources stay home\ndocs/\nsrc/\n',
    });
    mkdirSync(join(dir, 'empty'));
    chmodSync(join(dir, 'bin/tool.sh'), 0o700);
    chmodSync(join(dir, 'say.js'), 0o600);
    const built = buildBundle(dir);
    const entries = readTar(gunzipSync(built.archive));
    assert.deepEqual(
      entries.map((e) => `${e.mode.toString(8)} ${e.path}${e.type === 'directory' ? '/' : ''}`),
      ['644 SHA256SUMS', '644 BUNDLE.json', '644 Z.txt', '755 bin/', '755 bin/tool.sh', '755 empty/', '644 lib-a.js', '755 lib/', '644 lib/util.js', '644 manifest.json',
        '755 node_modules/', '755 node_modules/dep/', '644 node_modules/dep/index.js', '644 package.json', '644 say.js'],
    );
    assert.ok(entries.every((e) => e.mtime === ARCHIVE_MTIME && e.uid === 0 && e.gid === 0 && e.uname === '' && e.gname === ''));
    const sums = entries[0]!.data!.toString();
    assert.equal(sums.split('\n')[0], `${sha256('capital first\n')}  Z.txt`);
    assert.equal(sums.split('\n').length - 1, 8);
    assert.equal(entries[1]!.data!.toString(), `${JSON.stringify({ format: 1, name: 'hello', version: '1.2.3', files: 8, bytes: built.info.bytes }, null, 2)}\n`);
  });

  it('gives byte-identical archives after touching times, changing modes and owners, and from another directory', () => {
    const dir = bundle({ 'lib/a.js': 'export const a = 1;\n', 'data.json': '{"k": 1}\n' });
    const first = buildBundle(dir).archive;
    assert.deepEqual(buildBundle(dir).archive, first, 'a second build');
    for (const path of ['say.js', 'lib/a.js', 'lib', '.']) utimesSync(join(dir, path), new Date('2031-05-06T07:08:09Z'), new Date('2031-05-06T07:08:09Z'));
    chmodSync(join(dir, 'data.json'), 0o600);
    chmodSync(join(dir, 'lib'), 0o700);
    if (isRoot) chownSync(join(dir, 'lib/a.js'), 4321, 4321);
    assert.deepEqual(buildBundle(dir).archive, first, 'after touching, chmod and chown');
    const copy = join(tempDir('vigil-bundle-copy-'), 'elsewhere');
    cpSync(dir, copy, { recursive: true });
    assert.deepEqual(buildBundle(copy).archive, first, 'from a copy with another directory name');
    writeFileSync(join(dir, 'data.json'), '{"k": 2}\n');
    assert.notDeepEqual(buildBundle(dir).archive, first, 'different content, different bytes');
  });

  it('is a standard archive: tar -tzv lists it, tar -xz extracts it and sha256sum -c agrees', () => {
    const dir = bundle({ 'lib/a.js': 'export const a = 1;\n', 'run.sh': '#!/bin/sh\n' });
    chmodSync(join(dir, 'run.sh'), 0o755);
    const out = join(tempDir('vigil-bundle-out-'), 'x.tgz');
    writeBundle(dir, out);
    const listing = execFileSync('tar', ['-tzvf', out], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
    assert.deepEqual(listing.trim().split('\n').map((l) => l.replace(/ +/g, ' ').split(' ').filter((_, i) => i !== 2).join(' ')), [
      '-rw-r--r-- 0/0 1980-01-01 00:00 SHA256SUMS',
      '-rw-r--r-- 0/0 1980-01-01 00:00 BUNDLE.json',
      'drwxr-xr-x 0/0 1980-01-01 00:00 lib/',
      '-rw-r--r-- 0/0 1980-01-01 00:00 lib/a.js',
      '-rw-r--r-- 0/0 1980-01-01 00:00 manifest.json',
      '-rw-r--r-- 0/0 1980-01-01 00:00 package.json',
      '-rwxr-xr-x 0/0 1980-01-01 00:00 run.sh',
      '-rw-r--r-- 0/0 1980-01-01 00:00 say.js',
    ]);
    const into = tempDir('vigil-bundle-x-');
    const tar = spawnSync('tar', ['-xzf', out, '-C', into], { encoding: 'utf8' });
    assert.equal(tar.status, 0, tar.stderr);
    assert.equal(tar.stderr, '', 'no warnings from tar');
    for (const path of ['lib/a.js', 'manifest.json', 'package.json', 'run.sh', 'say.js']) assert.deepEqual(readFileSync(join(into, path)), readFileSync(join(dir, path)), path);
    assert.equal(statSync(join(into, 'run.sh')).mode & 0o111, 0o111);
    assert.equal(statSync(join(into, 'say.js')).mtime.toISOString(), '1980-01-01T00:00:00.000Z');
    const check = execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: into, encoding: 'utf8' });
    assert.equal(check, 'lib/a.js: OK\nmanifest.json: OK\npackage.json: OK\nrun.sh: OK\nsay.js: OK\n');
  });

  it('follows links inside the bundle, storing the file they point at', () => {
    const dir = bundle({ 'lib/real.js': 'export const r = 1;\n' });
    symlinkSync('lib/real.js', join(dir, 'alias.js'));
    const read = readBundle(buildBundle(dir).archive);
    assert.equal(read.files.get('alias.js')!.toString(), 'export const r = 1;\n');
  });
});

describe('what the build refuses', () => {
  it('an invalid manifest, with the runtime\'s message and field', () => {
    const err = buildError(bundle({}, { version: '1' }), ManifestError) as ManifestError;
    assert.equal(err.field, 'version');
    assert.match(err.message, /hello\/manifest\.json: version is "1": expected a version such as "1\.0\.0"/);
    const entry = buildError(bundle({}, { tasks: [{ name: 'say', entry: 'gone.js', trigger: { type: 'ApplicationTrigger' } }] }), ManifestError) as ManifestError;
    assert.equal(entry.field, 'tasks[0].entry');
    assert.match(entry.message, /tasks\[0\]\.entry is "gone\.js", which does not exist in the bundle$/);
    const cond = buildError(bundle({}, { tasks: [{ name: 'say', entry: 'say.js', trigger: { type: 'ApplicationTrigger' }, conditions: ['Sunny'] }] }), ManifestError) as ManifestError;
    assert.equal(cond.field, 'tasks[0].conditions[0]');
    assert.match(cond.message, /tasks\[0\]\.conditions\[0\] is "Sunny": expected one of /);
  });

  it('a TypeScript entry, saying to compile it first', () => {
    const err = buildError(bundle({ 'say.ts': 'export default (i: unknown) => i;\n' }, { tasks: [{ name: 'say', entry: 'say.ts', trigger: { type: 'ApplicationTrigger' } }] }), ManifestError) as ManifestError;
    assert.equal(err.field, 'tasks[0].entry');
    assert.match(err.message, /tasks\[0\]\.entry is "say\.ts": expected compiled JavaScript \(\.js, \.mjs or \.cjs\); it is TypeScript: compile it first \(e\.g\. tsc\) and point tasks\[0\]\.entry at the output, such as "say\.js"$/);
  });

  it('entries that do not parse, read as Node will read them', () => {
    const bad = buildError(bundle({ 'say.js': 'export default function run() {\n  let x = ;\n}\n' }), ManifestError);
    assert.match(bad.message, /tasks\[0\]\.entry is "say\.js", which is not valid JavaScript: line 2: SyntaxError: Unexpected token ';' \(read as an ES module \("type": "module" in package\.json\)\)$/);
    const cjs = buildError(bundle({ 'package.json': '{ "type": "commonjs" }' }), ManifestError);
    assert.match(cjs.message, /line 1: SyntaxError: Unexpected token 'export' \(read as CommonJS \("type": "commonjs" in package\.json\)\)$/);
    assert.doesNotThrow(() => buildBundle(bundle({ 'package.json': '{}' })), 'no "type": Node detects the ES module');
    assert.doesNotThrow(() => buildBundle(bundle({ 'say.cjs': 'module.exports = () => 1;\n' }, { tasks: [{ name: 'say', entry: 'say.cjs', trigger: { type: 'ApplicationTrigger' } }] })));
    const mjs = buildError(bundle({ 'say.mjs': 'export default {\n' }, { tasks: [{ name: 'say', entry: 'say.mjs', trigger: { type: 'ApplicationTrigger' } }] }), ManifestError);
    assert.match(mjs.message, /which is not valid JavaScript: line \d+: SyntaxError: .* \(read as an ES module \(\.mjs\)\)$/);
  });

  it('links outside the bundle, dangling links and links to a parent', () => {
    const dir = bundle({});
    symlinkSync('/etc/hostname', join(dir, 'host'));
    assert.equal(buildError(dir).message, `${join(dir, 'host')} is a symbolic link to "/etc/hostname", outside the bundle: expected links to stay inside ${dir} (copy the file in, or list the link in .vigilignore)`);
    const dangling = bundle({});
    symlinkSync('nothing-here.js', join(dangling, 'lib.js'));
    assert.equal(buildError(dangling).message, `${join(dangling, 'lib.js')} is a symbolic link to "nothing-here.js", which does not exist: expected links to existing files in the bundle`);
    const loop = bundle({ 'lib/a.js': '' });
    symlinkSync('..', join(loop, 'lib/up'));
    assert.match(buildError(loop).message, /lib\/up is a symbolic link to one of its own parent directories/);
    writeFileSync(join(loop, '.vigilignore'), 'up\n');
    assert.doesNotThrow(() => buildBundle(loop), 'an ignored link is not looked at');
  });

  it('FIFOs', () => {
    const dir = bundle({});
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    assert.equal(buildError(dir).message, `${join(dir, 'pipe')} is a FIFO: expected only regular files, directories and links to them in a bundle (list it in .vigilignore)`);
  });

  it('device files', { skip: !isRoot && 'mknod needs root' }, () => {
    const dir = bundle({});
    execFileSync('mknod', [join(dir, 'null'), 'c', '1', '3']);
    assert.match(buildError(dir).message, /hello\/null is a character device: expected only regular files/);
  });

  it('unreadable files and directories (as an unprivileged user when run as root, since root reads everything)', () => {
    const dir = bundle({ 'secret.txt': 'x', 'locked/a.js': '' });
    chmodSync(dirname(dir), 0o755);
    const attempt = (): string => {
      if (!isRoot) return buildError(dir).message;
      const script = 'import("./deploy/bundle.ts").then((m) => { try { m.buildBundle(process.argv[1]); } catch (e) { process.stdout.write(e.message); } })';
      const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script, dir], { cwd: repoRoot, uid: 65534, gid: 65534, encoding: 'utf8' });
      assert.equal(r.stderr, '');
      return r.stdout;
    };
    chmodSync(join(dir, 'locked'), 0);
    assert.equal(attempt(), `${join(dir, 'locked')} cannot be read: EACCES: permission denied, scandir '${join(dir, 'locked')}': expected every directory of the bundle to be readable (fix its permissions or list it in .vigilignore)`);
    chmodSync(join(dir, 'locked'), 0o755);
    chmodSync(join(dir, 'secret.txt'), 0);
    assert.equal(attempt(), `${join(dir, 'secret.txt')} cannot be read: EACCES: permission denied, open '${join(dir, 'secret.txt')}': expected every file of the bundle to be readable (fix its permissions or list it in .vigilignore)`);
  });

  it('paths too long for ustar, its own metadata files, and an entry left out by .vigilignore', () => {
    const long = `${'a'.repeat(90)}/${'b'.repeat(90)}/${'c'.repeat(80)}.js`;
    const dir = bundle({ [long]: '' });
    assert.equal(buildError(dir).message, `${join(dir, long)} cannot go into the archive: path "${long}" is 265 bytes: ustar holds paths of at most 255 (vigil writes no extension headers): shorten it or list it in .vigilignore`);
    assert.match(buildError(bundle({ SHA256SUMS: '' })).message, /hello\/SHA256SUMS: the archive writes its own SHA256SUMS/);
    const ignored = buildError(bundle({ '.vigilignore': 'say.js\n' }), ManifestError);
    assert.match(ignored.message, /tasks\[0\]\.entry is "say\.js", which an ignore pattern leaves out of the archive/);
    assert.match(buildError(bundle({ '.vigilignore': 'manifest.json\n' })).message, /manifest\.json is missing or left out by an ignore pattern/);
  });
});

describe('readBundle', () => {
  it('returns the manifest, files, sums and modes of a good archive', () => {
    const read = readBundle(craft([{ path: 'lib/x.js', data: 'x' }], { extra: [{ path: 'lib', type: 'directory', mode: 0o755, mtime: 0 }] }));
    assert.equal(read.manifest.name, 'hello');
    assert.deepEqual([...read.files.keys()], ['manifest.json', 'say.js', 'lib/x.js']);
    assert.equal(read.sums.get('lib/x.js'), sha256('x'));
    assert.deepEqual(read.directories, ['lib']);
  });

  it('refuses altered content, escaping or duplicate paths, and incomplete checksum lists', () => {
    const cases: Array<[Buffer, RegExp]> = [
      [craft([{ path: 'x.js', data: 'x' }], { sums: (s) => s.replace(sha256('x'), sha256('y')) }), /"x\.js" has sha256 [0-9a-f]{64} but SHA256SUMS says [0-9a-f]{64}: the archive was altered or damaged/],
      [craft([{ path: '../evil.js', data: 'x' }]), /entry "\.\.\/evil\.js" is not a plain relative path: expected paths inside the archive's root/],
      [craft([{ path: '/etc/evil', data: 'x' }]), /entry "\/etc\/evil" is not a plain relative path/],
      [craft([{ path: 'a/../../b', data: 'x' }]), /entry "a\/\.\.\/\.\.\/b" is not a plain relative path/],
      [craft([{ path: 'say.js', data: 'again' }]), /entry "say\.js" appears more than once: expected each path once/],
      [craft([{ path: 'lib/x.js', data: 'x' }, { path: 'lib', data: 'x' }]), /entry "lib" is a file, but earlier entries are inside it/],
      [craft([{ path: 'x.js', data: 'x' }, { path: 'x.js/y', data: 'y' }]), /entry "x\.js\/y" is inside "x\.js", which is a file/],
      [craft([{ path: 'x.js', data: 'x' }], { sums: (s) => s.split('\n').slice(1).join('\n') }), /"manifest\.json" is not listed in SHA256SUMS: expected every file to be/],
      [craft([], { sums: (s) => `${s}${sha256('')}  ghost.js\n` }), /SHA256SUMS lists "ghost\.js", which is not in the archive/],
      [craft([], { sums: (s) => s.replace('  ', ' ') }), /SHA256SUMS line 1 is "[0-9a-f]{64} manifest\.json": expected "SHA256  PATH"/],
      [craft([], { extra: [{ path: 'link', type: 'file', mode: 0o644, mtime: 0, data: Buffer.from('') }] }), /"link" is not listed in SHA256SUMS/],
    ];
    for (const [archive, message] of cases) assert.throws(() => readBundle(archive), (err: Error) => err instanceof BundleError && message.test(err.message), String(message));
    assert.throws(() => readBundle(Buffer.from('not gzip')), /the archive: incorrect header check: expected a gzipped tar written by vigil bundle/);
  });
});

describe('vigil bundle (command line)', () => {
  const tsx = import.meta.resolve('tsx');
  const run = (args: string[], cwd: string) => spawnSync(process.execPath, ['--import', tsx, join(repoRoot, 'bin/vigil.ts'), 'bundle', ...args], { cwd, encoding: 'utf8' });

  it('writes NAME-VERSION.vigil.tgz in the current directory and prints one line; -o and --json', () => {
    const dir = bundle({});
    const cwd = tempDir('vigil-bundle-cwd-');
    const r = run([dir], cwd);
    assert.equal(r.status, 0, r.stderr);
    const archive = readFileSync(join(cwd, 'hello-1.2.3.vigil.tgz'));
    assert.equal(r.stdout, `hello-1.2.3.vigil.tgz  sha256 ${sha256(archive)}  3 files  ${archive.length} bytes\n`);
    const out = join(cwd, 'custom.tgz');
    const j = run([dir, '-o', out, '--json'], cwd);
    assert.equal(j.status, 0, j.stderr);
    assert.deepEqual(JSON.parse(j.stdout), { file: out, sha256: sha256(archive), name: 'hello', version: '1.2.3', files: 3, bytes: archive.length });
    assert.deepEqual(readFileSync(out), archive);
  });

  it('errors: one line on stderr, exit 1; --help says node_modules is included', () => {
    const cwd = tempDir('vigil-bundle-cwd-');
    const r = run([bundle({}, { version: 'one' })], cwd);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^vigil: .*hello\/manifest\.json: version is "one": expected a version such as "1\.0\.0"\n$/);
    const missing = run([join(cwd, 'nope')], cwd);
    assert.equal(missing.stderr, `vigil: cannot open bundle directory ${join(cwd, 'nope')}: it does not exist\n`);
    const help = run(['--help'], cwd);
    assert.match(help.stdout.replace(/\s+/g, ' '), /including the bundle's own node_modules \(tasks may depend on packages\)/);
  });
});
