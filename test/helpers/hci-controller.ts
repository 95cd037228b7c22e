/**
 * A Bluetooth LE controller simulated at the level of HCI packets, behind a stand-in for the
 * @abandonware/bluetooth-hci-socket class, so that the real noble and the driver above it run
 * unmodified in host tests. The socket acts as the addon's raw socket on Linux: nothing arrives
 * until setFilter() lets it through (the kernel's filter), it sees a copy of each command another
 * host stack sends, and writes fail with ENETDOWN while the adapter is down. The controller
 * answers one command at a time (ncmd = 1), scanning as BlueZ's emulator/btdev.c does. There are
 * no connections: LE Create Connection, like any unknown command, gets "Unknown HCI Command".
 *
 * Loading: noble's hci.js keeps the socket class it got when first loaded. installSimulatedHci()
 * therefore puts the stand-in into require.cache under the addon's file name as resolved from
 * hci.js AND drops noble's own modules from require.cache, so a noble required after the install
 * is a fresh copy on the stand-in even if the process loaded one before; nobles created earlier
 * keep their class. Adapters are looked up at bind time: several centrals (one noble per
 * deviceId) share one install; each test installs its own and calls the undo it returns.
 */
import { EventEmitter } from 'node:events';
import { createRequire, Module } from 'node:module';
import { dirname, sep } from 'node:path';

export const OP = {
  SET_EVENT_MASK: 0x0c01, RESET: 0x0c03, READ_LE_HOST_SUPPORTED: 0x0c6c, WRITE_LE_HOST_SUPPORTED: 0x0c6d,
  READ_LOCAL_VERSION: 0x1001, READ_LOCAL_COMMANDS: 0x1002, READ_LOCAL_FEATURES: 0x1003, READ_BUFFER_SIZE: 0x1005, READ_BD_ADDR: 0x1009,
  LE_SET_EVENT_MASK: 0x2001, LE_READ_BUFFER_SIZE: 0x2002, LE_SET_SCAN_PARAMETERS: 0x200b, LE_SET_SCAN_ENABLE: 0x200c,
  LE_SET_DEFAULT_PHY: 0x2031, LE_SET_EXT_SCAN_PARAMETERS: 0x2041, LE_SET_EXT_SCAN_ENABLE: 0x2042,
} as const;

export const STATUS = { SUCCESS: 0x00, UNKNOWN_COMMAND: 0x01, COMMAND_DISALLOWED: 0x0c, INVALID_PARAMETERS: 0x12 } as const;

const [HCI_COMMAND_PKT, HCI_ACLDATA_PKT, HCI_EVENT_PKT] = [0x01, 0x02, 0x04];
const [EVT_CMD_COMPLETE, EVT_CMD_STATUS, EVT_LE_META] = [0x0e, 0x0f, 0x3e];
const [LE_ADVERTISING_REPORT, LE_EXT_ADVERTISING_REPORT] = [0x02, 0x0d];
/** The kernel's HCI_CMD_TIMEOUT: after it, an unanswered command no longer holds the queue. */
const KERNEL_COMMAND_TIMEOUT_MS = 2000;
/** Return parameters after the status, zeroed in a refusal (noble parses them whatever the status). */
const RETURN_LENGTH: Record<number, number> = { 0x0c6c: 2, 0x1001: 8, 0x1002: 64, 0x1003: 8, 0x1005: 7, 0x1009: 6, 0x2002: 3 };
const PARAM_LENGTH: Record<number, number> = { 0x0c01: 8, 0x0c03: 0, 0x0c6c: 0, 0x0c6d: 2, 0x1001: 0, 0x1002: 0, 0x1003: 0, 0x1005: 0, 0x1009: 0, 0x2001: 8, 0x2002: 0, 0x200b: 7, 0x200c: 2, 0x2031: 3, 0x2042: 6 };
const ADDRESS = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const hex = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;
const addressBytes = (address: string) => Buffer.from(address.split(':').reverse().join(''), 'hex');
const le16 = (n: number) => [n & 0xff, n >> 8];

