/**
 * The real GPIO binding, on onoff (the kernel's sysfs GPIO interface with epoll interrupts).
 * onoff is imported on open(), so a simulated board never loads it and a machine without it
 * gets a DriverError, not a crash.
 *
 * Inputs are exported with edge "both" whatever edge the config asks for: debouncing needs to
 * see every change, and LineSet filters the edges afterwards. onoff's own debounce is not used,
 * so both bindings debounce identically and edges carry the time the change began.
 */
import { DriverError, errorMessage } from '../../runtime/errors.js';
import { listGpioChips, resolveGpioChip, type GpioChipInfo } from './chip-base.js';
import { preciseNow, type Level, type LineConfig } from './gpio.js';
import { LineSet } from './lines.js';

interface OnoffPin {
  readSync(): number;
  write(value: number): Promise<void>;
  watch(cb: (err: Error | null | undefined, value: number) => void): void;
  unexport(): void;
}
interface OnoffModule {
  Gpio: { new (gpio: number, direction: string, edge?: string | object, options?: object): OnoffPin; accessible: boolean };
}

export interface OnoffOptions {
  /** Label of the chip BCM numbers refer to; the SoC's controller when absent. */
  chip?: string;
  /** sysfs GPIO root (tests point it elsewhere). */
  root?: string;
}

export class OnoffGpio extends LineSet {
  readonly binding = 'onoff' as const;
  #chip: GpioChipInfo | undefined;
  readonly #pins = new Map<string, OnoffPin>();

  constructor(
    config: Readonly<Record<string, LineConfig>>,
    private readonly options: OnoffOptions = {},
  ) {
    super(config);
  }

  get chip(): GpioChipInfo | undefined {
    return this.#chip;
  }

  async open(): Promise<void> {
    const chip = resolveGpioChip(listGpioChips(this.options.root), this.options.chip);
    for (const [name, c] of Object.entries(this.config)) {
      if (c.line >= chip.ngpio) {
        throw new DriverError('gpio', `line ${name} is BCM ${c.line} but ${chip.name} "${chip.label}" has lines 0–${chip.ngpio - 1}`, { code: 'GPIO_LINE_RANGE' });
      }
    }
    this.#chip = chip;
    let onoff: OnoffModule;
    try {
      const mod = (await import('onoff')) as unknown as OnoffModule & { default?: OnoffModule };
      onoff = mod.Gpio ? mod : mod.default!;
    } catch (err) {
      throw new DriverError('gpio', `cannot load the onoff library (${errorMessage(err)}): run npm install on the device`, { cause: err, code: 'GPIO_NO_LIBRARY' });
    }
    if (!onoff.Gpio.accessible) {
      throw new DriverError('gpio', 'cannot write /sys/class/gpio/export: run as a member of the gpio group (or root)', { code: 'GPIO_NO_ACCESS' });
    }
    try {
      for (const [name, c] of Object.entries(this.config)) this.#openLine(onoff, name, c, chip.base + c.line);
    } catch (err) {
      await this.release();
      throw err;
    }
  }

  #openLine(onoff: OnoffModule, name: string, c: LineConfig, sysfs: number): void {
    let pin: OnoffPin;
    try {
      if (c.direction === 'out') {
        // sysfs "high"/"low" set the physical level (gpiolib's raw output), so an active-low
        // line's logical initial level is inverted here.
        const physical = c.activeLow ? 1 - c.initial : c.initial;
        pin = new onoff.Gpio(sysfs, physical ? 'high' : 'low', { activeLow: c.activeLow });
      } else {
        pin = new onoff.Gpio(sysfs, 'in', c.edge === 'none' ? 'none' : 'both', { activeLow: c.activeLow });
      }
    } catch (err) {
      throw new DriverError('gpio', `cannot open line ${name} (BCM ${c.line}, sysfs gpio${sysfs}): ${errorMessage(err)}`, { cause: err, code: 'GPIO_OPEN_FAILED' });
    }
    this.#pins.set(name, pin);
    if (c.direction === 'in') {
      this.initialLevel(name, pin.readSync() ? 1 : 0);
      if (c.edge !== 'none') {
        pin.watch((err, value) => {
          if (err) this.events.emit('error', new DriverError('gpio', `line ${name}: ${errorMessage(err)}`, { cause: err }));
          else this.input(name, value ? 1 : 0, preciseNow());
        });
      }
    }
  }

  protected async drive(name: string, _config: LineConfig, value: Level): Promise<void> {
    await this.#pins.get(name)!.write(value);
  }

  protected sysfsNumber(config: LineConfig): number {
    return (this.#chip?.base ?? 0) + config.line;
  }

  protected async release(): Promise<void> {
    for (const pin of this.#pins.values()) {
      try {
        pin.unexport();
      } catch {
        // Already gone (the chip was removed); nothing left to release.
      }
    }
    this.#pins.clear();
  }
}
