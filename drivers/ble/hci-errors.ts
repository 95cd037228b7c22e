/**
 * How the real Bluetooth LE bindings fail, and how they keep noble's and bleno's failures from
 * taking the process down. Both libraries open a raw HCI socket when they are constructed and
 * throw errno errors (EAFNOSUPPORT on a kernel without Bluetooth, ENODEV for a missing adapter);
 * later problems arrive as adapter states ("unauthorized") or as exceptions thrown while an HCI
 * packet is processed. Everything here turns those into DriverErrors that name the adapter, say
 * what went wrong and what to do.
 */
import type { EventEmitter } from 'node:events';
import { DriverError, errorMessage } from '../../runtime/errors.js';
import type { BleState } from './ble.js';
import type { HciLayer } from './libraries.js';

export type BleRole = 'central' | 'peripheral';

const ROLE = { central: 'Bluetooth LE central', peripheral: 'Bluetooth LE peripheral' } as const;
const ADDON = '@abandonware/bluetooth-hci-socket';

function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The DriverError for a library that could not be loaded, or an adapter that could not be opened. */
export function bleOpenError(role: BleRole, adapter: string, library: string, err: unknown): DriverError {
  if (err instanceof DriverError) return err;
  const head = `${ROLE[role]} on ${adapter} cannot start`;
  const code = errnoCode(err);
  const message = errorMessage(err);
  const fail = (text: string, errCode: string) => new DriverError('ble', `${head}: ${text}`, { cause: err, code: errCode });
  if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') {
    const missing = /Cannot find (?:module|package) '([^']+)'/.exec(message)?.[1];
    if (missing === undefined || missing === library || missing.startsWith(`${library}/`)) {
      return fail(`the ${library} library is not installed: install ${library} (an optional dependency): npm install ${library}`, 'DRIVER_UNAVAILABLE');
    }
    return fail(`the ${library} library is incomplete (cannot find ${missing}): reinstall ${library} (an optional dependency): npm install ${library}`, 'DRIVER_UNAVAILABLE');
  }
  if (code === 'ERR_DLOPEN_FAILED' || /NODE_MODULE_VERSION|invalid ELF header|\.node\b/.test(message)) {
    return fail(`the native addon ${ADDON} cannot be loaded (${message}): rebuild it for this Node.js: npm rebuild ${ADDON}`, 'DRIVER_UNAVAILABLE');
  }
  switch (code) {
    case 'EAFNOSUPPORT':
      return fail('the kernel has no Bluetooth support (EAFNOSUPPORT, address family not supported by protocol): load the bluetooth module (modprobe bluetooth) or use a kernel with Bluetooth, or configure the simulated binding', 'BLE_NO_KERNEL_SUPPORT');
    case 'EPERM':
    case 'EACCES':
      return permissionError(role, adapter, err);
    case 'ENODEV':
      return fail(`there is no adapter ${adapter} (ENODEV): list the adapters with "btmgmt info" (or "hciconfig") and set the adapter number in the configuration`, 'BLE_NO_ADAPTER');
    case 'EBUSY':
      return fail(`${adapter} is held exclusively by another program (EBUSY: an HCI user channel is open on it): stop that program`, 'BLE_ADAPTER_BUSY');
    case 'ERFKILL':
      return fail(`${adapter} is blocked by rfkill: rfkill unblock bluetooth`, 'BLE_ADAPTER_BLOCKED');
  }
  return fail(message, 'DRIVER_FAILED');
}

/** Raw HCI sockets need CAP_NET_RAW (and CAP_NET_ADMIN for some commands); the kernel answers EPERM. */
export function permissionError(role: BleRole, adapter: string, cause?: unknown): DriverError {
  return new DriverError(
    'ble',
    `${ROLE[role]} on ${adapter} cannot start: no permission to use raw HCI sockets (EPERM, the adapter reports "unauthorized"): run vigil as root, or give node the capabilities once: sudo setcap cap_net_raw,cap_net_admin+eip $(readlink -f $(which node))`,
    { cause, code: 'BLE_NO_PERMISSION' },
  );
}

export function unsupportedError(role: BleRole, adapter: string): DriverError {
  return new DriverError('ble', `${ROLE[role]} on ${adapter} cannot start: the adapter does not support Bluetooth Low Energy (HCI version below 4.0): use a Bluetooth 4.0+ adapter`, { code: 'BLE_UNSUPPORTED' });
}

export function noAnswerError(role: BleRole, adapter: string, ms: number): DriverError {
  return new DriverError('ble', `${ROLE[role]} on ${adapter} cannot start: the adapter did not finish initialising within ${ms} ms (check "btmgmt --index N info" and the kernel log)`, { code: 'BLE_NO_RESPONSE' });
}

// ------------------------------------------------------------------------- ATT and HCI codes

