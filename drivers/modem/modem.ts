/**
 * The modem as the runtime sees it: its state (SIM lock, radio, registration, operator, signal),
 * the events that change it, the messages in its storage, and the few operations tasks need
 * (send, delete, raw AT). One implementation (AtModem) drives every modem through the AT engine;
 * what differs is the port under it — a real serial device, or the simulator's pseudo-terminal.
 */
import type { Emitter } from '../../runtime/emitter.js';
import type { AtCommandOptions, AtResponse, Urc } from './at/engine.js';

export type PinLockState =
  | 'READY'
  | 'SIM PIN'
  | 'SIM PUK'
  | 'PH-SIM PIN'
  | 'PH-FSIM PIN'
  | 'PH-FSIM PUK'
  | 'SIM PIN2'
  | 'SIM PUK2'
  | 'PH-NET PIN'
  | 'PH-NET PUK'
  | 'PH-NETSUB PIN'
  | 'PH-NETSUB PUK'
  | 'PH-SP PIN'
  | 'PH-SP PUK'
  | 'PH-CORP PIN'
  | 'PH-CORP PUK'
  | 'NOT INSERTED'
  | 'UNKNOWN';

export type RadioState = 'on' | 'off' | 'flight' | 'unknown';

export type RegistrationState = 'home' | 'roaming' | 'searching' | 'denied' | 'idle' | 'unknown' | 'emergency-only';

export type RegistrationDomain = 'cs' | 'ps' | 'eps' | '5gs';

export interface DomainRegistration {
  state: RegistrationState;
  /** 3GPP <stat> as the modem said it. */
  stat: number;
  lac?: number;
  ci?: number;
  act?: string;
}

export interface ModemIdentity {
  manufacturer?: string;
  model?: string;
  revision?: string;
  imei?: string;
  iccid?: string;
  imsi?: string;
}

export interface ModemStatus {
  path: string;
  binding: string;
  open: boolean;
  /** The start-up sequence has run on the current port. */
  ready: boolean;
  error?: string;
  identity: ModemIdentity;
  pin: PinLockState;
  pinRetries?: { pin?: number; puk?: number };
  radio: RadioState;
  /** The overall registration: the best of the domains. */
  registration: RegistrationState;
  domains: Partial<Record<RegistrationDomain, DomainRegistration>>;
  operator?: { name?: string; numeric?: string; act?: string };
  signal?: { rssi: number; dbm: number; quality: number };
}

/** A message slot in the modem's storage (or a message the modem pushed without storing it). */
export interface StoredPdu {
  /** "SM", "ME", …; "direct" for +CMT deliveries that live only in our own inbox. */
  storage: string;
  /** Slot number; -1 for direct deliveries. */
  index: number;
  pdu: string;
}

export type ModemEvents = {
  /** Anything in `status()` changed; `what` names the part ("pin", "registration", …). */
  change: [{ what: string; status: ModemStatus }];
  pin: [{ state: PinLockState; previous: PinLockState; retries?: { pin?: number; puk?: number } }];
  radio: [{ state: RadioState; previous: RadioState; fun: number }];
  registration: [{ domain: RegistrationDomain; current: DomainRegistration; previous: DomainRegistration | undefined; overall: RegistrationState; overallBefore: RegistrationState }];
  operator: [{ name?: string; numeric?: string; act?: string; previous?: { name?: string; numeric?: string } }];
  signal: [{ rssi: number; dbm: number; quality: number }];
  /** A message to read: listed at start-up, announced by +CMTI, or pushed by +CMT. */
  message: [StoredPdu];
  /** An SMS-STATUS-REPORT PDU (+CDS, or a stored one via +CDSI). */
  statusReport: [{ pdu: string }];
  ring: [{ number?: string; validity: string }];
  callEnded: [{ reason: string }];
  /** A URC passed through as is: vendor, SIM toolkit and packet-domain (+CGEV) indications. */
  urc: [Urc];
  /** The port opened and the start-up sequence ran (again). */
  ready: [ModemStatus];
  /** A fault, reported once per outage (the driver keeps retrying). */
  error: [Error];
  /** A skipped line, for the log. */
  noise: [{ reason: string; text: string }];
};

export interface ModemDriver {
  readonly binding: string;
  readonly path: string;
  readonly events: Emitter<ModemEvents>;
  status(): ModemStatus;
  /** Asked for the SIM PIN when the SIM is locked (the runtime sets it from the secrets file). */
  pinProvider: ((status: ModemStatus) => Promise<string | undefined>) | undefined;
  /** Open the port and run the start-up sequence; on failure keeps retrying in the background. */
  open(): Promise<void>;
  /** A raw command, queued behind the driver's own. */
  at(command: string, options?: AtCommandOptions): Promise<AtResponse>;
  /** Every message in storage (AT+CMGL=4). */
  listMessages(): Promise<StoredPdu[]>;
  readMessage(storage: string, index: number): Promise<StoredPdu | undefined>;
  deleteMessage(storage: string, index: number): Promise<void>;
  /** Send SMS-SUBMIT TPDUs (hex with the SMSC field, and the length AT+CMGS wants); resolves with the message references. */
  sendPdus(parts: { hex: string; tpduLength: number }[], options?: { signal?: AbortSignal }): Promise<number[]>;
  /** Enter the SIM PIN. Refuses when the modem says only one attempt is left. */
  enterPin(pin: string): Promise<PinLockState>;
  close(): Promise<void>;
}
