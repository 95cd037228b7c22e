/**
 * What conditions are evaluated against: connectivity, presence, sessions, the work cost, the
 * supply. Drivers feed it (the system driver now; network and presence drivers later) and the
 * dispatcher listens for changes to start held activations and to cancel tasks whose conditions
 * were lost. One object, so "is the internet up?" has one answer across the runtime.
 */
import { Emitter } from './emitter.js';
import type { BackgroundWorkCostValue } from './enums.js';

export interface DeviceStateValues {
  internet: boolean;
  /** The link carrying traffic is billed by volume (cellular). */
  metered: boolean;
  /** Someone is at the device: a presence input when one is configured, else an operator session. */
  userPresent: boolean;
  sessionConnected: boolean;
  workCost: BackgroundWorkCostValue;
  /** Mains/supply is good (no under-voltage, power-good line high): MaintenanceTrigger runs only then. */
  supplyGood: boolean;
  /** The SoC reports under-voltage or throttling. */
  energySaver: boolean;
}

export type DeviceStateKey = keyof DeviceStateValues;

export interface DeviceStateChange {
  changed: DeviceStateKey[];
  previous: DeviceStateValues;
  values: DeviceStateValues;
  cause: string;
}

export class DeviceState {
  #values: DeviceStateValues;
  #presenceSources = 0;
  /** Inputs that each say whether the supply is good (the SoC's flags, a power-good line): all must. */
  readonly #supply = new Map<string, boolean>();
  readonly events = new Emitter<{ change: [DeviceStateChange] }>();

  constructor(initial?: Partial<DeviceStateValues>) {
    this.#values = {
      internet: true,
      metered: false,
      userPresent: false,
      sessionConnected: false,
      workCost: 'Low',
      supplyGood: true,
      energySaver: false,
      ...initial,
    };
  }

  get values(): Readonly<DeviceStateValues> {
    return this.#values;
  }

  /**
   * A presence input (a PIR or a button on a GPIO line) now decides `userPresent`; without one,
   * an operator's session stands in for presence.
   */
  addPresenceSource(): () => void {
    this.#presenceSources++;
    return () => {
      this.#presenceSources--;
    };
  }

  /**
   * One input's view of the supply; `supplyGood` is true only while every input says so.
   * `also` lands in the same update, so listeners see related changes together.
   */
  setSupply(source: string, good: boolean, cause: string, also: Partial<DeviceStateValues> = {}): void {
    this.#supply.set(source, good);
    this.update({ ...also, supplyGood: [...this.#supply.values()].every(Boolean) }, cause);
  }

  update(partial: Partial<DeviceStateValues>, cause: string): void {
    const next = { ...this.#values, ...partial };
    if (this.#presenceSources === 0 && partial.sessionConnected !== undefined) {
      next.userPresent = next.sessionConnected;
    }
    const changed = (Object.keys(next) as DeviceStateKey[]).filter((k) => next[k] !== this.#values[k]);
    if (changed.length === 0) return;
    const previous = this.#values;
    this.#values = next;
    this.events.emit('change', { changed, previous, values: next, cause });
  }
}
