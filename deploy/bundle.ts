/**
 * Bundle archives: `buildBundle(dir)` checks a bundle directory the way the runtime will and packs
 * it into a reproducible `.vigil.tgz`; `readBundle(file)` unpacks one in memory and verifies it
 * (checksums, paths, manifest) so a deploy can refuse it before switching versions.
 *
 * Format: a gzipped ustar archive with the bundle's files at its root (extract with `tar -xzf F
 * -C DIR`). `SHA256SUMS` comes first (`sha256sum -c` reads it), `BUNDLE.json` second, then every
 * directory and file sorted by path in byte order. Nothing of the building machine gets in: modes
 * are 0644, or 0755 for directories and executables; owners are 0/0 with empty names; every
 * mtime is ARCHIVE_MTIME; the gzip header carries no time and no name. So the same content gives
 * the same bytes whoever builds it, when and where (see gzip() in tar.ts for the one caveat).
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, posix, resolve, sep } from 'node:path';
import { parseCondition } from '../runtime/conditions.js';
import { ManifestError, VigilError, errorMessage } from '../runtime/errors.js';
import { loadManifest, manifestSchema, type Manifest } from '../runtime/manifest.js';
import { check, describeIssue } from '../runtime/schema-errors.js';
import { IgnoreRules } from './ignore.js';
import { gunzip, gzip, readTar, splitPath, writeTar, type TarEntry } from './tar.js';

export const SUMS_FILE = 'SHA256SUMS';
export const INFO_FILE = 'BUNDLE.json';
/**
 * 1980-01-01T00:00:00Z for every entry. Not 0: some tools read a zero time as "unknown", and 1980
 * is the floor of zip-based formats, so it is the usual constant of reproducible builds.
 */
export const ARCHIVE_MTIME = 315_532_800;
const JS_EXTENSIONS = new Set(['.js', '.mjs', '.cjs']);
const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.tsx']);

