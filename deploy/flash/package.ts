/**
 * The vigil package the device installs on first boot: an `npm pack` tarball, given with
 * --vigil-package or packed from the vigil that is running (its package root, with dist/ built,
 * since the device runs the compiled JavaScript). Either way it is checked to be vigil's before it
 * goes onto the card, so a wrong file fails here and not on first boot.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { errorMessage } from '../../runtime/errors.js';
import { packageRoot } from '../../runtime/paths.js';
import { FlashError } from './errors.js';

export interface VigilPackage {
  data: Buffer;
  version: string;
  /** Where it came from, for the progress line. */
  source: string;
}

/** The text of `path` inside a gzipped tar, or undefined. Enough ustar for npm's tarballs. */
export function tarMember(tgz: Buffer, path: string): Buffer | undefined {
  const tar = gunzipSync(tgz);
  const text = (b: Buffer) => b.toString('utf8').replace(/\0.*$/s, '');
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(text(header.subarray(124, 136)).trim() || '0', 8);
    const prefix = header.subarray(257, 262).toString('latin1') === 'ustar' ? text(header.subarray(345, 500)) : '';
    const name = prefix ? `${prefix}/${text(header.subarray(0, 100))}` : text(header.subarray(0, 100));
    const type = String.fromCharCode(header[156]!);
    if ((type === '0' || type === '\0') && name === path) return tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

/** Checks that `data` is an npm tarball of vigil; returns its version. */
export function checkPackage(data: Buffer, label: string): string {
  if (data[0] !== 0x1f || data[1] !== 0x8b) throw new FlashError('FLASH_PACKAGE', `${label} is not an npm package tarball (not gzip): expected the .tgz that \`npm pack\` writes`);
  let manifest: Buffer | undefined;
  try {
    manifest = tarMember(data, 'package/package.json');
  } catch (err) {
    throw new FlashError('FLASH_PACKAGE', `${label} cannot be read as a gzipped tar: ${errorMessage(err)}`, { cause: err });
  }
  if (!manifest) throw new FlashError('FLASH_PACKAGE', `${label} has no package/package.json: expected the .tgz that \`npm pack\` writes`);
  let json: { name?: unknown; version?: unknown };
  try {
    json = JSON.parse(manifest.toString('utf8')) as typeof json;
  } catch (err) {
    throw new FlashError('FLASH_PACKAGE', `${label}: package/package.json is not JSON: ${errorMessage(err)}`, { cause: err });
  }
  if (json.name !== 'vigil') throw new FlashError('FLASH_PACKAGE', `${label} is the package ${JSON.stringify(json.name)}, not vigil`);
  if (!tarMember(data, 'package/dist/bin/vigil.js')) {
    throw new FlashError('FLASH_PACKAGE', `${label} has no dist/bin/vigil.js: it was packed without building (run \`npm run build\` before \`npm pack\`)`);
  }
  return String(json.version);
}

export function readPackage(file: string): VigilPackage {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FlashError('FLASH_PACKAGE', `--vigil-package ${file} cannot be read: ${code === 'ENOENT' ? 'no such file' : errorMessage(err)}`, { cause: err });
  }
  return { data, version: checkPackage(data, `--vigil-package ${file}`), source: file };
}

/** Packs the vigil at `root` (default: the running one) with `npm pack --ignore-scripts`. */
export async function packVigil(root = packageRoot(), signal?: AbortSignal): Promise<VigilPackage> {
  if (!existsSync(join(root, 'dist', 'bin', 'vigil.js'))) {
    throw new FlashError('FLASH_PACKAGE', `vigil at ${root} is not built (no dist/bin/vigil.js): run \`npm run build\` there, or give --vigil-package FILE`);
  }
  const out = mkdtempSync(join(tmpdir(), 'vigil-pack-'));
  try {
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', out], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(signal ? { signal } : {}),
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', (err) => {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') reject(new FlashError('FLASH_PACKAGE', 'npm is not on PATH, so vigil cannot be packed: give --vigil-package FILE', { cause: err }));
        else reject(err);
      });
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    if (result.code !== 0) throw new FlashError('FLASH_PACKAGE', `npm pack in ${root} failed: ${result.stderr.trim().split('\n').at(-1) ?? `exit code ${result.code}`}`);
    const filename = (JSON.parse(result.stdout) as Array<{ filename: string }>)[0]?.filename;
    if (!filename) throw new FlashError('FLASH_PACKAGE', `npm pack in ${root} did not say what it wrote`);
    const data = readFileSync(join(out, filename));
    return { data, version: checkPackage(data, `the package packed from ${root}`), source: `packed from ${root}` };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
