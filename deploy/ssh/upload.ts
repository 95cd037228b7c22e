/**
 * A file written over SFTP: in chunks with several writes in flight (a round trip per chunk
 * would make a Pi on Wi-Fi slow), its mode set even when it existed, and fsync'd before it is
 * closed where the server offers fsync@openssh.com, so that a device losing power right after
 * the upload has either the whole file or the old state, not a file of zeros.
 */
import type { Client, SFTPWrapper } from 'ssh2';
import type { UploadOptions } from './connect.js';
import { SshError } from './errors.js';

const CHUNK = 32 * 1024;
const IN_FLIGHT = 16;

export async function uploadOver(client: Client, who: string, data: Buffer, remotePath: string, options: UploadOptions): Promise<void> {
  options.signal?.throwIfAborted();
  const where = `${who}:${remotePath}`;
  const failed = (what: string, err: unknown) =>
    err instanceof SshError ? err : new SshError('UPLOAD_FAILED', `could not ${what} ${where}: ${(err as Error).message}`, { cause: err });
  const sftp = await new Promise<SFTPWrapper>((resolve, reject) => {
    client.sftp((err, s) => (err ? reject(failed('start SFTP for', err)) : resolve(s)));
  });
  try {
    const mode = options.mode ?? 0o644;
    const handle = await call<Buffer>((cb) => sftp.open(remotePath, 'w', { mode }, cb)).catch((err) => {
      throw failed('create', err);
    });
    try {
      await writeAll(sftp, handle, data, options).catch((err) => {
        throw options.signal?.aborted ? options.signal.reason : failed('write', err);
      });
      // The mode given to open applies only to a new file (and through the server's umask).
      await call((cb) => sftp.fchmod(handle, mode, cb)).catch((err) => {
        throw failed('set the mode of', err);
      });
      await fsync(sftp, handle).catch((err) => {
        throw failed('fsync', err);
      });
    } finally {
      await call((cb) => sftp.close(handle, cb)).catch(() => undefined);
    }
  } finally {
    sftp.end();
  }
}

async function writeAll(sftp: SFTPWrapper, handle: Buffer, data: Buffer, options: UploadOptions): Promise<void> {
  const total = data.length;
  let sent = 0;
  options.onProgress?.(0, total);
  let next = 0;
  let failure: unknown;
  // Each worker writes the next chunk not yet taken: IN_FLIGHT writes outstanding at any time.
  const worker = async () => {
    while (next < total && failure === undefined) {
      if (options.signal?.aborted) {
        failure = options.signal.reason;
        break;
      }
      const at = next;
      const length = Math.min(CHUNK, total - at);
      next += length;
      try {
        await call((cb) => sftp.write(handle, data, at, length, at, cb));
      } catch (err) {
        failure ??= err;
        break;
      }
      sent += length;
      options.onProgress?.(sent, total);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  if (failure !== undefined) throw failure;
}

async function fsync(sftp: SFTPWrapper, handle: Buffer): Promise<void> {
  try {
    await call((cb) => sftp.ext_openssh_fsync(handle, cb));
  } catch (err) {
    // Servers without the extension (dropbear, some NAS firmware): the close still writes the data, just not durably.
    if (/does not support/.test((err as Error).message)) return;
    throw err;
  }
}

function call<T = unknown>(start: (cb: (err: Error | undefined | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    try {
      start((err, value) => (err ? reject(err) : resolve(value as T)));
    } catch (err) {
      reject(err);
    }
  });
}