export class BundleError extends VigilError {
  constructor(message: string, code = 'BUNDLE_INVALID', options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** BUNDLE.json: what the archive holds; nothing about when or where it was built. */
export interface BundleInfo {
  format: 1;
  name: string;
  version: string;
  /** Files of the bundle (SHA256SUMS and BUNDLE.json not counted) and their total size in bytes. */
  files: number;
  bytes: number;
}

export interface BuiltBundle {
  manifest: Manifest;
  info: BundleInfo;
  archive: Buffer; // the .tgz
  sha256: string; // of the .tgz
}

type Item = Omit<TarEntry, 'mtime'>;

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** `NAME-VERSION.vigil.tgz`. */
export function archiveName(manifest: Pick<Manifest, 'name' | 'version'>): string {
  return `${manifest.name}-${manifest.version}.vigil.tgz`;
}

/** Check `dir` as the runtime would load it and pack it. Throws ManifestError or BundleError naming the path or field. */
export function buildBundle(dir: string): BuiltBundle {
  let root: string;
  try {
    root = realpathSync(dir);
    if (!statSync(root).isDirectory()) throw new BundleError(`${dir} is not a directory: expected a bundle directory (manifest.json and compiled JavaScript)`);
  } catch (err) {
    if (err instanceof BundleError) throw err;
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : errorMessage(err);
    throw new BundleError(`cannot open bundle directory ${dir}: ${why}`, 'BUNDLE_UNREADABLE', { cause: err });
  }
  const items = collect(dir, root, IgnoreRules.forBundle(dir));
  const files = new Map(items.filter((i) => i.type === 'file').map((i) => [i.path, i.data!]));
  const reserved = [SUMS_FILE, INFO_FILE].find((name) => files.has(name));
  if (reserved) throw new BundleError(`${join(dir, reserved)}: the archive writes its own ${reserved}: rename the bundle's file or list it in .vigilignore`);
  if (!files.has('manifest.json')) throw new BundleError(`${join(dir, 'manifest.json')} is missing or left out by an ignore pattern: a bundle needs a manifest.json`);
  const manifest = checkManifest(dir, files);
  const paths = [...files.keys()].sort(byteOrder);
  const sums = paths.map((p) => `${sha256(files.get(p)!)}  ${p}\n`).join('');
  const info: BundleInfo = { format: 1, name: manifest.name, version: manifest.version, files: paths.length, bytes: paths.reduce((n, p) => n + files.get(p)!.length, 0) };
  const metadata: Item[] = [
    { path: SUMS_FILE, type: 'file', mode: 0o644, data: Buffer.from(sums) },
    { path: INFO_FILE, type: 'file', mode: 0o644, data: Buffer.from(`${JSON.stringify(info, null, 2)}\n`) },
  ];
  const sorted = items.sort((a, b) => byteOrder(tarName(a), tarName(b)));
  const entries = [...metadata, ...sorted].map((e): TarEntry => ({ ...e, mtime: ARCHIVE_MTIME, uid: 0, gid: 0, uname: '', gname: '' }));
  const archive = gzip(writeTar(entries));
  return { manifest, info, archive, sha256: sha256(archive) };
}

/** Build and write atomically (a temporary file renamed over `file`). */
export function writeBundle(dir: string, file?: string): BuiltBundle & { file: string } {
  const built = buildBundle(dir);
  const out = file ?? archiveName(built.manifest);
  const temp = join(dirname(resolve(out)), `.${basename(out)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, built.archive, { mode: 0o644 });
    renameSync(temp, out);
  } catch (err) {
    rmSync(temp, { force: true });
    throw new BundleError(`cannot write ${out}: ${errorMessage(err)}`, 'BUNDLE_WRITE_FAILED', { cause: err });
  }
  return { ...built, file: out };
}

const tarName = (item: Item) => (item.type === 'directory' ? `${item.path}/` : item.path);

/** Every directory and file under `root` that is not ignored; refuses what cannot go into a bundle. */
function collect(dir: string, root: string, rules: IgnoreRules): Item[] {
  const items: Item[] = [];
  const refuse = (rel: string, why: string, code = 'BUNDLE_FILE_REFUSED'): never => {
    throw new BundleError(`${join(dir, rel)} ${why}`, code);
  };
  const walk = (abs: string, relDir: string, ancestors: Set<string>) => {
    let names: string[];
    try {
      names = readdirSync(abs);
    } catch (err) {
      return refuse(relDir, `cannot be read: ${errorMessage(err)}: expected every directory of the bundle to be readable (fix its permissions or list it in .vigilignore)`, 'BUNDLE_UNREADABLE');
    }
    for (const name of names.sort(byteOrder)) {
      const rel = relDir ? `${relDir}/${name}` : name;
      const path = join(abs, name);
      const lst = lstatSync(path);
      let st = lst;
      let real = path;
      let dangling = false;
      if (lst.isSymbolicLink()) {
        try {
          real = realpathSync(path);
          st = statSync(path);
        } catch {
          dangling = true;
        }
      }
      if (rules.match(rel, st.isDirectory())) continue;
      try {
        splitPath(rel, st.isDirectory() ? 'directory' : 'file');
      } catch (err) {
        refuse(rel, `cannot go into the archive: ${errorMessage(err)}`, 'BUNDLE_PATH_TOO_LONG');
      }
      if (/[\n\r\\]/.test(name)) refuse(rel, `has a newline, carriage return or backslash in its name: SHA256SUMS lines and other systems cannot carry it; rename it or list it in .vigilignore`);
      if (lst.isSymbolicLink()) {
        const target = JSON.stringify(readlinkSync(path));
        if (dangling) refuse(rel, `is a symbolic link to ${target}, which does not exist: expected links to existing files in the bundle`);
        if (real !== root && !real.startsWith(root + sep)) {
          refuse(rel, `is a symbolic link to ${target}, outside the bundle: expected links to stay inside ${dir} (copy the file in, or list the link in .vigilignore)`);
        }
      }
      if (st.isDirectory()) {
        if (ancestors.has(real)) refuse(rel, `is a symbolic link to one of its own parent directories: the bundle would contain itself forever`);
        items.push({ path: rel, type: 'directory', mode: 0o755 });
        walk(path, rel, new Set([...ancestors, real]));
      } else if (st.isFile()) {
        let data: Buffer;
        try {
          data = readFileSync(path);
        } catch (err) {
          return refuse(rel, `cannot be read: ${errorMessage(err)}: expected every file of the bundle to be readable (fix its permissions or list it in .vigilignore)`, 'BUNDLE_UNREADABLE');
        }
        // Only "executable or not" survives: the device's umask and owners are not the builder's business.
        items.push({ path: rel, type: 'file', mode: st.mode & 0o111 ? 0o755 : 0o644, data });
      } else {
        const kind = st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'not a regular file';
        refuse(rel, `is ${kind}: expected only regular files, directories and links to them in a bundle (list it in .vigilignore)`);
      }
    }
  };
  walk(root, '', new Set([root]));
  return items;
}

/** The runtime's own manifest check, then what only matters for a bundle leaving this machine. */
function checkManifest(dir: string, files: Map<string, Buffer>): Manifest {
  const manifestFile = join(dir, 'manifest.json');
  let manifest: Manifest;
  try {
    // No expected name: the archive has no directory; the device installs it under manifest.name.
    manifest = loadManifest(dir);
  } catch (err) {
    throw withTypeScriptHint(err, files);
  }
  const fail = (field: string, message: string, code = 'MANIFEST_INVALID'): never => {
    throw new ManifestError(`${manifestFile}: ${field} ${message}`, { field, bundle: manifest.name, code });
  };
  manifest.tasks.forEach((task, i) => {
    // Conditions do not depend on the device, so they can be checked here; triggers can only be
    // checked against the device's configuration (its GPIO lines, sensors) when it loads the bundle.
    task.conditions.forEach((c, j) => {
      try {
        parseCondition(c, `tasks[${i}].conditions[${j}]`);
      } catch (err) {
        fail(`tasks[${i}].conditions[${j}]`, errorMessage(err).replace(/^tasks\[\d+\]\.conditions\[\d+\] /, ''), 'CONDITION_INVALID');
      }
    });
    const field = `tasks[${i}].entry`;
    const entry = posix.normalize(task.entry.split(sep).join('/')).replace(/^\.\//, '');
    const data = files.get(entry);
    if (!data) fail(field, `is ${JSON.stringify(task.entry)}, which an ignore pattern leaves out of the archive: expected the entry in the bundle (fix .vigilignore)`);
    const problem = syntaxProblem(entry, data!.toString('utf8'), files);
    if (problem) fail(field, `is ${JSON.stringify(task.entry)}, which is not valid JavaScript: ${problem}`, 'ENTRY_NOT_JAVASCRIPT');
  });
  return manifest;
}

/** The runtime says "expected compiled JavaScript"; for a TypeScript entry, say what to do about it. */
function withTypeScriptHint(err: unknown, files: Map<string, Buffer>): unknown {
  const index = err instanceof ManifestError ? /^tasks\[(\d+)\]\.entry$/.exec(err.field ?? '')?.[1] : undefined;
  if (index === undefined) return err;
  let entry: unknown;
  try {
    entry = (JSON.parse(files.get('manifest.json')!.toString('utf8')) as { tasks: { entry?: unknown }[] }).tasks[Number(index)]?.entry;
  } catch {
    return err;
  }
  if (typeof entry !== 'string' || !TS_EXTENSIONS.has(extname(entry))) return err;
  const { message, field, bundle } = err as ManifestError;
  const js = entry.replace(/\.(m|c)?tsx?$/, (_, m: string | undefined) => `.${m ?? ''}js`);
  const hint = `it is TypeScript: compile it first (e.g. tsc) and point ${field} at the output, such as ${JSON.stringify(js)}`;
  return new ManifestError(`${message}; ${hint}`, { field: field!, ...(bundle ? { bundle } : {}), code: 'ENTRY_NOT_COMPILED' });
}

/**
 * How Node will read the entry on the device: .mjs/.cjs by extension; .js by the nearest
 * package.json inside the bundle ("type": "module" or "commonjs"), and without a "type" Node
 * (20.19+) detects ES module syntax. Outside the bundle nothing counts: it will not be there.
 */
function moduleKind(entry: string, files: Map<string, Buffer>): { kind: 'module' | 'commonjs' | 'detect' | 'invalid'; why: string } {
  const ext = extname(entry);
  if (ext === '.mjs') return { kind: 'module', why: 'an ES module (.mjs)' };
  if (ext === '.cjs') return { kind: 'commonjs', why: 'CommonJS (.cjs)' };
  for (let at = posix.dirname(entry); ; at = posix.dirname(at)) {
    const pkgPath = at === '.' ? 'package.json' : `${at}/package.json`;
    const pkg = files.get(pkgPath);
    if (pkg) {
      let type: unknown;
      try {
        type = (JSON.parse(pkg.toString('utf8')) as { type?: unknown }).type;
      } catch (err) {
        return { kind: 'invalid', why: `${pkgPath} is not valid JSON (${errorMessage(err)}), so Node cannot load it` };
      }
      if (type === 'module') return { kind: 'module', why: `an ES module ("type": "module" in ${pkgPath})` };
      if (type === 'commonjs') return { kind: 'commonjs', why: `CommonJS ("type": "commonjs" in ${pkgPath})` };
      break;
    }
    if (at === '.') break;
  }
  return { kind: 'detect', why: 'CommonJS or an ES module (no "type" in the bundle\'s package.json)' };
}

/** Undefined if Node parses the entry as it will load it; else "line N: SyntaxError: …" and how it was read. */
function syntaxProblem(entry: string, source: string, files: Map<string, Buffer>): string | undefined {
  const { kind, why } = moduleKind(entry, files);
  if (kind === 'invalid') return why;
  const parse = (as: 'module' | 'commonjs') => {
    // --check with the source on stdin: the type is the one decided above, not whatever
    // package.json happens to sit above the bundle on this machine.
    const r = spawnSync(process.execPath, [`--input-type=${as}`, '--check'], { input: source, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    if (r.error) throw new BundleError(`cannot run ${process.execPath} --check: ${r.error.message}`, 'SYNTAX_CHECK_FAILED');
    if (r.status === 0) return undefined;
    const line = /^\[stdin\]:(\d+)/m.exec(r.stderr)?.[1];
    const message = /^(\w*Error: .*)$/m.exec(r.stderr)?.[1] ?? r.stderr.trim().split('\n')[0];
    return `${line ? `line ${line}: ` : ''}${message}`;
  };
  if (kind !== 'detect') {
    const problem = parse(kind);
    return problem && `${problem} (read as ${why})`;
  }
  const asCommonJs = parse('commonjs');
  if (!asCommonJs) return undefined;
  const asModule = parse('module');
  if (!asModule) return undefined;
  // Node reports the module error when the CommonJS parse only failed on module syntax.
  const moduleSyntax = /import statement|'export'|import\.meta|await is only valid/.test(asCommonJs);
  return `${moduleSyntax ? asModule : asCommonJs} (read as ${why})`;
}

export interface ReadBundle {
  manifest: Manifest;
  info: BundleInfo;
  /** The bundle's files by path (SHA256SUMS and BUNDLE.json not included), verified. */
  files: Map<string, Buffer>;
  sums: Map<string, string>; // SHA256SUMS: path → sha256 hex
  modes: Map<string, number>; // each file's mode: 0o644 or 0o755
  directories: string[]; // every directory, empty or not
}

/**
 * Unpack an archive in memory and verify it: only files and directories, every path relative
 * and inside the root, none twice, SHA256SUMS first and matching every file (no more, no fewer),
 * BUNDLE.json second and agreeing with the content, manifest.json valid for the runtime.
 */
export function readBundle(file: string | Buffer): ReadBundle {
  const where = typeof file === 'string' ? file : 'the archive';
  const bad = (why: string): never => {
    throw new BundleError(`${where}: ${why}`, 'BUNDLE_CORRUPT');
  };
  let gz: Buffer;
  try {
    gz = typeof file === 'string' ? readFileSync(file) : file;
  } catch (err) {
    throw new BundleError(`cannot read ${where}: ${errorMessage(err)}`, 'BUNDLE_UNREADABLE', { cause: err });
  }
  let entries: TarEntry[];
  try {
    entries = readTar(gunzip(gz));
  } catch (err) {
    return bad(`${errorMessage(err)}: expected a gzipped tar written by vigil bundle`);
  }
  const files = new Map<string, Buffer>();
  const modes = new Map<string, number>();
  const directories: string[] = [];
  const seen = new Map<string, TarEntry['type']>();
  const parents = new Set<string>();
  for (const entry of entries) {
    const p = entry.path;
    const parts = p.split('/');
    if (p === '' || p.startsWith('/') || /^[A-Za-z]:/.test(p) || p.includes('\\') || parts.some((x) => x === '' || x === '.' || x === '..')) {
      bad(`entry ${JSON.stringify(p)} is not a plain relative path: expected paths inside the archive's root, without "..", "." or a leading "/"`);
    }
    if (seen.has(p)) bad(`entry ${JSON.stringify(p)} appears more than once: expected each path once`);
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      if (seen.get(parent) === 'file') bad(`entry ${JSON.stringify(p)} is inside ${JSON.stringify(parent)}, which is a file`);
      parents.add(parent);
    }
    if (entry.type === 'file' && parents.has(p)) bad(`entry ${JSON.stringify(p)} is a file, but earlier entries are inside it`);
    seen.set(p, entry.type);
    if (entry.type === 'directory') directories.push(p);
    else {
      files.set(p, entry.data!);
      modes.set(p, entry.mode);
    }
  }
  if (entries[0]?.path !== SUMS_FILE || entries[1]?.path !== INFO_FILE || entries[0].type !== 'file' || entries[1].type !== 'file') {
    bad(`starts with ${entries.slice(0, 2).map((e) => JSON.stringify(e.path)).join(', ') || 'nothing'}: expected "${SUMS_FILE}" then "${INFO_FILE}"`);
  }
  const sumsText = files.get(SUMS_FILE)!.toString('utf8');
  const infoText = files.get(INFO_FILE)!.toString('utf8');
  for (const name of [SUMS_FILE, INFO_FILE]) files.delete(name) && modes.delete(name);
  const sums = new Map<string, string>();
  for (const [i, line] of sumsText.split('\n').slice(0, -1).entries()) {
    const m = /^([0-9a-f]{64})  (.+)$/.exec(line);
    if (!m) bad(`${SUMS_FILE} line ${i + 1} is ${JSON.stringify(line)}: expected "SHA256  PATH"`);
    if (sums.has(m![2]!)) bad(`${SUMS_FILE} lists ${JSON.stringify(m![2])} twice`);
    sums.set(m![2]!, m![1]!);
  }
  if (!sumsText.endsWith('\n') && sumsText !== '') bad(`${SUMS_FILE} does not end with a newline: it is truncated`);
  for (const [path, data] of files) {
    const expected = sums.get(path);
    if (!expected) bad(`${JSON.stringify(path)} is not listed in ${SUMS_FILE}: expected every file to be`);
    const actual = sha256(data);
    if (actual !== expected) bad(`${JSON.stringify(path)} has sha256 ${actual} but ${SUMS_FILE} says ${expected}: the archive was altered or damaged`);
  }
  for (const path of sums.keys()) if (!files.has(path)) bad(`${SUMS_FILE} lists ${JSON.stringify(path)}, which is not in the archive`);
  const manifestText = files.get('manifest.json');
  if (!manifestText) return bad('has no manifest.json: expected a bundle');
  const manifest = parseManifest(manifestText, files, bad);
  let info: BundleInfo;
  try {
    info = JSON.parse(infoText) as BundleInfo;
  } catch (err) {
    return bad(`${INFO_FILE} is not valid JSON: ${errorMessage(err)}`);
  }
  const bytes = [...files.values()].reduce((n, d) => n + d.length, 0);
  const expectedInfo: BundleInfo = { format: 1, name: manifest.name, version: manifest.version, files: files.size, bytes };
  for (const key of Object.keys(expectedInfo) as (keyof BundleInfo)[]) {
    if (info[key] !== expectedInfo[key]) bad(`${INFO_FILE} has ${key} ${JSON.stringify(info[key])} but the archive holds ${JSON.stringify(expectedInfo[key])}`);
  }
  return { manifest, info, files, sums, modes, directories };
}

/** loadManifest's checks on a manifest that is not on disk yet. */
function parseManifest(text: Buffer, files: Map<string, Buffer>, bad: (why: string) => never): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text.toString('utf8'));
  } catch (err) {
    return bad(`manifest.json is not valid JSON: ${errorMessage(err)}`);
  }
  const parsed = check(manifestSchema, raw);
  if (!parsed.ok) {
    const { field, text: why } = describeIssue(parsed.issue, '', manifestSchema);
    throw new ManifestError(`manifest.json: ${why}`, { field });
  }
  parsed.value.tasks.forEach((task, i) => {
    const entry = posix.normalize(task.entry).replace(/^\.\//, '');
    if (!JS_EXTENSIONS.has(extname(entry)) || !files.has(entry)) {
      throw new ManifestError(`manifest.json: tasks[${i}].entry is ${JSON.stringify(task.entry)}, which is not a JavaScript file in the archive`, { field: `tasks[${i}].entry` });
    }
  });
  return parsed.value;
}
