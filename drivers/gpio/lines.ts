/**
 * What both bindings share: the declared lines, debouncing, edge filtering and the checks on
 * reads and writes. A binding reports raw (logical) levels with `input()` and performs writes in
 * `drive()`; everything users can observe about edges is decided here, once.
 *
 * Debounce: a change starts a quiet period of `debounceMs`; every further raw change restarts
 * it; when it ends, the settled level is compared with the last reported one, and one edge is
 * reported if they differ, stamped with the time the first change of the burst happened. A
 * bounce that settles back where it started reports nothing.
 */
import { DriverError } from '../../runtime/errors.js';
import { Emitter } from '../../runtime/emitter.js';
import type { GpioDriver, GpioEvents, Level, LineConfig, LineInfo } from './gpio.js';

interface LineState {
  name: string;
  config: LineConfig;
  /** Last reported (debounced) level. */
  stable: Level;
  /** Latest raw level. */
  raw: Level;
  burstStart: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export abstract class LineSet implements GpioDriver {
  abstract readonly binding: 'onoff' | 'sim';
  readonly events = new Emitter<GpioEvents>();
  protected readonly states = new Map<string, LineState>();
  #closed = false;

  constructor(readonly config: Readonly<Record<string, LineConfig>>) {
    for (const [name, c] of Object.entries(config)) {
      this.states.set(name, { name, config: c, stable: c.initial, raw: c.initial, burstStart: 0, timer: undefined });
    }
  }

  abstract open(): Promise<void>;
  protected abstract drive(name: string, config: LineConfig, value: Level): Promise<void>;
  protected abstract sysfsNumber(config: LineConfig): number;
  protected abstract release(): Promise<void>;

  /** Set an input's initial level without reporting an edge (at open). */
  protected initialLevel(name: string, value: Level): void {
    const s = this.#state(name);
    s.stable = value;
    s.raw = value;
  }

  /** A raw level change from the binding (logical, after active-low), at `time`. */
  protected input(name: string, value: Level, time: number): void {
    const s = this.states.get(name);
    if (!s || this.#closed || s.config.direction !== 'in') return;
    if (s.config.debounceMs <= 0) {
      s.raw = value;
      this.#settle(s, time);
      return;
    }
    if (s.timer === undefined) {
      if (value === s.stable && value === s.raw) return;
      s.burstStart = time;
    } else {
      clearTimeout(s.timer);
    }
    s.raw = value;
    s.timer = setTimeout(() => {
      s.timer = undefined;
      this.#settle(s, s.burstStart);
    }, s.config.debounceMs);
  }

  #settle(s: LineState, time: number): void {
    if (s.raw === s.stable) return;
    s.stable = s.raw;
    const edge = s.stable === 1 ? 'rising' : 'falling';
    const want = s.config.edge;
    if (want === 'none' || (want !== 'both' && want !== edge)) return;
    this.events.emit('edge', { line: s.name, edge, value: s.stable, time });
  }

  read(name: string): Level {
    return this.#state(name).stable;
  }

  async write(name: string, value: Level): Promise<void> {
    const s = this.#state(name);
    if (s.config.direction !== 'out') {
      throw new DriverError('gpio', `line ${name} (BCM ${s.config.line}) is an input: only lines declared with "direction": "out" can be written`, { code: 'GPIO_NOT_OUTPUT' });
    }
    if (value !== 0 && value !== 1) throw new DriverError('gpio', `cannot write ${JSON.stringify(value)} to line ${name}: expected 0 or 1`, { code: 'GPIO_BAD_VALUE' });
    if (this.#closed) throw new DriverError('gpio', `cannot write line ${name}: the GPIO driver is closed`, { code: 'GPIO_CLOSED' });
    await this.drive(name, s.config, value);
    s.stable = value;
  }

  lines(): LineInfo[] {
    return [...this.states.values()].map((s) => ({
      name: s.name,
      bcm: s.config.line,
      sysfs: this.sysfsNumber(s.config),
      direction: s.config.direction,
      value: s.stable,
      ...(s.config.role ? { role: s.config.role } : {}),
    }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.states.values()) if (s.timer) clearTimeout(s.timer);
    await this.release();
  }

  #state(name: string): LineState {
    const s = this.states.get(name);
    if (!s) {
      throw new DriverError('gpio', `no GPIO line named ${JSON.stringify(name)}: declared lines are ${[...this.states.keys()].join(', ') || 'none'}`, { code: 'GPIO_UNKNOWN_LINE' });
    }
    return s;
  }
}
