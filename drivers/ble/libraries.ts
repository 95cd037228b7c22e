/**
 * The parts of @abandonware/noble and @abandonware/bleno (and their hci-socket layers) the real
 * bindings use. The libraries' own typings cover only their public API; the bindings also need a
 * few internals (the HCI object for raw advertising reports and for stopping the device poll, the
 * per-link ATT stream for error answers), described here from lib/hci-socket/*.js.
 */
import type { EventEmitter } from 'node:events';

/** @abandonware/bluetooth-hci-socket: one raw HCI socket (never closed by the addon). */
export interface HciSocket extends EventEmitter {
  start(): void;
  /** Stops polling the socket (the file descriptor stays open). */
  stop(): void;
  isDevUp(): boolean;
}

/** What noble's and bleno's Hci objects have in common. */
export interface HciLayer extends EventEmitter {
  /** noble only: sends LE Create Connection (or the extended one). */
  createLeConn?(address: string | undefined, addressType: string | undefined, parameters?: unknown): void;
  _socket: HciSocket;
  _state: string | null;
  _isDevUp: boolean | null;
  /** Checks HCI_UP once a second (a setTimeout chain the library never stops). */
  pollIsDevUp(): void;
  onSocketData(data: Buffer): void;
}

// ------------------------------------------------------------------------------------- noble

/** lib/hci-socket/gatt.js's record of a discovered characteristic (handles are ATT handles). */
export interface NobleGattCharacteristic {
  startHandle: number;
  valueHandle: number;
  endHandle?: number;
}

export interface NobleGatt extends EventEmitter {
  _characteristics: Record<string, Record<string, NobleGattCharacteristic | undefined> | undefined>;
}

export interface NobleBindings extends EventEmitter {
  _hci: HciLayer;
  _state: string | null;
  /** peripheral id → connection handle, and handle → id. */
  _handles: Record<string, number | string | undefined>;
  _aclStreams: Record<number, EventEmitter | undefined>;
  _gatts: Record<string, NobleGatt | undefined>;
  /** The peripheral a connection is being made to; later connects queue behind it. */
  _pendingConnectionUuid: string | null;
  _connectionQueue: { id: string; params?: unknown }[];
  _addresses: Record<string, string | undefined>;
  _addresseTypes: Record<string, string | undefined>;
  onDisconnComplete(handle: number, reason: number): void;
}

export interface NobleCharacteristic extends EventEmitter {
  uuid: string;
  properties: string[];
  read(): void;
  write(data: Buffer, withoutResponse: boolean): void;
  notify(on: boolean): void;
}

export interface NobleService extends EventEmitter {
  uuid: string;
  discoverCharacteristics(uuids: string[], callback?: (error: unknown, characteristics: NobleCharacteristic[]) => void): void;
}

export interface NoblePeripheral extends EventEmitter {
  id: string;
  address: string;
  addressType: string;
  state: string;
  connect(): void;
  cancelConnect(): void;
  disconnect(): void;
  _noble: { discoverServices(peripheralId: string, uuids: string[]): void };
}

export interface Noble extends EventEmitter {
  _bindings: NobleBindings;
  _peripherals: Record<string, NoblePeripheral | undefined>;
  /** Reading it the first time initialises the bindings (binds the socket; throws ENODEV…). */
  readonly state: string;
  startScanning(serviceUuids: string[], allowDuplicates: boolean): void;
  stopScanning(): void;
}

/** require('@abandonware/noble/with-custom-binding') */
export type NobleFactory = (options: { deviceId: number }) => Noble;

// ------------------------------------------------------------------------------------- bleno

export interface BlenoCharacteristicOptions {
  uuid: string;
  properties: string[];
  secure: string[];
  descriptors: unknown[];
  onReadRequest(offset: number, callback: (result: number, data?: Buffer) => void): void;
  onWriteRequest(data: Buffer, offset: number, withoutResponse: boolean, callback: (result: number) => void): void;
  onSubscribe(maxValueSize: number, updateValueCallback: (data: Buffer) => void): void;
  onUnsubscribe(): void;
}

export interface BlenoGap extends EventEmitter {
  _advertiseState: string | null;
}

export interface BlenoBindings extends EventEmitter {
  _hci: HciLayer;
  _gap: BlenoGap;
  _state: string | null;
  _advertising: boolean;
  init(): void;
}

export interface Bleno extends EventEmitter {
  _bindings: BlenoBindings;
  state: string;
  initialized: boolean;
  PrimaryService: new (options: { uuid: string; characteristics: unknown[] }) => unknown;
  Characteristic: new (options: BlenoCharacteristicOptions) => unknown;
  Descriptor: new (options: { uuid: string; value: Buffer }) => unknown;
  startAdvertisingWithEIRData(advertisementData: Buffer, scanData: Buffer): void;
  stopAdvertising(): void;
  setServices(services: unknown[]): void;
  disconnect(): void;
}
