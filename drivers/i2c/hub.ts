/**
 * The sensors of one bus: each is probed and configured, then polled at its own interval. A
 * sensor that fails (NACK, EIO, a bad CRC, an overflow) yields no reading for that poll: one
 * `fault` event for the outage, retries with exponential backoff (re-initialising, since a
 * chip that lost power comes back unconfigured), and a `recovered` event when it answers again.
 * Nothing a sensor does stops the others or the runtime.
 */
import { DriverError, errorMessage } from '../../runtime/errors.js';
import { Emitter } from '../../runtime/emitter.js';
import type { I2cBus } from './bus.js';
import type { ChannelInfo, SensorDriver, SensorType, SensorValues } from './sensor.js';

export interface SensorSpec {
  name: string;
  type: SensorType;
  address: number;
  pollMs: number;
  options: Record<string, unknown>;
}

export interface SensorReading {
  sensor: string;
  type: string;
  /** When the measurement completed (epoch ms). */
  time: number;
  values: SensorValues;
}

export interface SensorInfo {
  name: string;
  type: string;
  address: number;
  pollMs: number;
  channels: Record<string, ChannelInfo>;
  state: 'starting' | 'ok' | 'failed';
  last?: SensorReading;
  error?: string;
}

export interface HubEvents {
  reading: [SensorReading];
  fault: [{ sensor: string; error: DriverError }];
  recovered: [{ sensor: string; downMs: number }];
}

interface Slot {
  spec: SensorSpec;
  driver: SensorDriver;
  info: SensorInfo;
  initialised: boolean;
  downSince: number | undefined;
  backoffMs: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  busy: Promise<void> | undefined;
}

export interface HubOptions {
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** First retry delay after a fault; doubles up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class SensorHub {
  readonly events = new Emitter<HubEvents>();
  readonly #slots = new Map<string, Slot>();
  readonly #now: () => number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  #running = false;

  constructor(
    readonly bus: I2cBus,
    specs: readonly SensorSpec[],
    options: HubOptions = {},
  ) {
    const sleep = options.sleep ?? realSleep;
    this.#now = options.now ?? Date.now;
    this.#backoffMs = options.backoffMs ?? 1000;
    this.#maxBackoffMs = options.maxBackoffMs ?? 60_000;
    for (const spec of specs) {
      const driver = spec.type.create({ bus, address: spec.address, options: spec.options, sleep });
      this.#slots.set(spec.name, {
        spec,
        driver,
        info: { name: spec.name, type: spec.type.type, address: spec.address, pollMs: spec.pollMs, channels: { ...driver.channels }, state: 'starting' },
        initialised: false,
        downSince: undefined,
        backoffMs: this.#backoffMs,
        timer: undefined,
        busy: undefined,
      });
    }
  }

  names(): string[] {
    return [...this.#slots.keys()];
  }

  info(name?: string): SensorInfo[] {
    const slots = name === undefined ? [...this.#slots.values()] : [this.#slot(name)];
    return slots.map((s) => ({ ...s.info }));
  }

  /** Start polling every sensor. Faults are reported as events, never thrown. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (const slot of this.#slots.values()) this.#schedule(slot, 0);
  }

  /** Probe, configure and read one sensor now (`vigil sensors`); throws what went wrong. */
  async readOnce(name: string): Promise<SensorReading> {
    const slot = this.#slot(name);
    await slot.busy;
    return this.#measure(slot);
  }

  async close(): Promise<void> {
    this.#running = false;
    for (const slot of this.#slots.values()) if (slot.timer) clearTimeout(slot.timer);
    await Promise.allSettled([...this.#slots.values()].map((s) => s.busy));
    await this.bus.close();
  }

  #slot(name: string): Slot {
    const slot = this.#slots.get(name);
    if (!slot) throw new DriverError('i2c', `no sensor named ${JSON.stringify(name)}: configured sensors are ${this.names().join(', ') || 'none'}`, { code: 'SENSOR_UNKNOWN' });
    return slot;
  }

  async #measure(slot: Slot): Promise<SensorReading> {
    const { spec } = slot;
    try {
      if (!slot.initialised) {
        await slot.driver.init();
        slot.initialised = true;
      }
      const values = await slot.driver.read();
      for (const [channel, value] of Object.entries(values)) {
        if (!Number.isFinite(value)) throw new DriverError('i2c', `${channel} read as ${value}`, { code: 'SENSOR_GARBAGE' });
      }
      const reading: SensorReading = { sensor: spec.name, type: spec.type.type, time: this.#now(), values };
      slot.info.last = reading;
      slot.info.state = 'ok';
      delete slot.info.error;
      return reading;
    } catch (err) {
      // Re-initialise after any failure: the chip may have been power-cycled or reset.
      slot.initialised = false;
      const where = `sensor ${spec.name} (${spec.type.type} at 0x${spec.address.toString(16)} on ${this.bus.name})`;
      const code = err instanceof DriverError ? err.code : ((err as NodeJS.ErrnoException).code ?? 'SENSOR_FAILED');
      const error = new DriverError('i2c', `${where}: ${errorMessage(err)}`, { cause: err, code });
      slot.info.state = 'failed';
      slot.info.error = error.message;
      throw error;
    }
  }

  #schedule(slot: Slot, delayMs: number): void {
    if (!this.#running) return;
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      slot.busy = this.#poll(slot).finally(() => (slot.busy = undefined));
    }, delayMs);
  }

  async #poll(slot: Slot): Promise<void> {
    const started = performance.now();
    try {
      const reading = await this.#measure(slot);
      if (slot.downSince !== undefined) {
        this.events.emit('recovered', { sensor: slot.spec.name, downMs: this.#now() - slot.downSince });
        slot.downSince = undefined;
        slot.backoffMs = this.#backoffMs;
      }
      this.events.emit('reading', reading);
      // Keep the cadence: the time the read took comes off the wait.
      this.#schedule(slot, Math.max(0, slot.spec.pollMs - (performance.now() - started)));
    } catch (err) {
      if (slot.downSince === undefined) {
        slot.downSince = this.#now();
        this.events.emit('fault', { sensor: slot.spec.name, error: err as DriverError });
      }
      const wait = Math.max(slot.spec.pollMs, slot.backoffMs);
      slot.backoffMs = Math.min(slot.backoffMs * 2, this.#maxBackoffMs);
      this.#schedule(slot, wait);
    }
  }
}