export interface ControllerOptions {
  /** The public address Read BD_ADDR answers, "aa:bb:cc:dd:ee:ff". */
  address?: string;
  /** Has LE Set Extended Scan Parameters/Enable, and says so in Read Local Supported Commands. Default false. */
  extended?: boolean;
  /** Says it has LE Set Periodic Advertising Enable (octet 37 bit 4). Default: as `extended`. */
  periodicAdvertising?: boolean;
  /** Read Local Version's HCI version; below 0x06 (4.0) noble calls the adapter unsupported. Default 0x09 (5.0). */
  hciVersion?: number;
  /** LE Read Buffer Size; { length: 0, count: 0 } sends the host to Read Buffer Size (`aclBuffers`). */
  leBuffers?: { length: number; count: number };
  aclBuffers?: { length: number; count: number };
  /** Delay before each answer; 0 answers on the next turn of the event loop. */
  delayMs?: number;
  /** Up (HCI_UP) from the start. Default true. */
  powered?: boolean;
}

export type CommandSource = 'host' | 'other';
/**
 * A command the controller received: `source` 'host' if written to a socket, 'other' if sent by
 * otherHostCommand(). `status`: its answer; undefined while queued, and for good if it got none.
 */
export type LoggedCommand = { opcode: number; params: Buffer; source: CommandSource; status?: number; answer?: 'complete' | 'status' };
/** `extended`: enabled with LE Set Extended Scan Enable, so adverts come as extended reports. */
export type ScanState = { enabled: boolean; filterDuplicates: boolean; extended: boolean; active: boolean; interval: number; window: number; ownAddressType: number; filterPolicy: number };
/** `eventType`, a legacy PDU type: 0 ADV_IND (default), 1 ADV_DIRECT_IND, 2 ADV_SCAN_IND, 3 ADV_NONCONN_IND, 4 SCAN_RSP. */
export type SimulatedAdvert = { address: string; addressType?: 'public' | 'random'; eventType?: number; data?: Buffer; rssi?: number };

type Answer = { status: number; ret?: Buffer };
type Job = { entry: LoggedCommand; from: SimulatedHciSocket | undefined; done: (entry: LoggedCommand) => void };

const IDLE_SCAN: ScanState = { enabled: false, filterDuplicates: false, extended: false, active: false, interval: 0x10, window: 0x10, ownAddressType: 0, filterPolicy: 0 };

export class SimulatedController {
  readonly address: string;
  readonly log: LoggedCommand[] = [];
  readonly #o: Required<Omit<ControllerOptions, 'address'>>;
  /** HCI_UP: what isDevUp() reports, and what lets sockets write. */
  #up: boolean;
  #scan: ScanState = { ...IDLE_SCAN };
  #seen = new Set<string>();
  #sockets = new Set<SimulatedHciSocket>();
  #queue: Job[] = [];
  #busy = false;
  /** Bumped by power(): callbacks scheduled before then find it changed and do nothing. */
  #generation = 0;
  #idle: (() => void)[] = [];
  #refusals = new Map<number, { status: number; left: number }>();
  #silenced = new Set<number>();

  constructor(options: ControllerOptions = {}) {
    this.address = (options.address ?? '00:1a:7d:da:71:01').toLowerCase();
    if (!ADDRESS.test(this.address)) throw new Error(`SimulatedController: address "${options.address}" should look like "aa:bb:cc:dd:ee:ff"`);
    const { extended = false, hciVersion = 0x09, delayMs = 0, powered = true, leBuffers = { length: 27, count: 8 }, aclBuffers = { length: 1021, count: 8 } } = options;
    this.#o = { extended, periodicAdvertising: options.periodicAdvertising ?? extended, hciVersion, leBuffers, aclBuffers, delayMs, powered };
    this.#up = powered;
  }

  get up(): boolean {
    return this.#up;
  }

