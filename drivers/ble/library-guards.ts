/**
 * Keeping noble and bleno in line: their adapter states as BleState, open() settling on a usable
 * state, exceptions thrown while an HCI packet is processed reported instead of crashing the
 * process, the HCI_UP poll they never stop, the SIGINT/exit listeners they install, and the
 * confirmations they sometimes never send.
 */
import type { EventEmitter } from 'node:events';
import type { BleState } from './ble.js';
import { noAnswerError, permissionError, unsupportedError, type BleRole } from './hci-errors.js';
import type { HciLayer } from './libraries.js';

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
