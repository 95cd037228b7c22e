import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../runtime/clock.js';
import type { BackgroundWorkCostValue } from '../runtime/enums.js';
import {
  assessWorkCost,
  defaultWorkCostThresholds,
  energyUseLevel,
  scaledBudgetMb,
  WorkCostMonitor,
} from '../runtime/work-cost.js';
import type { WorkCostChange } from '../runtime/work-cost.js';
import { decodeThrottled } from '../drivers/system/system.js';
import type { SystemReadings } from '../drivers/system/system.js';

/** An idle Pi 4 with 4 000 000 kB of RAM, so MemAvailable percentages are easy to set. */
function idle(over: Partial<SystemReadings> & { memPct?: number } = {}): SystemReadings {
  const { memPct, ...rest } = over;
  return {
    at: 0,
    memTotalKb: 4_000_000,
    memAvailableKb: memPct === undefined ? 3_000_000 : memPct * 40_000,
    memPressure: { some10: 0, full10: 0 },
    load1: 0.2,
    cores: 4,
    socTempC: 45,
    throttled: decodeThrottled(0),
    ...rest,
  };
}

test('an idle board costs Low, with no causes', () => {
  assert.deepEqual(assessWorkCost(idle()), { value: 'Low', causes: [] });
  assert.deepEqual(assessWorkCost(idle(), defaultWorkCostThresholds, 'High'), { value: 'Low', causes: [] });
});

test('each input alone raises the level, and names itself', () => {
  const cases: [Partial<SystemReadings> & { memPct?: number }, BackgroundWorkCostValue, string][] = [
    [{ memPct: 20 }, 'Medium', 'MemAvailable 20% of RAM'],
    [{ memPct: 8 }, 'High', 'MemAvailable 8% of RAM'],
    [{ memPressure: { some10: 15, full10: 2 } }, 'Medium', 'memory pressure 15.0% (PSI some avg10)'],
    [{ memPressure: { some10: 45, full10: 20 } }, 'High', 'memory pressure 45.0% (PSI some avg10)'],
    [{ load1: 4 }, 'Medium', 'load 1.00 per core'],
    [{ load1: 6.4 }, 'High', 'load 1.60 per core'],
    [{ socTempC: 72 }, 'Medium', 'SoC 72.0 °C'],
    [{ socTempC: 82.1 }, 'High', 'SoC 82.1 °C'],
    [{ throttled: decodeThrottled(0x1) }, 'High', 'under-voltage'],
    [{ throttled: decodeThrottled(0x4) }, 'High', 'throttled by the firmware'],
    [{ throttled: decodeThrottled(0x2) }, 'Medium', 'ARM frequency capped'],
    [{ throttled: decodeThrottled(0x8) }, 'Medium', 'soft temperature limit'],
  ];
  for (const [over, value, cause] of cases) {
    assert.deepEqual(assessWorkCost(idle(over)), { value, causes: [cause] }, JSON.stringify(over));
  }
  // Thresholds are reached at the threshold itself.
  assert.equal(assessWorkCost(idle({ socTempC: 80 })).value, 'High');
  assert.equal(assessWorkCost(idle({ socTempC: 79.9 })).value, 'Medium');
  assert.equal(assessWorkCost(idle({ memPct: 25 })).value, 'Medium');
  assert.equal(assessWorkCost(idle({ memPct: 25.1 })).value, 'Low');
  // Load is per core: 4.0 on one core is far worse than on four.
  assert.equal(assessWorkCost(idle({ load1: 1.6, cores: 1 })).value, 'High');
  // What happened since boot is history, not cost.
  assert.equal(assessWorkCost(idle({ throttled: decodeThrottled(0xf0000) })).value, 'Low');
});

test('missing inputs do not contribute; the worst input wins and only it is named', () => {
  const bare: SystemReadings = { at: 0, memTotalKb: 4_000_000, memAvailableKb: 3_000_000, load1: 0, cores: 4 };
  assert.deepEqual(assessWorkCost(bare), { value: 'Low', causes: [] });
  const r = idle({ memPct: 20, socTempC: 82, load1: 3.6 });
  assert.deepEqual(assessWorkCost(r), { value: 'High', causes: ['SoC 82.0 °C'] });
  assert.deepEqual(assessWorkCost(idle({ memPct: 20, load1: 3.6 })).causes, ['MemAvailable 20% of RAM', 'load 0.90 per core']);
});

test('with a current level, staying there takes only recovery past the margin', () => {
  // MemAvailable 12%: Medium when fresh, but High is held until memory recovers above 15%.
  assert.equal(assessWorkCost(idle({ memPct: 12 })).value, 'Medium');
  assert.equal(assessWorkCost(idle({ memPct: 12 }), defaultWorkCostThresholds, 'High').value, 'High');
  assert.equal(assessWorkCost(idle({ memPct: 16 }), defaultWorkCostThresholds, 'High').value, 'Medium');
  assert.equal(assessWorkCost(idle({ memPct: 31 }), defaultWorkCostThresholds, 'High').value, 'Low');
  assert.equal(assessWorkCost(idle({ socTempC: 68 }), defaultWorkCostThresholds, 'Medium').value, 'Medium');
  assert.equal(assessWorkCost(idle({ socTempC: 66.9 }), defaultWorkCostThresholds, 'Medium').value, 'Low');
  // The relaxation never lifts a level: at Low, 68 °C is still Low.
  assert.equal(assessWorkCost(idle({ socTempC: 68 }), defaultWorkCostThresholds, 'Low').value, 'Low');
});

