/**
 * The system family: what the board itself reports — memory, memory pressure, load, SoC
 * temperature and the Raspberry Pi firmware's throttling/under-voltage flags, the time zone,
 * operator sessions, the default route, the supply — and named device events. The runtime
 * computes BackgroundWorkCost from the readings and feeds conditions and SystemTriggers from
 * the rest. Two bindings: `linux.ts` (procfs/sysfs/utmp) and `sim.ts` (controls for tests and
 * the simulated board).
 */
import type { Emitter } from '../../runtime/emitter.js';

/** Decoded `get_throttled` bits (Raspberry Pi firmware). */
export interface ThrottleFlags {
  /** The raw bit field, e.g. 0x50005. */
  raw: number;
  underVoltage: boolean; // bit 0
  freqCapped: boolean; // bit 1
  throttled: boolean; // bit 2
  softTempLimit: boolean; // bit 3
  underVoltageOccurred: boolean; // bit 16
  freqCappedOccurred: boolean; // bit 17
  throttledOccurred: boolean; // bit 18
  softTempLimitOccurred: boolean; // bit 19
}

export interface SystemReadings {
  /** When the sample was taken (ms since the epoch). */
  at: number;
  memTotalKb: number;
  memAvailableKb: number;
  /** PSI memory stall percentages (avg10), absent where the kernel has no /proc/pressure. */
  memPressure?: { some10: number; full10: number };
  /** One-minute load average and the number of CPUs it is spread over. */
  load1: number;
  cores: number;
  /** SoC temperature in °C, absent where no thermal zone is readable. */
  socTempC?: number;
  /** Firmware throttling flags, absent on boards that are not a Raspberry Pi. */
  throttled?: ThrottleFlags;
}

export type LinkKind = 'ethernet' | 'wifi' | 'cellular' | 'other';

export interface NetworkState {
  /** The interface carrying the default route, if there is one. */
  defaultRoute?: { iface: string; kind: LinkKind };
  /** The internet is reachable (a default route, and the probe answered when one is configured). */
  internet: boolean;
  /** The link that carries traffic is billed by volume (cellular). */
  metered: boolean;
}

/** An operator login (a utmp USER_PROCESS record). */
export interface Session {
  user: string;
  /** Terminal line: "pts/0", "tty1". */
  line: string;
  /** Remote host for SSH logins, "" for local ones. */
  host: string;
  pid: number;
  loginAt: number;
}

export interface SystemEvents {
  /** A fresh sample (every poll). */
  readings: [SystemReadings];
  /** The system time zone changed (IANA names). */
  timeZone: [{ from: string; to: string }];
  /** The set of logged-in sessions changed. */
  sessions: [{ sessions: Session[]; added: Session[]; removed: Session[] }];
  network: [NetworkState];
  /** The supply became good or stopped being good (under-voltage). */
  supply: [{ good: boolean; cause: string }];
  /** A named device event (a button on the simulated board, a scripted event). */
  deviceEvent: [{ id: string; details?: Record<string, unknown> }];
  /** A failure the driver recovered from (a file that could not be read this poll). */
  error: [Error];
}

export interface SystemDriver {
  readonly name: 'system';
  readonly binding: 'linux' | 'sim';
  readonly events: Emitter<SystemEvents>;
  /** Take the first sample and start watching. */
  open(signal?: AbortSignal): Promise<void>;
  readings(): SystemReadings;
  timeZone(): string;
  sessions(): Session[];
  network(): NetworkState;
  supplyGood(): boolean;
  close(): Promise<void>;
}

export const THROTTLE_BITS = {
  underVoltage: 1 << 0,
  freqCapped: 1 << 1,
  throttled: 1 << 2,
  softTempLimit: 1 << 3,
  underVoltageOccurred: 1 << 16,
  freqCappedOccurred: 1 << 17,
  throttledOccurred: 1 << 18,
  softTempLimitOccurred: 1 << 19,
} as const;

export function decodeThrottled(raw: number): ThrottleFlags {
  const has = (bit: number) => (raw & bit) !== 0;
  return {
    raw,
    underVoltage: has(THROTTLE_BITS.underVoltage),
    freqCapped: has(THROTTLE_BITS.freqCapped),
    throttled: has(THROTTLE_BITS.throttled),
    softTempLimit: has(THROTTLE_BITS.softTempLimit),
    underVoltageOccurred: has(THROTTLE_BITS.underVoltageOccurred),
    freqCappedOccurred: has(THROTTLE_BITS.freqCappedOccurred),
    throttledOccurred: has(THROTTLE_BITS.throttledOccurred),
    softTempLimitOccurred: has(THROTTLE_BITS.softTempLimitOccurred),
  };
}
