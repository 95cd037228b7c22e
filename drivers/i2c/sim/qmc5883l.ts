/**
 * A simulated QST QMC5883L 3-axis magnetometer (datasheet rev 1.0, section 9 "Register map"), at
 * register level.
 *
 * What the chip does and the simulator reproduces:
 * - After power-on every register is 0 (standby) except the chip ID register, 0x0D = 0xFF.
 * - Control 1 (0x09) = OSR[7:6] RNG[5:4] ODR[3:2] MODE[1:0]; in continuous mode (MODE 01) a new
 *   sample lands every 1/ODR (10, 50, 100, 200 Hz) counted from the mode change (9.2.4).
 * - Data 0x00–0x05: X, Y, Z little-endian two's complement at 12000 LSB/G (RNG 2 G) or 3000 LSB/G
 *   (8 G); "the output data of each channel saturates at -32768 and 32767" (9.2.1).
 * - Status 0x06 (9.2.2): DRDY when a sample has landed, "reset to 0 by reading any data register
 *   (00H~05H)"; OVL when a sample saturated, cleared by the next in-range sample; DOR when a
 *   sample was replaced before it was read, cleared by reading a data register.
 * - Control 2 (0x0A) bit 7 SOFT_RST restores every register's default, which puts the chip back
 *   in standby (9.2.4).
 *
 * OVL is the ADC's overflow, not the nominal range: at RNG 2 G a field up to 32767/12000 ≈ 2.73 G
 * still reads without OVL, as on the part.
 */
import { DriverError } from '../../../runtime/errors.js';
import type { SensorValues } from '../sensor.js';
import { RegisterChip } from './registers.js';

const STATUS = 0x06;
const CONTROL_1 = 0x09;
const CONTROL_2 = 0x0a;
const CHIP_ID = 0x0d;

const DRDY = 0x01;
const OVL = 0x02;
const DOR = 0x04;
const SOFT_RST = 0x80;

const ODR_HZ = [10, 50, 100, 200] as const;
/** LSB per gauss for RNG 00 and 01; 10 and 11 are reserved and treated as 8 G. */
const LSB_PER_GAUSS = [12000, 3000, 3000, 3000] as const;

const AXES = ['magX', 'magY', 'magZ'] as const;
type Axis = (typeof AXES)[number];

export interface Qmc5883lSimOptions {
  /** What register 0x0D answers: 0xFF for a QMC5883L; another value plays a different part. */
  chipId?: number;
}

export class Qmc5883lSim extends RegisterChip {
  readonly type = 'qmc5883l';
  readonly #chipId: number;
  /** µT. A plausible mid-latitude field with the X axis pointing north, Z up: down is negative Z. */
  readonly #field: Record<Axis, number> = { magX: 20, magY: 0, magZ: -40 };
  #nextSample = Infinity;
  #lastNow = 0;

  constructor(values?: SensorValues, options: Qmc5883lSimOptions = {}) {
    super();
    this.#chipId = options.chipId ?? 0xff;
    this.#defaults();
    if (values) this.set(values);
  }

  override write(data: Uint8Array, now: number): void {
    this.#advance(now);
    super.write(data, now);
  }

  override read(length: number, now: number): Uint8Array {
    this.#advance(now);
    return super.read(length, now);
  }

  protected override writeRegister(register: number, value: number, now: number): void {
    if (register === CONTROL_1) {
      const wasContinuous = this.#continuous;
      this.regs[CONTROL_1] = value;
      if (!this.#continuous) this.#nextSample = Infinity;
      else if (!wasContinuous) this.#nextSample = now + this.#periodMs();
    } else if (register === CONTROL_2) {
      if (value & SOFT_RST) this.#defaults();
      else this.regs[CONTROL_2] = value & 0x41; // ROL_PNT, INT_ENB
    } else if (register <= 0x08 || register === CHIP_ID) {
      // Data, status, temperature and the chip ID are read-only.
    } else {
      super.writeRegister(register, value, now);
    }
  }

  protected override readRegister(register: number, now: number): number {
    const value = super.readRegister(register, now);
    if (register <= 0x05) this.regs[STATUS]! &= ~(DRDY | DOR);
    return value;
  }

  override load(registers: ReadonlyMap<number, number>): void {
    super.load(registers);
    this.regs[CHIP_ID] = this.#chipId;
    this.#nextSample = this.#continuous ? this.#lastNow + this.#periodMs() : Infinity;
  }

  set(values: SensorValues): void {
    const next = { ...this.#field };
    for (const [channel, value] of Object.entries(values)) {
      if (!Number.isFinite(value)) throw new DriverError('qmc5883l', `simulated ${channel} ${value} is not a finite number`, { code: 'SIM_BAD_VALUE' });
      if ((AXES as readonly string[]).includes(channel)) {
        next[channel as Axis] = value;
      } else if (channel === 'heading') {
        // Turn the horizontal field so the X axis points `value` degrees clockwise from magnetic
        // north (the driver's convention), keeping its strength; 20 µT if there was none.
        const horizontal = Math.hypot(this.#field.magX, this.#field.magY) || 20;
        const rad = (value * Math.PI) / 180;
        next.magX = horizontal * Math.cos(rad);
        next.magY = horizontal * Math.sin(rad);
      } else {
        throw new DriverError('qmc5883l', `the simulated QMC5883L has no channel "${channel}": expected magX, magY, magZ (µT) or heading (°)`, {
          code: 'SIM_BAD_VALUE',
        });
      }
    }
    Object.assign(this.#field, next);
  }

  get #continuous(): boolean {
    return (this.regs[CONTROL_1]! & 0x03) === 0x01;
  }

  #periodMs(): number {
    return 1000 / ODR_HZ[(this.regs[CONTROL_1]! >> 2) & 0x03]!;
  }

  #defaults(): void {
    this.regs.fill(0);
    this.regs[CHIP_ID] = this.#chipId;
    this.#nextSample = Infinity;
  }

  #advance(now: number): void {
    this.#lastNow = now;
    if (now < this.#nextSample) return;
    const period = this.#periodMs();
    const landed = Math.floor((now - this.#nextSample) / period) + 1;
    // A sample replacing one nobody read is a skipped sample: DOR.
    const skipped = (this.regs[STATUS]! & DRDY) !== 0 || landed > 1;
    let status = DRDY | (this.regs[STATUS]! & DOR) | (skipped ? DOR : 0);
    const lsbPerMicrotesla = LSB_PER_GAUSS[(this.regs[CONTROL_1]! >> 4) & 0x03]! / 100;
    AXES.forEach((axis, i) => {
      const counts = Math.round(this.#field[axis] * lsbPerMicrotesla);
      const raw = Math.max(-32768, Math.min(32767, counts));
      if (raw !== counts) status |= OVL;
      this.regs[2 * i] = raw & 0xff;
      this.regs[2 * i + 1] = (raw >> 8) & 0xff;
    });
    this.regs[STATUS] = status;
    this.#nextSample += landed * period;
  }
}
