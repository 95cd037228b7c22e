/**
 * The file operations a deploy relies on to be safe across a cut connection, a crash or a power
 * cut: everything is written under a temporary name, fsynced, then renamed into place, and the
 * directory holding the rename is fsynced so the rename itself is on disk.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, symlinkSync, writeSync, readFileSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DeployError } from './errors.js';

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function writeDurable(file: string, data: Buffer | string, mode = 0o644): void {
  const fd = openSync(file, 'w', mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Write a whole file atomically: readers see the old content or the new, never a part. */
export function replaceFile(file: string, data: Buffer | string, mode = 0o644): void {
  const tmp = join(dirname(file), `.${randomBytes(6).toString('hex')}.tmp`);
  writeDurable(tmp, data, mode);
  renameSync(tmp, file);
  fsyncDir(dirname(file));
}

/**
 * Write a bundle's files into `dir` (which must not exist), durably. The caller renames the
 * finished directory into place, so a half-written version never has its final name. Async:
 * inside the runtime (a deploy through its control socket) the fsyncs must not hold its event
 * loop, and a bundle with its node_modules can be thousands of files.
 */
export async function writeTree(dir: string, directories: readonly string[], files: ReadonlyMap<string, Buffer>, modes: ReadonlyMap<string, number>): Promise<void> {
  await fsp.mkdir(dir, { mode: 0o755 });
  const made = new Set<string>([dir]);
  const ensure = async (d: string) => {
    if (made.has(d)) return;
    await fsp.mkdir(d, { recursive: true, mode: 0o755 });
    for (let at = d; !made.has(at) && at.startsWith(dir); at = dirname(at)) made.add(at);
  };
  for (const d of directories) await ensure(join(dir, d));
  for (const [path, data] of files) {
    const file = join(dir, path);
    await ensure(dirname(file));
    const handle = await fsp.open(file, 'w', modes.get(path) ?? 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  for (const d of [...made].sort((a, b) => b.length - a.length)) {
    const handle = await fsp.open(d, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

/** Point `link` at `target` in one rename: the runtime sees the old version or the new one. */
export function switchLink(link: string, target: string): void {
  const tmp = join(dirname(link), `.${randomBytes(6).toString('hex')}.link`);
  symlinkSync(target, tmp);
  try {
    renameSync(tmp, link);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(dirname(link));
}

/**
 * One deploy of a bundle at a time on a device. The lock file holds the owner's pid; a lock left
 * by a process that is gone (killed, power cut) is taken over.
 */
export function takeLock(file: string, what: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number.parseInt(safeRead(file), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new DeployError('DEPLOY_BUSY', `another deploy of ${what} is in progress on this device (process ${pid}, lock ${file}): wait for it to finish`);
      }
      unlinkSync(file);
    }
  }
  throw new DeployError('DEPLOY_BUSY', `cannot take the deploy lock ${file}`);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
