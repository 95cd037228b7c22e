/**
 * Tells systemd how `vigil run` is doing (sd_notify): READY=1 once the runtime is ready,
 * WATCHDOG=1 while its event loop turns, STOPPING=1 when it begins to stop, STATUS= lines for
 * `systemctl status`. Without NOTIFY_SOCKET in the environment it does nothing at all.
 *
 * How the datagrams get out. The notify socket is a unix datagram socket, which Node cannot
 * open (node:dgram is UDP only), and a native module for one datagram every 15 s is not worth
 * its build on a Pi. So each message is one run of `systemd-notify VAR=VALUE…`, a child process
 * in the service's cgroup. What makes that work on Raspberry Pi OS Bookworm (systemd 252) and
 * Trixie (257):
 * - PID 1 accepts messages from processes other than the main one only with NotifyAccess=all
 *   (deploy/vigil.service sets it). systemd-notify can impersonate its parent (the kernel lets a
 *   sender fake the pid in SCM_CREDENTIALS) only with CAP_SYS_ADMIN, which the service user
 *   never has; it then sends as itself, and `--pid=` would only add a MAINPID= we do not need.
 * - The old race: PID 1 attributes a message to a unit by the sender's cgroup, read from
 *   /proc/PID when it gets round to the message; a sender that has already exited is
 *   "Cannot find unit for notify message" and the message is dropped (systemd issues #2737,
 *   #2739). Since systemd 246 systemd-notify follows every message with a barrier
 *   (sd_notify_barrier: a pipe's write end passed over the socket, waited on until PID 1 has
 *   read everything before it and closed the fd) and exits only then, so the sender is alive
 *   while PID 1 looks at it. `--no-block` would skip the barrier: never passed. 252 and 257
 *   both barrier by default, with a 5 s limit after which systemd-notify fails.
 * - The watchdog is ours only when WATCHDOG_PID is unset or our pid (sd_watchdog_enabled's
 *   rule: the variable is inherited by children that are not the supervised process).
 * - The three variables are removed from the environment once read (sd_notify's
 *   unset_environment), so task processes and their tools do not inherit a socket to talk to.
 *
 * Liveness. A ping goes out from a timer every WATCHDOG_USEC/2: a wedged event loop (an
 * in-process task that never yields, a synchronous call that hangs) fires no timer, so systemd
 * kills and restarts the service after WatchdogSec. Isolated tasks that loop forever are the
 * task host's business (quotas), not a reason to restart the runtime, and a deeper health
 * probe would mostly restart a runtime whose drivers are merely failing, which it reports and
 * retries on its own; so the timer is the whole check. A ping is skipped while an earlier
 * message is still on its way (PID 1 busy): piling up systemd-notify processes helps nobody.
 *
 * A failed message is reported once (onError) and never thrown: the runtime runs on, and if
 * pings keep failing the watchdog restarts it, which is the right outcome for a runtime that
 * cannot start a small process any more.
 */
import { spawn } from 'node:child_process';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { errorMessage, VigilError } from './errors.js';

/** A message could not be handed to systemd. */
export class ServiceNotifyError extends VigilError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SD_NOTIFY_FAILED', message, options);
  }
}

/** Delivers one message (its VAR=VALUE assignments) to the socket; rejects when it could not. */
export type NotifyTransport = (socket: string, assignments: string[], signal: AbortSignal) => Promise<void>;

export interface ServiceNotifierOptions {
  /** Read for NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID, which are then removed from it. */
  env?: NodeJS.ProcessEnv;
  /** Our pid, to compare with WATCHDOG_PID. */
  pid?: number;
  clock?: Clock;
  transport?: NotifyTransport;
  /** Told about the first failed message only. */
  onError?: (err: ServiceNotifyError) => void;
}

/** How long one systemd-notify may take: its barrier gives up after 5 s. */
const SEND_TIMEOUT_MS = 10_000;

export class ServiceNotifier {
  /** The notify socket, or undefined when not run by systemd as Type=notify. */
  readonly socket: string | undefined;
  /** The ping interval (half of WATCHDOG_USEC), or undefined when the watchdog is not ours. */
  readonly pingMs: number | undefined;
  /** Told about the first failed message; settable so it can move to the runtime's log once there is one. */
  onError: (err: ServiceNotifyError) => void;
  #clock: Clock;
  #transport: NotifyTransport;
  #timer: TimerHandle | undefined;
  #tail: Promise<void> = Promise.resolve();
  #inFlight = 0;
  #failed = false;
  #closed = false;
  #abort = new AbortController();

