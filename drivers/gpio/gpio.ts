/**
 * GPIO lines as the runtime sees them: named lines (declared in config by BCM number), logical
 * levels (active-low already applied), debounced edges with the time the change began, and
 * writes to outputs. The real binding (onoff, sysfs) and the simulated one differ only in where
 * raw levels come from; debouncing and edge filtering live here so both behave the same.
 */
import { Emitter } from '../../runtime/emitter.js';

export type EdgeSetting = 'none' | 'rising' | 'falling' | 'both';
export type LineRole = 'presence' | 'power-good' | 'motion';
export type Level = 0 | 1;

export interface LineConfig {
  /** BCM number, as printed on Pi pinout charts. */
  line: number;
  direction: 'in' | 'out';
  edge: EdgeSetting;
  debounceMs: number;
  activeLow: boolean;
  /** Logical level an output starts at. */
  initial: Level;
  role?: LineRole;
}

export interface GpioEdge {
  /** The line's configured name. */
  line: string;
  edge: 'rising' | 'falling';
  /** Logical level after the edge. */
  value: Level;
  /** When the change began (epoch ms, sub-millisecond): the first raw edge of a debounced burst. */
  time: number;
}

export interface LineInfo {
  name: string;
  bcm: number;
  /** The number the kernel's legacy sysfs interface uses (base + BCM); the BCM number on the sim. */
  sysfs: number;
  direction: 'in' | 'out';
  value: Level;
  role?: LineRole;
}

export interface GpioEvents {
  edge: [GpioEdge];
  error: [Error];
}

export interface GpioDriver {
  readonly binding: 'onoff' | 'sim';
  readonly events: Emitter<GpioEvents>;
  open(): Promise<void>;
  /** Logical level of any declared line. */
  read(name: string): Level;
  /** Drive an output line (logical level). */
  write(name: string, value: Level): Promise<void>;
  lines(): LineInfo[];
  close(): Promise<void>;
}

/** Wall-clock time with sub-millisecond resolution, for edge timestamps. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}
