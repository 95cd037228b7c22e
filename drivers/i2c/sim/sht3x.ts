/**
 * An SHT3x at the transaction level: 16-bit commands in, CRC-protected words out. Like the real
 * part in single-shot mode without clock stretching, it NACKs a read header while the
 * measurement runs and when it has nothing to send (§4.4), and NACKs everything for the soft reset
 * time after a reset. Timing is a typical part's (Table 4 typical), so a driver that waits the
 * maximum is always late enough and one that does not wait is refused.
 *
 * There is no register map, so no `load`: an i2cdump of an SHT3x shows nothing meaningful.
 */
import { busError } from '../bus.js';
import { DriverError } from '../../../runtime/errors.js';
import { MEASUREMENT_MS, SHT3X_COMMAND, SOFT_RESET_MS, sht3xCrc } from '../chips/sht3x.js';
import type { SensorValues } from '../sensor.js';
import type { SimChip } from './chip.js';

/** Status after power-up or reset (Table 17): alert pending (bit 15) and reset detected (bit 4). */
const STATUS_AFTER_RESET = 0x8010;
const STATUS_COMMAND_FAILED = 0x0002;

type State =
  | { kind: 'idle' }
  | { kind: 'answer'; bytes: number[] }
  | { kind: 'measuring'; readyAt: number }
  | { kind: 'resetting'; until: number };

export class Sht3xSim implements SimChip {
  readonly type = 'sht3x';
  #temperature = 20;
  #humidity = 50;
  #status = STATUS_AFTER_RESET;
  #state: State = { kind: 'idle' };
  #corrupt: 'temperature' | 'humidity' | undefined;
  /** Measurements started, for tests. */
  measurements = 0;

  constructor(values?: SensorValues) {
    if (values) this.set(values);
  }

  set(values: SensorValues): void {
    for (const [channel, value] of Object.entries(values)) {
      if (!Number.isFinite(value)) throw new DriverError('sht3x', `simulated ${channel} ${value} is not a finite number`, { code: 'SIM_BAD_VALUE' });
      if (channel === 'temperature') this.#temperature = value;
      else if (channel === 'humidity') this.#humidity = value;
      else throw new DriverError('sht3x', `the simulated SHT3x has no channel "${channel}": expected temperature, humidity`, { code: 'SIM_BAD_VALUE' });
    }
  }

  /** Flip a bit of the CRC that follows the given word in the next measurement answer. */
  corruptNextCrc(word: 'temperature' | 'humidity' = 'temperature'): void {
    this.#corrupt = word;
  }

  write(data: Uint8Array, now: number): void {
    this.#settle(now);
    if (this.#state.kind === 'resetting') throw busError('ENXIO', 'the SHT3x is resetting and does not acknowledge');
    if (this.#state.kind === 'measuring') throw busError('ENXIO', 'the SHT3x is measuring and does not acknowledge');
    if (data.length !== 2) {
      this.#status |= STATUS_COMMAND_FAILED;
      throw busError('EREMOTEIO', `the SHT3x takes 2-byte commands, not ${data.length} bytes: NACK`);
    }
    const cmd = (data[0]! << 8) | data[1]!;
    const measurement = Object.values(MEASUREMENT_MS).find((m) => m.command === cmd);
    if (measurement) {
      this.measurements++;
      this.#state = { kind: 'measuring', readyAt: now + measurement.typical };
    } else if (cmd === SHT3X_COMMAND.softReset) {
      this.#status = STATUS_AFTER_RESET;
      this.#state = { kind: 'resetting', until: now + SOFT_RESET_MS.typical };
    } else if (cmd === SHT3X_COMMAND.readStatus) {
      this.#state = { kind: 'answer', bytes: word(this.#status) };
    } else if (cmd === SHT3X_COMMAND.clearStatus) {
      this.#status &= ~0x8c10; // alert pending, RH and T alerts, reset detected (Table 17)
      this.#state = { kind: 'idle' };
    } else {
      this.#status |= STATUS_COMMAND_FAILED;
      throw busError('EREMOTEIO', `the SHT3x does not know command 0x${cmd.toString(16).padStart(4, '0')}: NACK`);
    }
  }

  read(length: number, now: number): Uint8Array {
    this.#settle(now);
    const state = this.#state;
    if (state.kind === 'resetting') throw busError('ENXIO', 'the SHT3x is resetting: read header NACKed');
    if (state.kind === 'measuring') throw busError('ENXIO', 'the SHT3x is still measuring: read header NACKed');
    if (state.kind === 'idle') throw busError('ENXIO', 'the SHT3x has no data to send: read header NACKed');
    this.#state = { kind: 'idle' };
    const out = new Uint8Array(length).fill(0xff);
    out.set(state.bytes.slice(0, length));
    return out;
  }

  /** Move on from states whose time is up: a finished measurement becomes its answer. */
  #settle(now: number): void {
    const s = this.#state;
    if (s.kind === 'resetting' && now >= s.until) this.#state = { kind: 'idle' };
    if (s.kind === 'measuring' && now >= s.readyAt) {
      const t = word(Math.round(((clamp(this.#temperature, -45, 130) + 45) * 65535) / 175));
      const rh = word(Math.round((clamp(this.#humidity, 0, 100) * 65535) / 100));
      if (this.#corrupt === 'temperature') t[2] = t[2]! ^ 0x01;
      if (this.#corrupt === 'humidity') rh[2] = rh[2]! ^ 0x01;
      this.#corrupt = undefined;
      this.#state = { kind: 'answer', bytes: [...t, ...rh] };
    }
  }
}

function word(value: number): number[] {
  const bytes = [value >> 8, value & 0xff];
  return [...bytes, sht3xCrc(bytes)];
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