  constructor(options: ServiceNotifierOptions = {}) {
    const env = options.env ?? process.env;
    const socket = env.NOTIFY_SOCKET || undefined;
    const watchdogUsec = Number(env.WATCHDOG_USEC);
    const watchdogPid = env.WATCHDOG_PID;
    for (const key of ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID']) delete env[key];
    this.socket = socket;
    const ours = watchdogPid === undefined || watchdogPid === '' || Number(watchdogPid) === (options.pid ?? process.pid);
    this.pingMs = socket && ours && Number.isSafeInteger(watchdogUsec) && watchdogUsec > 0 ? Math.max(1, Math.floor(watchdogUsec / 2000)) : undefined;
    this.#clock = options.clock ?? systemClock;
    this.#transport = options.transport ?? systemdNotify;
    this.onError = options.onError ?? ((err) => process.stderr.write(`vigil: ${err.message}\n`));
    // Pinging starts now, not at READY: a slow start must not look like a hang once systemd
    // arms the watchdog, and a ping before READY is harmless.
    if (this.pingMs !== undefined) this.#arm();
  }

  get enabled(): boolean {
    return this.socket !== undefined;
  }

  /** READY=1: the runtime is serving; `status` becomes the STATUS= line. */
  ready(status?: string): void {
    this.#send(['READY=1', ...statusLine(status)]);
  }

  status(text: string): void {
    this.#send(statusLine(text));
  }

  /** STOPPING=1: stopping has begun (systemd shows "deactivating" instead of waiting blindly). */
  stopping(status?: string): void {
    this.#send(['STOPPING=1', ...statusLine(status)]);
  }

  /** Stops pinging and waits (briefly) for messages on their way. */
  async close(waitMs = 2000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.#tail, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
    this.#abort.abort();
  }

  #arm(): void {
    this.#timer = this.#clock.setTimeout(() => {
      if (this.#closed) return;
      if (this.#inFlight === 0) this.#send(['WATCHDOG=1']);
      this.#arm();
    }, this.pingMs!);
    this.#timer.unref();
  }

  #send(assignments: string[]): void {
    const socket = this.socket;
    if (!socket || this.#closed || assignments.length === 0) return;
    this.#inFlight++;
    this.#tail = this.#tail
      .then(() => this.#transport(socket, assignments, this.#abort.signal))
      .catch((err: unknown) => {
        // Messages cut off by close() are not failures worth a line.
        if (this.#failed || this.#abort.signal.aborted) return;
        this.#failed = true;
        const error =
          err instanceof ServiceNotifyError ? err : new ServiceNotifyError(`cannot notify systemd (${assignments.join(' ')}) on ${socket}: ${errorMessage(err)}`, { cause: err });
        try {
          this.onError(error);
        } catch {
          // a failing reporter must not turn into an unhandled rejection
        }
      })
      .finally(() => this.#inFlight--);
  }
}

/** STATUS= takes one line: a newline would start another assignment. */
function statusLine(text: string | undefined): string[] {
  return text === undefined ? [] : [`STATUS=${text.replace(/[\r\n]+/g, ' ')}`];
}

/** The default transport: `systemd-notify VAR=VALUE…` with the socket in its environment. */
export const systemdNotify: NotifyTransport = (socket, assignments, signal) =>
  new Promise<void>((resolve, reject) => {
    const env = { NOTIFY_SOCKET: socket, PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin' };
    const child = spawn('systemd-notify', assignments, { env, stdio: ['ignore', 'ignore', 'pipe'], signal, timeout: SEND_TIMEOUT_MS });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' ? 'systemd-notify is not installed (or not on PATH)' : errorMessage(err);
      reject(new ServiceNotifyError(`cannot notify systemd (${assignments.join(' ')}): ${why}`, { cause: err }));
    });
    child.on('close', (code, sig) => {
      if (code === 0) return resolve();
      const how = sig ? `was killed by ${sig}${sig === 'SIGTERM' ? ` after ${SEND_TIMEOUT_MS / 1000} s` : ''}` : `exited with ${code}`;
      reject(new ServiceNotifyError(`cannot notify systemd (${assignments.join(' ')}) on ${socket}: systemd-notify ${how}${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
    });
  });