test('a temperature oscillating around the High threshold does not flap, by the margin alone', () => {
  const clock = new FakeClock();
  // No hold-down: the margin must hold the level on its own.
  const monitor = new WorkCostMonitor({ clock, thresholds: { holdDownSec: 0 } });
  const changes: WorkCostChange[] = [];
  monitor.events.on('change', (c) => changes.push(c));
  const temps = [78, 80.5, 79, 81, 78, 80.2, 77.5, 80.9, 79.4, 77.2];
  let stateless = 0;
  let last: BackgroundWorkCostValue | undefined;
  for (const t of temps) {
    monitor.update(idle({ socTempC: t }));
    const v = assessWorkCost(idle({ socTempC: t })).value;
    if (last !== undefined && v !== last) stateless++;
    last = v;
    clock.advance(2000);
  }
  assert.ok(stateless >= 6, 'the readings themselves cross the threshold back and forth');
  assert.deepEqual(changes.map((c) => [c.from, c.to]), [['Low', 'Medium'], ['Medium', 'High']]);
  assert.equal(monitor.value, 'High');
  assert.deepEqual(changes[1]?.causes, ['SoC 80.5 °C']);
});

test('the cost rises at once and falls only after the hold-down, straight to the lower level', () => {
  const clock = new FakeClock();
  const monitor = new WorkCostMonitor({ clock });
  const changes: WorkCostChange[] = [];
  monitor.events.on('change', (c) => changes.push(c));
  assert.equal(monitor.update(idle({ socTempC: 85 })), 'High');
  assert.deepEqual(monitor.causes, ['SoC 85.0 °C']);

  assert.equal(monitor.update(idle({ socTempC: 60 })), 'High');
  clock.advance(9_999);
  assert.equal(monitor.update(idle({ socTempC: 60 })), 'High');
  clock.advance(1);
  assert.equal(monitor.update(idle({ socTempC: 60 })), 'Low', 'not via Medium');
  assert.deepEqual(changes.at(-1), { from: 'High', to: 'Low', causes: [] });
  assert.deepEqual(monitor.causes, []);
});

test('the hold-down restarts when the level comes back, and the fall goes to the level assessed then', () => {
  const clock = new FakeClock();
  const monitor = new WorkCostMonitor({ clock, thresholds: { holdDownSec: 10 } });
  monitor.update(idle({ memPct: 5 }));
  assert.equal(monitor.value, 'High');
  monitor.update(idle({ memPct: 40 }));
  clock.advance(6000);
  monitor.update(idle({ memPct: 14 })); // within the margin of High: still High
  clock.advance(6000);
  monitor.update(idle({ memPct: 40 }));
  clock.advance(6000);
  assert.equal(monitor.update(idle({ memPct: 40 })), 'High', 'only 6 s lower since the bounce');
  clock.advance(2000);
  assert.equal(monitor.update(idle({ memPct: 22 })), 'High');
  clock.advance(2000);
  assert.equal(monitor.update(idle({ memPct: 22 })), 'Medium');
  assert.deepEqual(monitor.causes, ['MemAvailable 22% of RAM']);
});

test('a custom hold-down of zero falls at the first lower assessment', () => {
  const monitor = new WorkCostMonitor({ clock: new FakeClock(), thresholds: { holdDownSec: 0 } });
  monitor.update(idle({ throttled: decodeThrottled(0x50005) }));
  assert.equal(monitor.value, 'High');
  assert.equal(monitor.update(idle({ throttled: decodeThrottled(0x50000) })), 'Low');
});

test('energyUseLevel boundaries', () => {
  assert.equal(energyUseLevel(0, 100), 'UnderHalf');
  assert.equal(energyUseLevel(49, 100), 'UnderHalf');
  assert.equal(energyUseLevel(50, 100), 'OverHalf');
  assert.equal(energyUseLevel(99, 100), 'OverHalf');
  assert.equal(energyUseLevel(100, 100), 'OverBudget');
  assert.equal(energyUseLevel(150, 100), 'OverBudget');
  assert.equal(energyUseLevel(1, 0), 'OverBudget');
});

test('scaledBudgetMb scales by cost and never goes below 8 MB', () => {
  assert.equal(scaledBudgetMb(64, 'Low'), 64);
  assert.equal(scaledBudgetMb(64, 'Medium'), 48);
  assert.equal(scaledBudgetMb(64, 'High'), 32);
  assert.equal(scaledBudgetMb(16, 'High'), 8);
  assert.equal(scaledBudgetMb(15, 'High'), 8);
  assert.equal(scaledBudgetMb(11, 'Medium'), 8);
  assert.equal(scaledBudgetMb(12, 'Medium'), 9);
  assert.equal(scaledBudgetMb(4, 'Low'), 8);
});
