/**
 * The real onoff binding on a real kernel: a gpio-sim chip whose sysfs base the kernel
 * allocates, edges made by changing a line's pull reaching a task through the runtime (with
 * debounce), and an output a task writes seen on the simulated line.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createBoard } from '../../drivers/board.js';
import { parseConfig } from '../../runtime/config.js';
import { Runtime } from '../../runtime/runtime.js';
import { finished, tempDir, writeBundle } from '../helpers/harness.js';
import { createGpioSim, inLab, recordFigure, type SimChip } from './kernel.js';

inLab();
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('GPIO on a real kernel (gpio-sim, onoff)', () => {
  let chip: SimChip;
  let rt: Runtime;
  let out: string;
  before(async () => {
    chip = createGpioSim(32, 'vigil-lab-gpio');
    const root = tempDir();
    out = join(root, 'edges.jsonl');
    writeBundle(join(root, 'bundles'), {
      name: 'lab',
      tasks: [
        { name: 'door', entry: 'rec.js', trigger: { type: 'CustomSystemEventTrigger', triggerId: 'door.changed' }, isolation: 'inprocess' },
        { name: 'led', entry: 'led.js', trigger: { type: 'ApplicationTrigger' }, capabilities: ['gpio.write:led'] },
      ],
      files: {
        'rec.js': `import { appendFileSync } from 'node:fs';
export default function run(i) { appendFileSync(${JSON.stringify(out)}, JSON.stringify({ ...i.triggerDetails, entered: performance.timeOrigin + performance.now() }) + '\\n'); }`,
        'led.js': `export default async function run(i) { await i.call('gpio.write', 'led', Number(i.triggerDetails.arguments.level)); }`,
      },
    });
    const config = parseConfig(
      {
        stateDir: 'state',
        bundlesDir: 'bundles',
        drivers: {
          system: { binding: 'sim' },
          // No "chip": the only GPIO chip in the guest is found by itself, as on a board that is not a Pi.
          gpio: { binding: 'onoff', lines: { door: { line: 17, debounceMs: 30 }, led: { line: 27, direction: 'out', activeLow: true, initial: 0 } } },
        },
        policy: { pool: { warm: 1 } },
      },
      join(root, 'config.json'),
    );
    const board = await createBoard(config);
    assert.equal(board.sim, undefined, 'real bindings, not the simulator');
    rt = await Runtime.start({ config, drivers: board, logSync: true });
    assert.equal(rt.driverErrors.get('gpio'), undefined, `the gpio driver opened: ${rt.driverErrors.get('gpio')}`);
  });
  after(() => rt?.stop());

  const edges = () => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

  it('resolves BCM 17 against the dynamically allocated base', (t) => {
    assert.notEqual(chip.base, 0, 'the kernel allocated a dynamic base');
    const door = rt.status().gpio!.find((l) => l.name === 'door')!;
    assert.equal(door.sysfs, chip.base + 17);
    assert.ok(existsSync(`/sys/class/gpio/gpio${chip.base + 17}`), 'exported under its sysfs number');
    t.diagnostic(`gpio-sim base ${chip.base}; BCM 17 is sysfs gpio${chip.base + 17}`);
  });

  it('an output initialised active-low and written by a task shows on the simulated line', async () => {
    assert.equal(chip.value(27), 1, 'logical 0 on an active-low line is physically high');
    rt.trigger('led', { level: '1' });
    assert.equal((await finished(rt, 'led', 30_000)).outcome, 'succeeded');
    assert.equal(chip.value(27), 0, 'logical 1 drives the active-low line low');
    rt.trigger('led', { level: '0' });
    await finished(rt, 'led', 30_000);
    assert.equal(chip.value(27), 1);
  });

  it('a pull change reaches a registered task as a door.changed event', async () => {
    const ran = finished(rt, 'door', 30_000);
    chip.pull(17, 1);
    assert.equal((await ran).outcome, 'succeeded');
    const e = edges().pop();
    assert.equal(e.edge, 'rising');
    assert.equal(e.source, 'gpio/onoff');
  });

  it('a bouncing contact within the debounce window is one edge', async () => {
    const before = edges().length;
    for (let i = 0; i < 3; i++) {
      chip.pull(17, 0);
      chip.pull(17, 1);
    }
    chip.pull(17, 0);
    await wait(1500);
    const added = edges().slice(before);
    assert.equal(added.length, 1, `one edge, got ${JSON.stringify(added.map((x) => x.edge))}`);
    assert.equal(added[0].edge, 'falling');
  });

  it('edge → run() entered on the real path (figures printed for the closing note)', async (t) => {
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const ran = finished(rt, 'door', 30_000);
      const level = (i % 2 === 0 ? 1 : 0) as 0 | 1;
      const t0 = performance.timeOrigin + performance.now();
      chip.pull(17, level);
      await ran;
      const e = edges().pop();
      // From the kernel edge (what the driver stamped) to the task's first line, debounce excluded.
      latencies.push(e.entered - Date.parse(e.time) - 30);
      assert.ok(Date.parse(e.time) >= t0 - 5, 'the edge is stamped after the pull changed');
      await wait(50);
    }
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
    const figure = { p50: round(pct(0.5)), p99: round(pct(0.99)), n: latencies.length };
    t.diagnostic(`onoff edge -> run() entered, debounce excluded, TCG-emulated guest: p50 ${figure.p50} ms, p99 ${figure.p99} ms over ${figure.n}`);
    recordFigure('gpioEdgeToRunOnoffMs', figure);
    assert.equal(latencies.length, 20);
  });
});

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
