/**
 * An upload lands in the staging directory first, whole and fsynced, before anything reads it:
 * a connection cut halfway leaves a partial file there and nothing else changed. Staged files
 * are removed once applied; leftovers of cut uploads are cleared by the next one.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DeployError } from './errors.js';
import type { DeviceLayout } from './layout.js';

/** Bundles are small; this only stops a wrong file (an OS image) from filling the disk. */
export const MAX_ARCHIVE_BYTES = 256 * 1024 * 1024;

/** Stale partial uploads older than this are someone's cut connection, not a deploy in progress. */
const STALE_MS = 60 * 60 * 1000;

export interface Staged {
  file: string;
  data: Buffer;
  sha256: string;
}

export async function stage(input: AsyncIterable<Buffer | string> | Iterable<Buffer>, layout: DeviceLayout, maxBytes = MAX_ARCHIVE_BYTES): Promise<Staged> {
  mkdirSync(layout.staging, { recursive: true, mode: 0o755 });
  clearStale(layout.staging);
  const file = join(layout.staging, `upload-${process.pid}-${Date.now()}.part`);
  const fd = openSync(file, 'w', 0o600);
  const chunks: Buffer[] = [];
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const piece of input) {
      const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
      bytes += chunk.length;
      if (bytes > maxBytes) throw new DeployError('UPLOAD_TOO_LARGE', `the upload is larger than ${maxBytes} bytes: expected a bundle archive`);
      for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off, chunk.length - off);
      hash.update(chunk);
      chunks.push(chunk);
    }
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(file, { force: true });
    throw err;
  }
  closeSync(fd);
  return { file, data: Buffer.concat(chunks, bytes), sha256: hash.digest('hex') };
}

function clearStale(dir: string): void {
  const now = Date.now();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    try {
      if (now - statSync(path).mtimeMs > STALE_MS) rmSync(path, { force: true, recursive: true });
    } catch {
      // raced with another deploy's cleanup
    }
  }
}
