/**
 * GPIO below the runtime: which sysfs number a BCM line gets on each kernel and Pi, and the
 * debouncing and edge rules both bindings share (driven through the simulated binding).
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { listGpioChips, resolveGpioChip } from '../drivers/gpio/chip-base.js';
import type { GpioEdge, LineConfig } from '../drivers/gpio/gpio.js';
import { OnoffGpio } from '../drivers/gpio/onoff.js';
import { SimGpio } from '../drivers/gpio/sim.js';
import { DriverError } from '../runtime/errors.js';
import { tempDir } from './helpers/harness.js';

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

/** A /sys/class/gpio tree as a kernel of that generation lays it out. */
function sysfs(chips: { base: number; label: string; ngpio: number }[]): string {
  const root = tempDir('vigil-sysfs-');
  roots.push(root);
  writeFileSync(join(root, 'export'), '');
  for (const c of chips) {
    const dir = join(root, `gpiochip${c.base}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'base'), `${c.base}\n`);
    writeFileSync(join(dir, 'label'), `${c.label}\n`);
    writeFileSync(join(dir, 'ngpio'), `${c.ngpio}\n`);
  }
  return root;
}

describe('sysfs numbering', () => {
  it('Pi 4 on kernel 6.6+: the SoC controller is at base 512, the expander elsewhere', () => {
    const root = sysfs([
      { base: 512, label: 'pinctrl-bcm2711', ngpio: 58 },
      { base: 570, label: 'raspberrypi-exp-gpio', ngpio: 8 },
    ]);
    const chip = resolveGpioChip(listGpioChips(root));
    assert.equal(chip.base, 512);
    assert.equal(chip.base + 17, 529);
  });

  it('Pi 5: the header lines are on RP1 at 571, not on the SoC-internal controllers', () => {
    const root = sysfs([
      { base: 512, label: 'gpio-brcmstb@107d508500', ngpio: 32 },
      { base: 544, label: 'gpio-brcmstb@107d508520', ngpio: 4 },
      { base: 548, label: 'gpio-brcmstb@107d517c00', ngpio: 17 },
      { base: 565, label: 'gpio-brcmstb@107d517c20', ngpio: 6 },
      { base: 571, label: 'pinctrl-rp1', ngpio: 54 },
    ]);
    assert.equal(resolveGpioChip(listGpioChips(root)).base, 571);
  });

  it('older kernels (and Pi 0–3): base 0 keeps working', () => {
    const root = sysfs([
      { base: 0, label: 'pinctrl-bcm2835', ngpio: 54 },
      { base: 504, label: 'raspberrypi-exp-gpio', ngpio: 8 },
    ]);
    assert.equal(resolveGpioChip(listGpioChips(root)).base, 0);
  });

  it('a board that is not a Pi: the only chip, or the configured label, else an error listing the chips', () => {
    assert.equal(resolveGpioChip(listGpioChips(sysfs([{ base: 1016, label: 'gpio-sim.0-node0', ngpio: 8 }]))).base, 1016);
    const two = listGpioChips(
      sysfs([
        { base: 1000, label: 'gpio-sim.0-node0', ngpio: 8 },
        { base: 1008, label: 'gpio-mockup-A', ngpio: 8 },
      ]),
    );
    assert.equal(resolveGpioChip(two, 'gpio-mockup').base, 1008);
    assert.throws(() => resolveGpioChip(two), (err: unknown) => err instanceof DriverError && /gpiochip1000 "gpio-sim.0-node0" \(base 1000/.test(err.message) && /drivers\.gpio\.chip/.test(err.message));
    assert.throws(() => resolveGpioChip(two, 'pinctrl-rp1'), /drivers\.gpio\.chip is "pinctrl-rp1" but no GPIO chip has that label/);
  });

  it('a kernel without sysfs GPIO is a DriverError that says what is missing', () => {
    assert.throws(() => listGpioChips('/nonexistent/gpio'), (err: unknown) => err instanceof DriverError && /CONFIG_GPIO_SYSFS/.test(err.message));
  });

  it('the real binding refuses a BCM line the chip does not have, naming both', async () => {
    const root = sysfs([{ base: 512, label: 'pinctrl-bcm2835', ngpio: 54 }]);
    const gpio = new OnoffGpio({ big: line({ line: 55 }) }, { root });
    await assert.rejects(gpio.open(), /line big is BCM 55 but gpiochip512 "pinctrl-bcm2835" has lines 0–53/);
  });
});

function line(partial: Partial<LineConfig> = {}): LineConfig {
  return { line: 17, direction: 'in', edge: 'both', debounceMs: 0, activeLow: false, initial: 0, ...partial };
}

function collect(gpio: SimGpio): GpioEdge[] {
  const edges: GpioEdge[] = [];
  gpio.events.on('edge', (e) => edges.push(e));
  return edges;
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('edges and debounce', () => {
  it('without debounce every change is an edge, with its direction and level', async () => {
    const gpio = new SimGpio({ door: line() });
    await gpio.open();
    const edges = collect(gpio);
    gpio.set('door', 1, 1000);
    gpio.set('door', 1, 1001); // no change, no edge
    gpio.set('door', 0, 1002);
    assert.deepEqual(
      edges.map((e) => [e.edge, e.value, e.time]),
      [
        ['rising', 1, 1000],
        ['falling', 0, 1002],
      ],
    );
  });

  it('a bouncing contact gives one edge, stamped when the change began, once it is quiet for debounceMs', async () => {
    const gpio = new SimGpio({ door: line({ debounceMs: 30 }) });
    await gpio.open();
    const edges = collect(gpio);
    const started = Date.now();
    await gpio.bounce('door', 1, 4, 2);
    assert.equal(edges.length, 0, 'nothing before the line is quiet');
    await wait(60);
    assert.equal(edges.length, 1);
    assert.equal(edges[0]!.edge, 'rising');
    assert.ok(edges[0]!.time >= started - 1 && edges[0]!.time < started + 10, `stamped at the first bounce (${edges[0]!.time - started} ms after start)`);
  });

  it('a glitch shorter than the debounce that settles back reports nothing', async () => {
    const gpio = new SimGpio({ door: line({ debounceMs: 20 }) });
    await gpio.open();
    const edges = collect(gpio);
    gpio.set('door', 1);
    await wait(5);
    gpio.set('door', 0);
    await wait(50);
    assert.deepEqual(edges, []);
    assert.equal(gpio.read('door'), 0);
  });

  it('edge "rising" reports rising edges only, but the level is tracked both ways', async () => {
    const gpio = new SimGpio({ button: line({ edge: 'rising' }) });
    await gpio.open();
    const edges = collect(gpio);
    gpio.set('button', 1);
    gpio.set('button', 0);
    gpio.set('button', 1);
    assert.deepEqual(
      edges.map((e) => e.edge),
      ['rising', 'rising'],
    );
    assert.equal(gpio.read('button'), 1);
  });

  it('writes go to outputs only, are recorded, and name the mistake otherwise', async () => {
    const gpio = new SimGpio({ led: line({ line: 27, direction: 'out', initial: 1 }), door: line() });
    await gpio.open();
    assert.equal(gpio.read('led'), 1, 'an output starts at its initial level');
    await gpio.write('led', 0);
    assert.deepEqual(
      gpio.writes.map((w) => [w.line, w.value]),
      [['led', 0]],
    );
    await assert.rejects(gpio.write('door', 1), (err: unknown) => err instanceof DriverError && err.code === 'GPIO_NOT_OUTPUT' && /door \(BCM 17\) is an input/.test(err.message));
    await assert.rejects(gpio.write('lamp', 1), (err: unknown) => err instanceof DriverError && err.code === 'GPIO_UNKNOWN_LINE' && /declared lines are led, door/.test(err.message));
    await assert.rejects(gpio.write('led', 2 as 0), /expected 0 or 1/);
  });

  it('no edges after close, and pending debounce timers are dropped', async () => {
    const gpio = new SimGpio({ door: line({ debounceMs: 20 }) });
    await gpio.open();
    const edges = collect(gpio);
    gpio.set('door', 1);
    await gpio.close();
    await wait(40);
    gpio.set('door', 0);
    assert.deepEqual(edges, []);
  });
});
