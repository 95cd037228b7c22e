/**
 * The Bluetooth LE central with noble running in a child process (noble-host.ts), so that
 * noble's blocking connect — a kernel connect inside its native addon, up to 40 s — stalls that
 * process and not the runtime. Same interface as NobleCentral; every operation is a request to
 * the child. If the child dies, the central reports `missing` and an error, starts a new one
 * after a pause, and scans again if a scan was wanted; connections it had are reported lost.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Emitter, type Unsubscribe } from '../../runtime/emitter.js';
import { DriverError } from '../../runtime/errors.js';
import type { BleAdvert, BleCentral, BleConnection, BleState, CentralEvents, ConnectionEvents, RemoteService } from './ble.js';
import { BleAttError } from './hci-errors.js';
import type { HostRequest, SentError } from './noble-host.js';

const hostUrl = new URL(`./noble-host${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
const RESPAWN_MS = 2000;

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

export class IsolatedCentral implements BleCentral {
  readonly binding = 'noble';
  readonly adapter: string;
  readonly events = new Emitter<CentralEvents>();
  readonly #hci: number;
  readonly #pending = new Map<number, Pending>();
  readonly #connections = new Map<string, IsolatedConnection>();
  readonly #values = new Map<string, (data: Buffer) => void>();
  #child: ChildProcess | undefined;
  #nextId = 1;
  #state: BleState = 'unknown';
  #scanWanted = false;
  #scanning = false;
  #closing = false;
  #respawn: ReturnType<typeof setTimeout> | undefined;

  constructor(options: { hci: number }) {
    this.#hci = options.hci;
    this.adapter = `hci${options.hci}`;
  }

  state(): BleState {
    return this.#state;
  }

  get scanning(): boolean {
    return this.#scanning;
  }

  /** The child process's pid (status, tests). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  async open(): Promise<void> {
    if (this.#child) return;
    this.#closing = false;
    this.#spawn();
    try {
      this.#setState((await this.#request('open')) as BleState);
    } catch (err) {
      this.#stop();
      throw err;
    }
  }

  async startScan(): Promise<void> {
    this.#scanWanted = true;
    await this.#request('startScan');
    this.#scanning = true;
  }

  async stopScan(): Promise<void> {
    this.#scanWanted = false;
    this.#scanning = false;
    if (this.#child) await this.#request('stopScan');
  }

  async connect(address: string, signal?: AbortSignal): Promise<BleConnection> {
    const at = address.toLowerCase();
    // The child blocks while the kernel connects; an abort here gives up waiting, and the
    // connection, if it is made after all, is closed at once.
    const made = this.#request('connect', at);
    if (signal) {
      const aborted = new Promise<never>((_, reject) => {
        const fail = () => reject(new DriverError('ble', `connecting to ${at} was aborted`, { code: 'BLE_ABORTED' }));
        if (signal.aborted) fail();
        else signal.addEventListener('abort', fail, { once: true });
      });
      try {
        await Promise.race([made, aborted]);
      } catch (err) {
        void made.then(() => this.#request('disconnect', at)).catch(() => {});
        throw err;
      }
    } else await made;
    const connection = new IsolatedConnection(at, this);
    this.#connections.set(at, connection);
    return connection;
  }

  async close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#respawn);
    const child = this.#child;
    if (!child) return;
    await this.#request('close').catch(() => {});
    if (this.#child === child) this.#stop();
  }

  /** For IsolatedConnection. */
  request(op: HostRequest['op'], ...args: unknown[]): Promise<unknown> {
    return this.#request(op, ...args);
  }

  /** For IsolatedConnection: values of a subscription, by "address/service/characteristic". */
  onValues(key: string, listener: ((data: Buffer) => void) | undefined): void {
    if (listener) this.#values.set(key, listener);
    else this.#values.delete(key);
  }

  forget(address: string, connection: IsolatedConnection): void {
    if (this.#connections.get(address) === connection) this.#connections.delete(address);
  }

  #spawn(): void {
    const child = fork(hostUrl, [], {
      // The runtime's module loader (tsx in development) and nothing else: not -e/-p, whose script
      // would run again in the child, nor --inspect.
      execArgv: loaderArgs(process.execArgv),
      env: { ...process.env, VIGIL_BLE_HCI: String(this.#hci) },
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#child = child;
    child.on('message', (m: { id?: number; value?: unknown; error?: SentError; event?: string } & Record<string, unknown>) => this.#message(m));
    child.on('exit', (code, signal) => this.#exited(child, code, signal));
    child.on('error', (err) => this.events.emit('error', new DriverError('ble', `the Bluetooth LE central process for ${this.adapter} failed: ${err.message}`, { cause: err })));
  }

  #message(m: { id?: number; value?: unknown; error?: SentError; event?: string } & Record<string, unknown>): void {
    if (m.id !== undefined) {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (m.error) p.reject(toError(m.error));
      else p.resolve(m.value);
      return;
    }
    switch (m.event) {
      case 'state':
        this.#setState(m.state as BleState);
        return;
      case 'advert': {
        const a = m.advert as BleAdvert;
        // Structured clone gives Uint8Arrays; consumers expect Buffers.
        this.events.emit('advert', { ...a, data: Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength), ...(a.scanResponse ? { scanResponse: Buffer.from(a.scanResponse.buffer, a.scanResponse.byteOffset, a.scanResponse.byteLength) } : {}) });
        return;
      }
      case 'error':
        this.events.emit('error', toError(m.error as SentError));
        return;
      case 'value': {
        const v = m.value as Uint8Array;
        this.#values.get(m.key as string)?.(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
        return;
      }
      case 'disconnect':
        this.#connections.get(m.address as string)?.lost(m.reason as string);
        return;
    }
  }

  #setState(state: BleState): void {
    if (state === this.#state) return;
    this.#state = state;
    if (state !== 'poweredOn') this.#scanning = false;
    else if (this.#scanWanted) this.#scanning = true;
    this.events.emit('state', state);
  }

  #exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#child !== child) return;
    this.#child = undefined;
    const why = `the Bluetooth LE central process for ${this.adapter} exited (${signal ?? `code ${code}`})`;
    for (const p of this.#pending.values()) p.reject(new DriverError('ble', why, { code: 'BLE_HOST_EXITED' }));
    this.#pending.clear();
    for (const c of [...this.#connections.values()]) c.lost('the central process exited');
    if (this.#closing) return;
    this.events.emit('error', new DriverError('ble', `${why}: starting it again in ${RESPAWN_MS / 1000} s`, { code: 'BLE_HOST_EXITED' }));
    this.#setState('missing');
    this.#respawn = setTimeout(() => void this.#restart(), RESPAWN_MS);
    this.#respawn.unref();
  }

  async #restart(): Promise<void> {
    if (this.#closing) return;
    try {
      await this.open();
      if (this.#scanWanted && this.#state === 'poweredOn') await this.startScan();
    } catch (err) {
      this.events.emit('error', err as Error);
      if (!this.#closing && !this.#child) {
        this.#respawn = setTimeout(() => void this.#restart(), RESPAWN_MS);
        this.#respawn.unref();
      }
    }
  }

  /** The child ignores SIGINT/SIGTERM (they reach the whole group); closing its channel is what stops it, SIGKILL if it is stuck in a connect. */
  #stop(): void {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null) return;
    if (child.connected) child.disconnect();
    setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, 1000).unref();
  }

  #request(op: HostRequest['op'], ...args: unknown[]): Promise<unknown> {
    const child = this.#child;
    if (!child?.connected) return Promise.reject(new DriverError('ble', `the Bluetooth LE central on ${this.adapter} is not open`, { code: 'BLE_NOT_OPEN' }));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      child.send({ id, op, args } satisfies HostRequest);
    });
  }
}

class IsolatedConnection implements BleConnection {
  readonly address: string;
  readonly events = new Emitter<ConnectionEvents>();
  readonly #central: IsolatedCentral;
  readonly #keys = new Set<string>();
  #connected = true;

  constructor(address: string, central: IsolatedCentral) {
    this.address = address;
    this.#central = central;
  }

  get connected(): boolean {
    return this.#connected;
  }

  discover(): Promise<RemoteService[]> {
    return this.#central.request('discover', this.address) as Promise<RemoteService[]>;
  }

  async read(service: string, characteristic: string): Promise<Buffer> {
    const v = (await this.#central.request('read', this.address, service, characteristic)) as Uint8Array;
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  }

  async write(service: string, characteristic: string, data: Buffer, withoutResponse = false): Promise<void> {
    await this.#central.request('write', this.address, service, characteristic, data, withoutResponse);
  }

  async subscribe(service: string, characteristic: string, onValue: (data: Buffer) => void): Promise<Unsubscribe> {
    const key = `${this.address}/${service}/${characteristic}`;
    this.#central.onValues(key, onValue);
    this.#keys.add(key);
    try {
      await this.#central.request('subscribe', this.address, service, characteristic);
    } catch (err) {
      this.#central.onValues(key, undefined);
      this.#keys.delete(key);
      throw err;
    }
    return () => {
      this.#central.onValues(key, undefined);
      this.#keys.delete(key);
      void this.#central.request('unsubscribe', this.address, service, characteristic).catch(() => {});
    };
  }

  async disconnect(): Promise<void> {
    if (!this.#connected) return;
    await this.#central.request('disconnect', this.address).catch(() => {});
  }

  /** The child said the link dropped (or the child itself is gone). */
  lost(reason: string): void {
    if (!this.#connected) return;
    this.#connected = false;
    for (const key of this.#keys) this.#central.onValues(key, undefined);
    this.#keys.clear();
    this.#central.forget(this.address, this);
    this.events.emit('disconnect', { reason });
  }
}

function toError(e: SentError): Error {
  if (e.attCode !== undefined) return new BleAttError(e.message.replace(/: the peripheral answered ATT error.*$/, ''), e.attCode);
  return new DriverError('ble', e.message, { code: e.code ?? 'DRIVER_FAILED' });
}

const LOADER_FLAGS = new Set(['--import', '--loader', '--experimental-loader', '--require', '-r']);

/** The loader flags of `argv` (`--import tsx`, `--import=tsx`, `-r x`), in order, with their values. */
export function loaderArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (LOADER_FLAGS.has(a) && i + 1 < argv.length) out.push(a, argv[++i]!);
    else if ([...LOADER_FLAGS].some((f) => f.startsWith('--') && a.startsWith(`${f}=`))) out.push(a);
  }
  return out;
}
