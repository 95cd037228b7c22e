/**
 * The fast way to hand a device its archive: straight into the running runtime's control socket,
 * forwarded over the SSH connection, where the runtime stages, checks, switches and health-checks
 * it as `vigil apply` would (deploy/device/socket-apply.ts) — without starting Node.js on the
 * device, which is most of a deploy's time on a Pi. Where the socket cannot be reached (another
 * login, a runtime not running, an older vigil), the caller falls back to `vigil apply`.
 */
import { posix } from 'node:path';
import type { Duplex } from 'node:stream';
import { VigilError } from '../runtime/errors.js';
import type { DeploySettings, DeviceTarget, Payload, Progress } from './deploy-host.js';
import type { ApplyResult } from './device/apply.js';
import type { SshSession } from './ssh/connect.js';

const DEFAULT_CONFIG = '/etc/vigil/config.json';
const CHUNK = 64 * 1024;

/** The control socket of the device's runtime, from its config file (read over SFTP); undefined if unknown. */
export async function deviceSocket(session: SshSession, target: DeviceTarget): Promise<string | undefined> {
  const file = target.deviceConfig ?? DEFAULT_CONFIG;
  const text = await session.readFile(file);
  if (!text) return undefined;
  try {
    const stateDir = (JSON.parse(text.toString('utf8')) as { stateDir?: unknown }).stateDir;
    if (typeof stateDir !== 'string' || stateDir === '') return undefined;
    // As the runtime resolves it: relative to the config file's directory.
    return posix.join(posix.resolve(posix.dirname(file), stateDir), 'vigil.sock');
  } catch {
    return undefined;
  }
}

/** Send the archive as one `bundle.apply` request; resolves to the device's result. */
export async function socketApply(session: SshSession, socketPath: string, payload: Payload, settings: DeploySettings, progress: Progress, signal: AbortSignal): Promise<ApplyResult> {
  const stream = await session.openSocket(socketPath);
  const onAbort = () => stream.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const reply = readReply(stream);
    const params = { sha256: payload.sha256, bytes: payload.archive.length, keep: settings.keep, timeoutMs: settings.timeoutSec * 1000, ...(settings.smoke !== undefined ? { smoke: settings.smoke } : {}) };
    stream.write(`${JSON.stringify({ id: 1, method: 'bundle.apply', params })}\n`);
    progress('uploading', 0);
    for (let off = 0; off < payload.archive.length; off += CHUNK) {
      signal.throwIfAborted();
      const chunk = payload.archive.subarray(off, off + CHUNK);
      if (!stream.write(chunk)) await Promise.race([new Promise((resolve) => stream.once('drain', resolve)), reply]);
      progress('uploading', Math.min(1, (off + chunk.length) / payload.archive.length));
    }
    progress('applying');
    const answer = await reply;
    signal.throwIfAborted();
    if (!answer.ok) throw new VigilError(answer.error?.code ?? 'DEVICE_FAILED', answer.error?.message ?? 'the device refused the deploy without saying why');
    return answer.result as ApplyResult;
  } finally {
    signal.removeEventListener('abort', onAbort);
    stream.destroy();
  }
}

type Reply = { ok: boolean; result?: unknown; error?: { code: string; message: string } };

function readReply(stream: Duplex): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const newline = text.indexOf('\n');
      if (newline < 0) return;
      try {
        resolve(JSON.parse(text.slice(0, newline)) as Reply);
      } catch (err) {
        reject(new VigilError('DEVICE_FAILED', `the device's answer could not be read: ${(err as Error).message}`));
      }
    });
    stream.once('close', () => reject(new VigilError('DEVICE_FAILED', 'the connection to the device closed before it answered')));
    stream.once('error', (err: Error) => reject(new VigilError('DEVICE_FAILED', `the connection to the device failed: ${err.message}`, { cause: err })));
  });
}
