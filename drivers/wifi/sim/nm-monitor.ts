/**
 * `nmcli monitor` for the simulated NetworkManager: the running monitors and the lines they are
 * owed. Each part of the simulator says what changed through line(); this holds them back until
 * the call that caused them has returned.
 */
import type { MonitorHandle } from '../commands.js';

interface Monitor {
  onLine: (line: string) => void;
  onExit: (reason: string) => void;
  stopped: boolean;
}

interface Entry {
  targets: Monitor[];
  line?: string;
  exit?: string;
}

export const CLOSED_REASON = 'the simulated NetworkManager was closed';

export class MonitorFeed {
  readonly #monitors = new Set<Monitor>();
  #lineQueue: Entry[] = [];
  #flushQueued = false;

  /**
   * A new `nmcli monitor`. Against a closed NetworkManager it only exits; against a stopped one
   * it says so first and keeps waiting, as nmcli does.
   */
  open(onLine: (line: string) => void, onExit: (reason: string) => void, nm: { closed: boolean; running: boolean }): MonitorHandle {
    const m: Monitor = { onLine, onExit, stopped: false };
    if (nm.closed) {
      this.#queue({ targets: [m], exit: CLOSED_REASON });
    } else {
      this.#monitors.add(m);
      if (!nm.running) this.#queue({ targets: [m], line: 'NetworkManager is stopped' });
    }
    return {
      stop: () => {
        m.stopped = true;
        this.#monitors.delete(m);
      },
    };
  }

  /** Every running monitor prints `line`. */
  line(line: string): void {
    if (this.#monitors.size > 0) this.#queue({ targets: [...this.#monitors], line });
  }

  /** End every monitor with `reason`; none is kept. */
  exitAll(reason: string): void {
    const monitors = [...this.#monitors];
    this.#monitors.clear();
    this.#queue({ targets: monitors, exit: reason });
  }

  /**
   * Monitor lines arrive after the call that caused them returns, as they do from a separate
   * nmcli process: a listener that runs commands is never re-entered from inside run().
   */
  #queue(entry: Entry): void {
    this.#lineQueue.push(entry);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      const entries = this.#lineQueue;
      this.#lineQueue = [];
      for (const e of entries) {
        for (const m of e.targets) {
          if (e.exit !== undefined) m.onExit(e.exit);
          else if (!m.stopped) m.onLine(e.line!);
        }
      }
    });
  }
}
