/**
 * How the real Bluetooth LE bindings fail. Both libraries open a raw HCI socket when they are
 * constructed and throw errno errors (EAFNOSUPPORT on a kernel without Bluetooth, ENODEV for a
 * missing adapter); a remote GATT server answers with ATT errors; links end with HCI reasons.
 * Everything here turns those into DriverErrors that name the adapter, say what went wrong and
 * what to do. (library-guards.ts keeps the libraries' failures from taking the process down.)
 */
import { DriverError, errorMessage } from '../../runtime/errors.js';

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

/** Statuses a controller answers a command with (Core Specification, Vol 1 Part F): the ones a scan or advert start meets. */
const HCI_COMMAND_STATUSES: Record<number, string> = {
  0x01: 'unknown command',
  0x07: 'memory capacity exceeded',
  0x0c: 'command disallowed',
  0x11: 'unsupported feature or parameter value',
  0x12: 'invalid parameters',
  0x1f: 'unspecified error',
  0x3a: 'controller busy',
};

export function hciStatusName(status: number): string {
  const name = HCI_COMMAND_STATUSES[status];
  return name ? `${hex2(status)}, ${name}` : hex2(status);
}
