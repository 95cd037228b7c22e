/**
 * NetworkOperatorDataUsageTrigger on the byte counters of the cellular interface (laid out as
 * /sys/class/net/IFACE/statistics): fires each time the threshold more has been used, counts
 * across a counter reset (the interface recreated), and keeps its count across a restart.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeCounters } from '../drivers/modem/sim-steps.js';
import { FakeClock } from '../runtime/clock.js';
import { next, startHarness, tick, type Harness } from './helpers/harness.js';

const MB = 1024 * 1024;

describe('NetworkOperatorDataUsageTrigger', () => {
  let h: Harness;
  const clock = new FakeClock();
  before(async () => {
    h = await startHarness({
      clock,
      config: { drivers: { modem: { binding: 'sim', dataPollSec: 10, sim: { transport: 'memory' } } } },
      bundles: [{ name: 'data', tasks: [{ name: 'used', entry: 't.js', isolation: 'inprocess', trigger: { type: 'NetworkOperatorDataUsageTrigger', thresholdMb: 2 } }], files: { 't.js': 'export default function run() {}' } }],
    });
  });
  after(async () => h?.close());

  const poll = async (bytes: number) => {
    await writeCounters(h.board.netStatsDir!, 'wwan0', bytes);
    clock.advance(10_000);
    await tick(30);
  };

  it('fires per threshold crossed, not per poll, and counts across a counter reset', async () => {
    const fired: unknown[] = [];
    h.runtime.dispatcher.events.on('finished', (e) => e.name === 'used' && fired.push(e.details));
    await poll(1 * MB);
    assert.equal(fired.length, 0);
    await poll(2.5 * MB);
    assert.equal(fired.length, 1);
    assert.equal((fired[0] as { bytes: number }).bytes, 2.5 * MB);
    await poll(3 * MB);
    assert.equal(fired.length, 1, 'not again until another 2 MB');
    // The interface is recreated: its counters restart from zero; 0.5 MB more is 3.5 MB in all.
    await poll(0.5 * MB);
    assert.equal(fired.length, 1);
    await poll(1.5 * MB);
    assert.equal(fired.length, 2, '4.5 MB used in all: the second threshold');
    assert.equal((fired[1] as { bytes: number }).bytes, 4.5 * MB);
  });

  it('keeps the count across a reboot', async () => {
    const runtime = await h.restart({ clock });
    const done = next(runtime, 'finished', (e) => e.name === 'used', 5000);
    // The new board's interface starts at zero, as after a reboot; 4.5 MB were counted before,
    // 3.5 MB since: 8 MB in all, the fourth megabyte pair.
    await poll(3.5 * MB);
    const e = await done;
    assert.equal((e.details as { bytes: number }).bytes, 8 * MB);
  });
});
