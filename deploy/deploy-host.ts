/**
 * One host of `vigil deploy`: connect (host key checked), stream the archive into the device's
 * `vigil apply -` over the same SSH channel, and relay its progress and result. The device does
 * the verifying, switching and rolling back, so a connection that drops at any point leaves the
 * device either untouched (upload incomplete: the checksum fails) or finishing on its own.
 */
import type { ApplyResult } from './device/apply.js';
import { connect, type SshOptions, type SshSession } from './ssh/connect.js';
import { shellQuote } from './ssh/quote.js';
import { formatTarget, type SshTarget } from './ssh/target.js';
import { deviceSocket, socketApply } from './socket-transport.js';
import { VigilError } from '../runtime/errors.js';

export interface DeviceTarget {
  /** How the host is called in progress lines and the result table (the inventory name, or USER@HOST). */
  name: string;
  ssh: SshTarget;
  identity?: string;
  /** The command that runs vigil on the device; `vigil` when it is on PATH. */
  vigilCommand: string;
  /** The device's config file (for its bundles and state directories); the device's default when unset. */
  deviceConfig?: string;
}

export interface DeploySettings {
  knownHosts?: string;
  acceptNew?: boolean;
  identity?: string;
  smoke?: string;
  keep: number;
  timeoutSec: number;
  connectTimeoutMs?: number;
  /** auto: the runtime's control socket when reachable, else `vigil apply`; exec: always `vigil apply`. */
  transport?: 'auto' | 'exec';
}

export interface Payload {
  archive: Buffer;
  sha256: string;
  name: string;
  version: string;
}

export type HostStatus = 'deployed' | 'unchanged' | 'rolled back';

export interface HostOutcome {
  status: HostStatus;
  version: string;
  previous: string | null;
  /** True when --accept-new pinned this host's key during the deploy. */
  pinned: boolean;
  /** How the archive reached the device: the runtime's control socket, or `vigil apply`. */
  via: 'socket' | 'exec';
  message: string;
  result: ApplyResult;
}

export type Progress = (phase: string, fraction?: number) => void;

/** Writes that wait for the channel to drain: progress follows what the device has taken. */
const CHUNK = 64 * 1024;

export async function deployHost(target: DeviceTarget, payload: Payload, settings: DeploySettings, progress: Progress, signal: AbortSignal): Promise<HostOutcome> {
  const args = ['apply', '-', '--sha256', payload.sha256, '--json', '--keep', String(settings.keep), '--timeout', String(settings.timeoutSec)];
  if (settings.smoke !== undefined) args.push('--smoke', settings.smoke);
  return runApply(target, settings, args, progress, signal, payload);
}

export async function rollbackHost(target: DeviceTarget, bundle: string, settings: DeploySettings, progress: Progress, signal: AbortSignal): Promise<HostOutcome> {
  return runApply(target, settings, ['apply', '--rollback', bundle, '--json', '--timeout', String(settings.timeoutSec)], progress, signal);
}

async function runApply(target: DeviceTarget, settings: DeploySettings, args: string[], progress: Progress, signal: AbortSignal, payload?: Payload): Promise<HostOutcome> {
  progress('connecting');
  const options: SshOptions = { signal };
  if (settings.knownHosts !== undefined) options.knownHosts = settings.knownHosts;
  if (settings.acceptNew) options.acceptNew = true;
  const identity = target.identity ?? settings.identity;
  if (identity !== undefined) options.identity = identity;
  if (settings.connectTimeoutMs !== undefined) options.timeoutMs = settings.connectTimeoutMs;
  const session = await connect(target.ssh, options);
  try {
    if (payload && settings.transport !== 'exec') {
      const socket = await deviceSocket(session, target);
      const result = socket === undefined ? undefined : await socketApply(session, socket, payload, settings, progress, signal).catch(unavailable);
      if (result) return { ...describe(result), pinned: session.hostKey.pinned, via: 'socket' };
    }
    if (target.deviceConfig !== undefined) args.push('--config', target.deviceConfig);
    const outcome = await remoteApply(session, `${target.vigilCommand} ${shellQuote(args)}`, target, progress, signal, payload);
    return { ...outcome, pinned: session.hostKey.pinned, via: 'exec' };
  } finally {
    await session.close();
  }
}

/** A socket the device would not open is a reason to use `vigil apply` instead; anything else is the answer. */
function unavailable(err: unknown): undefined {
  if (err instanceof VigilError && err.code === 'SOCKET_UNAVAILABLE') return undefined;
  throw err;
}

