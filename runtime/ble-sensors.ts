/**
 * BTHome sensors heard by the central, as named sensors like the I2C ones: each configured
 * address becomes a sensor whose readings feed SensorDataThresholdTrigger and the sensor log.
 * A BTHome device repeats each packet several times (and a scanner reports duplicates), so a
 * reading is taken once per packet id or encryption counter.
 */
import type { BleAdvert } from '../drivers/ble/ble.js';
import type { ParsedAdvert } from '../drivers/ble/adv/types.js';
import { Emitter, type Unsubscribe } from './emitter.js';
import type { SensorFeed, SensorReadingEvent } from './triggers/sensor-threshold.js';

export interface BleSensorConfig {
  address: string;
  key?: string;
  channels?: string[];
  logEverySec: number;
}

interface Slot {
  name: string;
  cfg: BleSensorConfig;
  key?: Buffer;
  lastPacket?: number;
  last?: SensorReadingEvent;
  frameError?: string;
  heard: number;
}

export class BleSensors implements SensorFeed {
  readonly events = new Emitter<{ reading: [SensorReadingEvent]; frameError: [{ sensor: string; message: string }] }>();
  readonly #byAddress = new Map<string, Slot>();
  readonly #byName = new Map<string, Slot>();
  readonly #defaultChannels: readonly string[];

  constructor(sensors: Record<string, BleSensorConfig>, defaultChannels: readonly string[]) {
    this.#defaultChannels = defaultChannels;
    for (const [name, cfg] of Object.entries(sensors)) {
      const slot: Slot = { name, cfg, heard: 0, ...(cfg.key ? { key: Buffer.from(cfg.key, 'hex') } : {}) };
      this.#byAddress.set(cfg.address.toLowerCase(), slot);
      this.#byName.set(name, slot);
    }
  }

  get size(): number {
    return this.#byName.size;
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }

  channels(sensor: string): string[] | undefined {
    const slot = this.#byName.get(sensor);
    return slot ? [...(slot.cfg.channels ?? this.#defaultChannels)] : undefined;
  }

  onReading(sensor: string, listener: (reading: SensorReadingEvent) => void): Unsubscribe {
    return this.events.on('reading', (r) => r.sensor === sensor && listener(r));
  }

  /** The key a sensor's adverts are decrypted with (the source parses once per advert with it). */
  keyFor(address: string): { key: Buffer; address: string } | undefined {
    const slot = this.#byAddress.get(address);
    return slot?.key ? { key: slot.key, address } : undefined;
  }

  wants(address: string): boolean {
    return this.#byAddress.has(address);
  }

  offer(advert: BleAdvert, parsed: ParsedAdvert): void {
    const slot = this.#byAddress.get(advert.address);
    if (!slot) return;
    slot.heard++;
    if (!parsed.bthome) {
      if (parsed.frameError && parsed.frameError !== slot.frameError) {
        slot.frameError = parsed.frameError;
        this.events.emit('frameError', { sensor: slot.name, message: parsed.frameError });
      }
      return;
    }
    delete slot.frameError;
    const frame = parsed.bthome;
    const packet = frame.counter ?? frame.packetId;
    if (packet !== undefined && packet === slot.lastPacket) return;
    slot.lastPacket = packet;
    const values: Record<string, number> = {};
    for (const r of frame.readings) values[r.name] = r.value;
    if (Object.keys(values).length === 0) return;
    const reading: SensorReadingEvent = { sensor: slot.name, type: 'bthome', time: advert.time, values };
    slot.last = reading;
    this.events.emit('reading', reading);
  }

  status(): { name: string; address: string; heard: number; last?: SensorReadingEvent; error?: string }[] {
    return [...this.#byName.values()].map((s) => ({ name: s.name, address: s.cfg.address, heard: s.heard, ...(s.last ? { last: s.last } : {}), ...(s.frameError ? { error: s.frameError } : {}) }));
  }
}