const ATT_NAMES: Record<number, string> = {
  0x01: 'invalid handle',
  0x02: 'read not permitted',
  0x03: 'write not permitted',
  0x04: 'invalid PDU',
  0x05: 'insufficient authentication',
  0x06: 'request not supported',
  0x07: 'invalid offset',
  0x08: 'insufficient authorization',
  0x09: 'prepare queue full',
  0x0a: 'attribute not found',
  0x0b: 'attribute not long',
  0x0c: 'insufficient encryption key size',
  0x0d: 'invalid attribute value length',
  0x0e: 'unlikely error',
  0x0f: 'insufficient encryption',
  0x10: 'unsupported group type',
  0x11: 'insufficient resources',
};

export function hex2(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}

export function attErrorName(code: number): string {
  return ATT_NAMES[code] ?? (code >= 0x80 && code <= 0x9f ? 'application error' : 'reserved error code');
}

/** A GATT request the remote server answered with an ATT error. `detail` is the code ("0x0d"). */
export class BleAttError extends DriverError {
  readonly attCode: number;
  readonly detail: string;
  constructor(what: string, attCode: number) {
    super('ble', `${what}: the peripheral answered ATT error ${hex2(attCode)} (${attErrorName(attCode)})`, { code: 'BLE_ATT_ERROR' });
    this.attCode = attCode;
    this.detail = hex2(attCode);
  }
}

const HCI_REASONS: Record<number, string> = {
  0x05: 'authentication failure',
  0x08: 'connection timeout (the peer went out of range)',
  0x13: 'the peer ended the connection',
  0x14: 'the peer ended the connection (low resources)',
  0x15: 'the peer ended the connection (power off)',
  0x16: 'ended by this device',
  0x1f: 'unspecified error',
  0x22: 'link layer response timeout',
  0x3b: 'unacceptable connection parameters',
  0x3d: 'message integrity check failure',
  0x3e: 'the connection failed to be established',
};

export function hciReason(code: number): string {
  return `${HCI_REASONS[code] ?? 'disconnected'} (HCI ${hex2(code)})`;
}

// ------------------------------------------------------------------------ adapter states

const LIBRARY_STATES: ReadonlySet<string> = new Set(['unknown', 'resetting', 'unsupported', 'unauthorized', 'poweredOff', 'poweredOn']);

/** noble's and bleno's state names are BleState's; anything else is "unknown". */
export function toBleState(raw: string): BleState {
  return LIBRARY_STATES.has(raw) ? (raw as BleState) : 'unknown';
}

/**
 * What open() waits for: the adapter on or off (usable either way; off comes back on), or a state
 * that means it cannot be used. `offer` is called with each state; `cancel` gives up quietly.
 */
export function settleOpen(role: BleRole, adapter: string, timeoutMs: number): { done: Promise<void>; offer(state: BleState): void; cancel(): void } {
  let offer: (state: BleState) => void = () => undefined;
  let cancel: () => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => finish(noAnswerError(role, adapter, timeoutMs)), timeoutMs);
    const finish = (err?: Error) => {
      clearTimeout(timer);
      offer = () => undefined;
      if (err) reject(err);
      else resolve();
    };
    offer = (state) => {
      if (state === 'poweredOn' || state === 'poweredOff') finish();
      else if (state === 'unauthorized') finish(permissionError(role, adapter));
      else if (state === 'unsupported') finish(unsupportedError(role, adapter));
    };
    cancel = () => {
      clearTimeout(timer);
      offer = () => undefined;
      resolve();
    };
  });
  return { done, offer: (state) => offer(state), cancel: () => cancel() };
}

/** Adds a listener and records how to remove it. */
export function listen(offs: (() => void)[], emitter: EventEmitter, event: string, listener: (...args: never[]) => void): void {
  const l = listener as (...args: unknown[]) => void;
  emitter.on(event, l);
  offs.push(() => emitter.removeListener(event, l));
}

// -------------------------------------------------------------------- keeping the process up

/**
 * Runs the library's HCI packet handling inside try/catch: an exception thrown while a packet is
 * parsed or dispatched (a malformed answer, a bug in a library callback) would otherwise surface
 * from the native addon's event and end the process. `tap` sees each raw packet first. Must be
 * installed before the library's init(), which binds `this.onSocketData` to the socket.
 */
export function guardPacketHandling(hci: HciLayer, report: (err: unknown) => void, tap?: (packet: Buffer) => void): void {
  const handle = hci.onSocketData;
  hci.onSocketData = function guarded(this: HciLayer, data: Buffer) {
    try {
      tap?.(data);
    } catch (err) {
      report(err);
    }
    try {
      handle.call(this, data);
    } catch (err) {
      report(err);
    }
  };
}

/** Starts and stops the library's once-a-second HCI_UP poll, which the library itself never stops. */
export interface DevicePoll {
  stop(): void;
  /** Start a fresh poll (after stop()), re-running the library's device initialisation. */
  restart(): void;
}

