/**
 * NetworkOperatorDataUsageTrigger: the cellular interface's byte counters
 * (/sys/class/net/IFACE/statistics/{rx,tx}_bytes), polled; the registration fires each time
 * `thresholdMb` more has crossed the interface. Counters restart at zero when the interface is
 * recreated (the modem re-enumerates, the device reboots), so usage is summed across restarts
 * and kept in the registration's persisted state.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArmedRegistration, SourcePort } from './broker.js';
import type { TimerHandle } from './clock.js';
import type { Unsubscribe } from './emitter.js';
import type { Logger } from './logger.js';

export async function readCounters(dir: string, iface: string): Promise<number | undefined> {
  try {
    const [rx, tx] = await Promise.all(['rx_bytes', 'tx_bytes'].map((f) => readFile(join(dir, iface, 'statistics', f), 'utf8')));
    const total = Number(rx) + Number(tx);
    return Number.isFinite(total) ? total : undefined;
  } catch {
    return undefined;
  }
}

export function dataUsageArm(r: ArmedRegistration, port: SourcePort, o: { dir: string; iface: string; everyMs: number; log: Logger }): Unsubscribe {
  const thresholdBytes = Math.round((r.trigger as unknown as { thresholdMb: number }).thresholdMb * 1024 * 1024);
  let timer: TimerHandle | undefined;
  let stopped = false;
  const poll = async () => {
    const counter = await readCounters(o.dir, o.iface);
    if (stopped) return;
    if (counter !== undefined) {
      const b = (r.state.baseline ??= {});
      // used: bytes counted since the registration began; last: the counter at the last poll.
      if (b.last === undefined) b.last = counter;
      b.used = (b.used ?? 0) + (counter >= b.last ? counter - b.last : counter);
      b.last = counter;
      b.firedAt ??= 0;
      if (b.used - b.firedAt >= thresholdBytes) {
        b.firedAt = b.used - ((b.used - b.firedAt) % thresholdBytes);
        port.fire(r.taskId, { interface: o.iface, bytes: b.used, thresholdBytes });
      }
      r.saveState();
    }
    timer = port.clock.setTimeout(() => void poll(), o.everyMs);
    timer.unref();
  };
  void poll();
  return () => {
    stopped = true;
    if (timer) port.clock.clearTimeout(timer);
  };
}