async function remoteApply(session: SshSession, command: string, target: DeviceTarget, progress: Progress, signal: AbortSignal, payload?: Payload): Promise<Omit<HostOutcome, 'pinned' | 'via'>> {
  const proc = session.spawn(command);
  const onAbort = () => proc.kill('TERM');
  signal.addEventListener('abort', onAbort, { once: true });
  let result: ApplyResult | undefined;
  let failure: { code: string; message: string } | undefined;
  let stderr = '';
  let rest = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (text: string) => {
    if (stderr.length < 4000) stderr += text;
  });
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (text: string) => {
    rest += text;
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      let message: { phase?: string; detail?: string; result?: ApplyResult; error?: { code: string; message: string } };
      try {
        message = JSON.parse(line) as typeof message;
      } catch {
        continue; // not ours (a profile script printing something): ignored
      }
      if (message.phase) progress(message.phase);
      if (message.result) result = message.result;
      if (message.error) failure = message.error;
    }
  });
  try {
    if (payload) await upload(proc.stdin, proc.exit, payload.archive, progress, signal);
    else proc.stdin.end();
    const exit = await proc.exit;
    if (result) return describe(result);
    if (failure) throw new VigilError(failure.code, `${target.name}: ${failure.message}${permissionHint(failure.message, target)}`);
    if (exit.code === 127) {
      throw new VigilError('VIGIL_NOT_FOUND', `${target.name}: vigil is not installed on ${formatTarget(session.target)} or not on its PATH (${firstLine(stderr)}): install it there, or give --vigil-command`);
    }
    signal.throwIfAborted();
    throw new VigilError('DEVICE_FAILED', `${target.name}: \`vigil apply\` on the device ended with ${exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`} and no result${stderr.trim() ? `: ${firstLine(stderr)}` : ''}`);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

async function upload(stdin: NodeJS.WritableStream, exit: Promise<unknown>, archive: Buffer, progress: Progress, signal: AbortSignal): Promise<void> {
  progress('uploading', 0);
  // The channel ending (connection lost, the device's command gone) is the other way a wait ends.
  const ended = exit.then(
    () => 'ended' as const,
    () => 'ended' as const,
  );
  for (let off = 0; off < archive.length; off += CHUNK) {
    signal.throwIfAborted();
    const chunk = archive.subarray(off, off + CHUNK);
    if (!stdin.write(chunk)) {
      let onDrain: () => void = () => {};
      const drained = new Promise<'drained'>((resolve) => {
        onDrain = () => resolve('drained');
        stdin.once('drain', onDrain);
      });
      const why = await Promise.race([drained, ended]);
      stdin.off('drain', onDrain);
      if (why === 'ended') {
        // The exit promise carries the reason (the connection lost); the caller awaits it next.
        await exit;
        throw new VigilError('UPLOAD_FAILED', `the device stopped taking the upload after ${off} of ${archive.length} bytes`);
      }
    }
    progress('uploading', Math.min(1, (off + chunk.length) / archive.length));
  }
  stdin.end();
}

function describe(r: ApplyResult): Omit<HostOutcome, 'pinned' | 'via'> {
  const base = { version: r.version, previous: r.previous?.version ?? null, result: r };
  switch (r.status) {
    case 'deployed':
      return { ...base, status: 'deployed', message: `${r.health?.tasks.length ?? 0} registration${(r.health?.tasks.length ?? 0) === 1 ? '' : 's'} armed${r.smoke ? `, smoke ${r.smoke.task} ok` : ''}${r.pruneError ? `; ${r.pruneError}` : ''}` };
    case 'unchanged':
      return { ...base, status: 'unchanged', message: 'already installed and healthy' };
    case 'rolled-back':
      // A failed deploy the device undid: failed for the exit code, "rolled back" in the table.
      if (r.failure) throw Object.assign(new VigilError(r.failure.code, `${r.version} rolled back${r.previous ? ` to ${r.previous.version}` : ''}: ${r.failure.message}`), { status: 'rolled back' });
      return { ...base, status: 'rolled back', message: `now on ${r.version}` };
  }
}

/**
 * The bundles directory, the config and the control socket belong to the service's user: a
 * login that is not it gets EACCES on the device, and the way out is to run vigil as that user.
 */
export function permissionHint(message: string, target: DeviceTarget): string {
  if (!/EACCES|EPERM|permission denied|PERMISSION_DENIED/i.test(message) || /\bsudo\b/.test(target.vigilCommand)) return '';
  return ` (the device's vigil files belong to its service user: deploy as root, or give --vigil-command 'sudo -n -u vigil ${target.vigilCommand}' with a sudo rule allowing it)`;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.slice(0, 300) ?? '';
}