export function controlDevicePoll(hci: HciLayer): DevicePoll {
  const poll = Object.getPrototypeOf(hci).pollIsDevUp as () => void;
  let generation = 0;
  let stopped = false;
  // The library re-arms its timer with `this.pollIsDevUp.bind(this)`, so each chain carries the
  // function installed when it started: a stale chain sees an old generation and ends.
  const chain = (mine: number) =>
    function pollOnce(this: HciLayer) {
      if (stopped || mine !== generation) return;
      poll.call(this);
    };
  hci.pollIsDevUp = chain(generation);
  return {
    stop() {
      stopped = true;
      generation++;
    },
    restart() {
      stopped = false;
      generation++;
      hci._isDevUp = null;
      hci.pollIsDevUp = chain(generation);
      hci.pollIsDevUp();
    },
  };
}

export interface ProcessListener {
  event: 'SIGINT' | 'exit';
  listener: (...args: unknown[]) => void;
}

/**
 * Runs a library's init() and returns the process listeners it added: noble and bleno add an
 * exit handler (stop scanning/advertising, drop links) and a SIGINT handler that calls
 * process.exit() when it is the last one, which would cut the runtime's own shutdown short.
 */
export function initCapturingListeners(init: () => void): { added: ProcessListener[]; error?: unknown } {
  const listeners = (event: 'SIGINT' | 'exit') => (event === 'exit' ? process.listeners('exit') : process.listeners('SIGINT')) as unknown[];
  const before = { SIGINT: listeners('SIGINT'), exit: listeners('exit') };
  let error: unknown;
  let failed = false;
  try {
    init();
  } catch (err) {
    failed = true;
    error = err;
  }
  const added: ProcessListener[] = [];
  for (const event of ['SIGINT', 'exit'] as const) {
    for (const l of listeners(event)) if (!before[event].includes(l)) added.push({ event, listener: l as (...args: unknown[]) => void });
  }
  return failed ? { added, error } : { added };
}

export function removeListeners(listeners: readonly ProcessListener[], event?: 'SIGINT' | 'exit'): void {
  for (const l of listeners) {
    if (event !== undefined && l.event !== event) continue;
    if (l.event === 'exit') process.removeListener('exit', l.listener);
    else process.removeListener('SIGINT', l.listener);
  }
}

/**
 * noble's and bleno's bindings print to stdout when the adapter is "unauthorized" or
 * "unsupported"; the bindings report those states as DriverErrors instead, so the library's
 * state handler is replaced by one that only de-duplicates and forwards (installed before init()).
 */
export function quietStateChange(bindings: { _state: string | null; emit(event: string, ...args: unknown[]): boolean; onStateChange?: unknown }): void {
  bindings.onStateChange = function onStateChange(this: typeof bindings, state: string) {
    if (this._state === state) return;
    this._state = state;
    this.emit('stateChange', state);
  };
}

// ------------------------------------------------------------------------------ role limits

/**
 * What to expect when the central (noble) and the peripheral (bleno) share one adapter, as read
 * in the libraries' code and seen in the lab (two btvirt controllers). Empty when they do not
 * share one (or a role is not configured).
 */
export function bleRoleLimits(central: number | undefined, peripheral: number | undefined): string[] {
  if (central === undefined || peripheral === undefined || central !== peripheral) return [];
  const a = `hci${central}`;
  return [
    `${a} serves both roles: noble (central) and bleno (peripheral) each open a raw HCI socket on it and see each other's commands and events; only one bleno peripheral can exist per process.`,
    `Scanning while advertising works on ${a} if the controller allows the combination (the lab's controller does; most Bluetooth 4.1+ controllers do).`,
    'While a central is connected to the peripheral, the controller stops advertising (connectable advertising ends when a connection is made) and bleno restarts it when that central disconnects; bleno serves one central at a time.',
    "NOBLE_MULTI_ROLE is not set, and not needed: this noble runs its ATT client only on links where it is the central and bleno serves only links where it is the peripheral, so noble never answers requests meant for bleno (the lab serves GATT from bleno with a noble central open on the same adapter); with the flag, noble would leave the requests a peer sends on noble's own links (an MTU exchange included) unanswered until the peer's 30 s ATT timeout.",
    `bleno tracks a single connection handle whatever the role: a central connection made by noble on ${a} while a central is connected to bleno makes bleno miss its own client's disconnection (no disconnect event, advertising not restarted) and take the end of noble's link for its client leaving. Do not connect out on ${a} while serving a central, or give the central role its own adapter.`,
    `noble's connect is made by the kernel (the hci-socket addon replaces LE Create Connection with a blocking L2CAP connect): it takes over and then stops the adapter's scanning (the central resumes its scan afterwards) and blocks the whole Node.js event loop, the peripheral's GATT answers included, until the link is up or the attempt fails (40 s when the device is not seen).`,
  ];
}

/**
 * Call `start`, then resolve on the emitter's `event` or after `ms`, whichever comes first: the
 * libraries do not always confirm (noble says nothing when stopping a scan that had already ended).
 */
export function eventOrTimeout(emitter: EventEmitter, event: string, ms: number, start: () => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      emitter.removeListener(event, done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    emitter.once(event, done);
    start();
  });
}