  get scan(): Readonly<ScanState> {
    return { ...this.#scan };
  }

  /** The log, narrowed to one opcode and/or source. */
  commands(opcode?: number, source?: CommandSource): LoggedCommand[] {
    return this.log.filter((c) => (opcode === undefined || c.opcode === opcode) && (source === undefined || c.source === source));
  }

  /** Resolves once every queued command has been answered (or dropped). */
  idle(): Promise<void> {
    return !this.#busy && this.#queue.length === 0 ? Promise.resolve() : new Promise((resolve) => this.#idle.push(resolve));
  }

  /** The adapter goes down (queued commands are dropped), or comes up as a reset controller. */
  power(on: boolean): void {
    if (on === this.#up) return;
    this.#generation++;
    for (const job of this.#queue.splice(0)) job.done(job.entry);
    this.#busy = false;
    this.#reset();
    this.#up = on;
    this.#settle();
  }

  /** Another host stack sends a command: the sockets see a copy, then its answer, as for any command. */
  otherHostCommand(opcode: number, params: Buffer = Buffer.alloc(0)): Promise<LoggedCommand> {
    if (!this.#up) throw new Error(`otherHostCommand(${hex(opcode)}): the controller is powered off; power(true) first`);
    return this.#submit(undefined, opcode, Buffer.from(params));
  }

  /** The host's next `times` commands with this opcode are answered `status` and change nothing. */
  refuse(opcode: number, status: number, times = Infinity): void {
    if (!(status > 0 && status <= 0xff)) throw new Error(`refuse(${hex(opcode)}): status ${status} should be an HCI error code 0x01..0xff`);
    this.#refusals.set(opcode, { status, left: times });
  }

  /** Commands with this opcode are never answered (the kernel lets the next one go after 2 s). */
  silence(opcode: number): void {
    this.#silenced.add(opcode);
  }

  /** Undoes refuse() and silence(), for one opcode or all. */
  clear(opcode?: number): void {
    for (const table of [this.#refusals, this.#silenced]) opcode === undefined ? table.clear() : table.delete(opcode);
  }

  /** An advertising report, delivered later only while scanning (once per address and type if filtering duplicates). Returns whether it will be. */
  advertise(advert: SimulatedAdvert): boolean {
    const { address, eventType: type = 0, data = Buffer.alloc(0) } = advert;
    if (!ADDRESS.test(address)) throw new Error(`advertise: address "${address}" should look like "aa:bb:cc:dd:ee:ff"`);
    if (!(type >= 0 && type <= 4) || data.length > 31) throw new Error(`advertise: expected a legacy advert (event type 0..4, at most 31 bytes), got type ${type} with ${data.length} bytes`);
    const { enabled, extended, filterDuplicates } = this.#scan;
    if (!this.#up || !enabled) return false;
    const key = `${address.toLowerCase()}/${type}`;
    if (filterDuplicates && this.#seen.has(key)) return false;
    this.#seen.add(key);
    const [addressType, rssi] = [advert.addressType === 'random' ? 1 : 0, (advert.rssi ?? -60) & 0xff];
    // An extended report: legacy event type bits, address, 1M PHY, no secondary PHY/SID/TX power,
    // RSSI, no periodic interval, no direct address, data.
    const body = extended
      ? Buffer.from([LE_EXT_ADVERTISING_REPORT, 1, ...le16([0x13, 0x15, 0x12, 0x10, 0x1b][type]!), addressType, ...addressBytes(address), 0x01, 0x00, 0xff, 0x7f, rssi, 0, 0, 0, 0, 0, 0, 0, 0, 0, data.length, ...data])
      : Buffer.from([LE_ADVERTISING_REPORT, 1, type, addressType, ...addressBytes(address), data.length, ...data, rssi]);
    const generation = this.#generation;
    setImmediate(() => generation === this.#generation && this.#broadcast(Buffer.from([HCI_EVENT_PKT, EVT_LE_META, body.length, ...body])));
    return true;
  }

  /** @internal */
  _attach(socket: SimulatedHciSocket, attached: boolean): void {
    if (attached) this.#sockets.add(socket);
    else this.#sockets.delete(socket);
  }

  /** @internal A packet a socket wrote. */
  _receive(from: SimulatedHciSocket, packet: Buffer): void {
    if (packet[0] === HCI_ACLDATA_PKT) return; // no links to carry it
    if (packet[0] !== HCI_COMMAND_PKT || packet.length < 4 || packet.length !== 4 + packet[3]!) {
      throw new Error(`simulated controller ${this.address}: malformed packet ${packet.toString('hex')}: expected 0x01, opcode (2 bytes LE), length, then that many parameter bytes`);
    }
    void this.#submit(from, packet.readUInt16LE(1), Buffer.from(packet.subarray(4)));
  }

  #submit(from: SimulatedHciSocket | undefined, opcode: number, params: Buffer): Promise<LoggedCommand> {
    const entry: LoggedCommand = { opcode, params, source: from ? 'host' : 'other' };
    this.log.push(entry);
    return new Promise((done) => {
      this.#queue.push({ entry, from, done });
      this.#pump();
    });
  }

  /** One command at a time: copied to the other sockets as it reaches the controller, then answered. */
  #pump(): void {
    if (this.#busy) return;
    const job = this.#queue.shift();
    if (!job) return this.#settle();
    this.#busy = true;
    const generation = this.#generation;
    const current = (fn: () => void) => () => generation === this.#generation && fn();
    setImmediate(
      current(() => {
        const { opcode, params } = job.entry;
        this.#broadcast(Buffer.from([HCI_COMMAND_PKT, ...le16(opcode), params.length, ...params]), job.from);
        const answer = current(() => this.#answer(job));
        if (this.#o.delayMs > 0) setTimeout(answer, this.#o.delayMs);
        else setImmediate(answer);
      }),
    );
  }

  #answer(job: Job): void {
    const { entry } = job;
    const finish = () => {
      this.#busy = false;
      job.done(entry);
      this.#pump();
    };
    if (this.#silenced.has(entry.opcode)) {
      const generation = this.#generation;
      setTimeout(() => generation === this.#generation && finish(), KERNEL_COMMAND_TIMEOUT_MS).unref();
      return;
    }
    const refusal = entry.source === 'host' ? this.#refusals.get(entry.opcode) : undefined;
    if (refusal && --refusal.left <= 0) this.#refusals.delete(entry.opcode);
    const { status, ret = Buffer.alloc(0) }: Answer = refusal ? { status: refusal.status, ret: Buffer.alloc(RETURN_LENGTH[entry.opcode] ?? 0) } : this.#execute(entry.opcode, entry.params);
    entry.status = status;
    entry.answer = this.#known(entry.opcode) ? 'complete' : 'status';
    const op = le16(entry.opcode);
    this.#broadcast(Buffer.from(entry.answer === 'status' ? [HCI_EVENT_PKT, EVT_CMD_STATUS, 4, status, 1, ...op] : [HCI_EVENT_PKT, EVT_CMD_COMPLETE, 4 + ret.length, 1, ...op, status, ...ret]));
    finish();
  }

  #known(opcode: number): boolean {
    const extendedOnly = opcode === OP.LE_SET_EXT_SCAN_PARAMETERS || opcode === OP.LE_SET_EXT_SCAN_ENABLE;
    return (Object.values(OP) as number[]).includes(opcode) && (this.#o.extended || !extendedOnly);
  }

  #execute(opcode: number, p: Buffer): Answer {
    if (!this.#known(opcode)) return { status: STATUS.UNKNOWN_COMMAND };
    const extParams = opcode === OP.LE_SET_EXT_SCAN_PARAMETERS;
    const phys = [0, 1, 2].filter((bit) => ((p[2] ?? 0) >> bit) & 1).length;
    if (p.length !== (extParams ? 3 + 5 * phys : PARAM_LENGTH[opcode])) return { status: STATUS.INVALID_PARAMETERS, ret: Buffer.alloc(RETURN_LENGTH[opcode] ?? 0) };
    const { hciVersion: v, leBuffers: le, aclBuffers: acl } = this.#o;
    const reads: Record<number, () => number[]> = {
      [OP.READ_LE_HOST_SUPPORTED]: () => [1, 0],
      // HCI version, revision, LMP version, manufacturer (Broadcom), LMP subversion
      [OP.READ_LOCAL_VERSION]: () => [v, ...le16(0x0100), v, ...le16(0x000f), ...le16(0x610e)],
      [OP.READ_LOCAL_COMMANDS]: () => this.#supportedCommands(),
      // byte 4 bit 6: LE supported (controller)
      [OP.READ_LOCAL_FEATURES]: () => [0xbf, 0xfe, 0xcf, 0xfe, 0xdb, 0xff, 0x7b, 0x87],
      // ACL length, SCO length, ACL count, SCO count
      [OP.READ_BUFFER_SIZE]: () => [...le16(acl.length), 64, ...le16(acl.count), 0, 0],
      [OP.READ_BD_ADDR]: () => [...addressBytes(this.address)],
      [OP.LE_READ_BUFFER_SIZE]: () => [...le16(le.length), le.count],
    };
    const read = reads[opcode];
    if (read) return { status: STATUS.SUCCESS, ret: Buffer.from(read()) };
    if (opcode === OP.RESET) this.#reset();
    if (opcode === OP.LE_SET_SCAN_PARAMETERS || extParams) {
      if (this.#scan.enabled) return { status: STATUS.COMMAND_DISALLOWED };
      // Legacy: type, interval, window, own address type, filter policy. Extended: own address
      // type, filter policy, PHYs, then type, interval, window per PHY (the first is kept).
      const [at, own, policy] = extParams ? [3, p[0]!, p[1]!] : [0, p[5]!, p[6]!];
      this.#scan = { ...this.#scan, active: p[at] === 1, interval: p.readUInt16LE(at + 1), window: p.readUInt16LE(at + 3), ownAddressType: own, filterPolicy: policy };
    }
    if (opcode === OP.LE_SET_SCAN_ENABLE || opcode === OP.LE_SET_EXT_SCAN_ENABLE) {
      if (p[0]! > 1 || p[1]! > 1) return { status: STATUS.INVALID_PARAMETERS };
      if (this.#scan.enabled === (p[0] === 1)) return { status: STATUS.COMMAND_DISALLOWED };
      this.#scan = { ...this.#scan, enabled: p[0] === 1, filterDuplicates: p[1] === 1, extended: opcode === OP.LE_SET_EXT_SCAN_ENABLE };
      this.#seen.clear();
    }
    return { status: STATUS.SUCCESS };
  }

  /** Read Local Supported Commands: [octet, bit] (Core Vol 4 Part E 6.27) of what is simulated. */
  #supportedCommands(): number[] {
    const bits = [[5, 6], [5, 7], [14, 3], [14, 4], [14, 5], [14, 7], [15, 1], [24, 5], [24, 6], [25, 0], [25, 1], [26, 2], [26, 3], [35, 5]];
    if (this.#o.extended) bits.push([37, 5], [37, 6]);
    if (this.#o.periodicAdvertising) bits.push([37, 4]);
    const ret = new Array<number>(64).fill(0);
    for (const [octet, bit] of bits) ret[octet!]! |= 1 << bit!;
    return ret;
  }

  #reset(): void {
    this.#scan = { ...IDLE_SCAN };
    this.#seen.clear();
  }

  #settle(): void {
    if (!this.#busy && this.#queue.length === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  #broadcast(packet: Buffer, except?: SimulatedHciSocket): void {
    for (const socket of this.#sockets) if (socket !== except) socket._deliver(packet);
  }
}

// ------------------------------------------------------------------------ the socket stand-in

type Registry = ReadonlyMap<number, SimulatedController>;
let installed: Registry | undefined;

/** As the addon makes them (Nan::ErrnoException): "CODE, text", with errno, code and syscall. */
function errnoError(code: string, errno: number, syscall: string, text: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}, ${text}`), { errno, code, syscall });
}

/** Drop-in for the addon's class. What arrives before start() or after stop() is dropped (noble starts right after binding). */
export class SimulatedHciSocket extends EventEmitter {
  #controller: SimulatedController | undefined;
  #devId = 0;
  #mode: 'raw' | 'user' | 'control' | undefined;
  #filter: Buffer | undefined;
  #started = false;

  bindRaw(devId?: number): number {
    return this.#bind('raw', devId);
  }

  bindUser(devId?: number): number {
    return this.#bind('user', devId);
  }

  /** bleno's management channel: what is written to it is ignored. */
  bindControl(): void {
    this.#mode = 'control';
  }

  isDevUp(): boolean {
    return installed?.get(this.#devId)?.up ?? false;
  }

  getDeviceList(): { devId: number; devUp: boolean; idVendor: null; idProduct: null; busNumber: null; deviceAddress: null }[] {
    const usb = { idVendor: null, idProduct: null, busNumber: null, deviceAddress: null };
    return [...(installed ?? [])].sort(([a], [b]) => a - b).map(([devId, c]) => ({ devId, devUp: c.up, ...usb }));
  }

  setFilter(filter: Buffer): void {
    this.#filter = Buffer.from(filter);
  }

  start(): void {
    this.#started = true;
  }

  stop(): void {
    this.#started = false;
  }

  reset(): void {}

  /** Errors are emitted, as the addon does; a malformed command throws (a bug in the caller). */
  write(data: Buffer): void {
    if (this.#mode === 'control') return;
    if (!this.#controller) this.emit('error', errnoError('EBADFD', 77, 'write', 'File descriptor in bad state'));
    else if (!this.#controller.up) this.emit('error', errnoError('ENETDOWN', 100, 'write', 'Network is down'));
    else this.#controller._receive(this, data);
  }

  /** Not in the addon (which never closes its socket): lets go of the controller. */
  close(): void {
    this.#started = false;
    this.#controller?._attach(this, false);
    this.#controller = undefined;
  }

  /** @internal A packet from the controller, through the kernel's filter on raw sockets. */
  _deliver(packet: Buffer): void {
    if (this.#started && !(this.#mode === 'raw' && this.#filtered(packet))) this.emit('data', Buffer.from(packet));
  }

  #bind(mode: 'raw' | 'user', devId: number | undefined): number {
    const registry: Registry = installed ?? new Map();
    // Without a number the addon takes the first adapter that is up (raw) or down (user), else 0.
    const id = devId ?? [...registry.keys()].sort((a, b) => a - b).find((i) => registry.get(i)!.up === (mode === 'raw')) ?? 0;
    const controller = registry.get(id);
    if (!controller) throw errnoError('ENODEV', 19, 'bind', `No such device (no simulated controller hci${id}; installed: ${[...registry.keys()].map((i) => `hci${i}`).join(', ') || 'none'})`);
    if (mode === 'user' && controller.up) throw errnoError('EBUSY', 16, 'bind', 'Device or resource busy');
    this.#controller?._attach(this, false);
    [this.#controller, this.#devId, this.#mode] = [controller, id, mode];
    controller._attach(this, true);
    return id;
  }

  /** struct hci_filter: type mask, event mask (64 bits), opcode for Command Complete/Status (0: any). */
  #filtered(packet: Buffer): boolean {
    const f = this.#filter;
    const set = (word: number, bit: number) => ((f!.readUInt32LE(word) >>> bit) & 1) === 1;
    if (!f || f.length < 14 || !set(0, packet[0]! & 31)) return true;
    if (packet[0] !== HCI_EVENT_PKT) return false;
    const event = packet[1]! & 63;
    const opcode = f.readUInt16LE(12);
    if (!set(event < 32 ? 4 : 8, event & 31)) return true;
    if (opcode !== 0 && event === EVT_CMD_COMPLETE) return packet.readUInt16LE(4) !== opcode;
    if (opcode !== 0 && event === EVT_CMD_STATUS) return packet.readUInt16LE(5) !== opcode;
    return false;
  }
}

// ------------------------------------------------------------------------------- installing

const requireHere = createRequire(import.meta.url);

/** Where noble's hci.js finds the addon, and noble's own directory (whose modules are dropped). */
function nobleFiles(): { root: string; addon: string } {
  let hci: string;
  try {
    hci = requireHere.resolve('@abandonware/noble/lib/hci-socket/hci.js');
  } catch (err) {
    throw new Error(`installSimulatedHci: cannot find @abandonware/noble (${(err as Error).message}); expected it installed, with lib/hci-socket/hci.js`);
  }
  return { root: dirname(requireHere.resolve('@abandonware/noble/package.json')) + sep, addon: createRequire(hci).resolve('@abandonware/bluetooth-hci-socket') };
}

function dropNoble(root: string): void {
  for (const key of Object.keys(requireHere.cache)) if (key.startsWith(root)) delete requireHere.cache[key];
}

/** noble's require of the addon gets SimulatedHciSocket, on these controllers by adapter number (hci1: key 1). Returns the undo. */
export function installSimulatedHci(controllers: ReadonlyMap<number, SimulatedController> | Readonly<Record<number, SimulatedController>>): () => void {
  const registry: Registry = controllers instanceof Map ? new Map(controllers) : new Map(Object.entries(controllers).map(([k, c]) => [Number(k), c as SimulatedController]));
  const { root, addon } = nobleFiles();
  const before = { installed, module: requireHere.cache[addon] };
  const fake = new Module(addon);
  fake.filename = addon;
  fake.loaded = true;
  fake.exports = SimulatedHciSocket;
  requireHere.cache[addon] = fake;
  installed = registry;
  dropNoble(root);
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    if (before.module) requireHere.cache[addon] = before.module;
    else delete requireHere.cache[addon];
    installed = before.installed;
    dropNoble(root);
  };
}
