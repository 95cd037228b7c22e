/**
 * The simulated GPIO binding: inputs are set by tests, demos and the board's timeline (with
 * optional contact bounce), outputs are recorded with their times. Same debouncing and edge
 * rules as on a Pi, because they live in LineSet.
 */
import { preciseNow, type Level, type LineConfig } from './gpio.js';
import { LineSet } from './lines.js';

export interface SimWrite {
  line: string;
  value: Level;
  time: number;
}

export class SimGpio extends LineSet {
  readonly binding = 'sim' as const;
  /** Every write to an output, in order. */
  readonly writes: SimWrite[] = [];

  async open(): Promise<void> {}

  /** Set an input's logical level now (an edge if it differs, subject to debounce). */
  set(name: string, value: Level, time = preciseNow()): void {
    this.read(name); // unknown names fail loudly
    this.input(name, value, time);
  }

  /**
   * Move an input to `value` the way a mechanical contact does: `bounces` short reversals
   * `intervalMs` apart before it settles.
   */
  bounce(name: string, value: Level, bounces = 3, intervalMs = 1): Promise<void> {
    const other: Level = value === 1 ? 0 : 1;
    return new Promise((resolve) => {
      let i = 0;
      const step = () => {
        if (i >= bounces * 2) {
          this.set(name, value);
          resolve();
          return;
        }
        this.set(name, i % 2 === 0 ? value : other);
        i++;
        setTimeout(step, intervalMs);
      };
      step();
    });
  }

  protected async drive(name: string, _config: LineConfig, value: Level): Promise<void> {
    this.writes.push({ line: name, value, time: preciseNow() });
  }

  protected sysfsNumber(config: LineConfig): number {
    return config.line;
  }

  protected async release(): Promise<void> {}
}
