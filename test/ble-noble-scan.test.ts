/**
 * The central's scan on an adapter it shares, with the real noble library and the real
 * NobleCentral driver on a simulated controller (helpers/hci-controller.ts, at the level of HCI
 * packets): another host stack's scan commands, a controller refusing the enable, a power cycle.
 * Each must end with our scan (active, duplicates reported) running on the controller again, by
 * itself. The same on a real kernel: test/lab/ble.lab.ts (d2) and (e).
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { afterEach, describe, it } from 'node:test';
import type { BleAdvert } from '../drivers/ble/ble.js';
import { NobleCentral } from '../drivers/ble/noble.js';
import { installSimulatedHci, OP, SimulatedController, STATUS } from './helpers/hci-controller.js';

const requireHere = createRequire(import.meta.url);
const load = () => requireHere('@abandonware/noble/with-custom-binding');
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const undo of cleanups.splice(0).reverse()) await undo();
});

async function until(condition: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function scanningCentral(prepare?: (controller: SimulatedController) => void): Promise<{ controller: SimulatedController; central: NobleCentral; errors: Error[]; adverts: BleAdvert[] }> {
  const controller = new SimulatedController({ address: '00:11:22:33:44:01' });
  cleanups.push(installSimulatedHci(new Map([[1, controller]])));
  const central = new NobleCentral({ hci: 1, load });
  cleanups.push(() => central.close());
  const errors: Error[] = [];
  const adverts: BleAdvert[] = [];
  central.events.on('error', (e) => errors.push(e));
  central.events.on('advert', (a) => adverts.push(a));
  await central.open();
  prepare?.(controller);
  return { controller, central, errors, adverts };
}

const ENABLE_FILTERED = Buffer.from([1, 1]);
const DISABLE = Buffer.from([0, 0]);

/** Our scan, as the controller runs it: enabled, active, duplicates reported. */
const ours = (c: SimulatedController) => c.scan.enabled && c.scan.active && !c.scan.filterDuplicates;

async function advertReaches(controller: SimulatedController, adverts: BleAdvert[]): Promise<void> {
  const data = Buffer.from('02010605ff4c000215', 'hex');
  const from = adverts.length;
  assert.equal(controller.advertise({ address: '66:55:44:33:22:11', eventType: 3, data, rssi: -60 }), true, 'the controller is scanning');
  await until(() => adverts.slice(from).some((a) => a.data.equals(data)), 'the advert at the central');
}

describe('the central keeps its scan on a shared adapter (real noble, simulated controller)', () => {
  it("another host's duplicate-filtered scan enable while ours runs: refused by the controller, misread by noble, and the scan asked for again", async () => {
    const { controller, central, errors, adverts } = await scanningCentral();
    await central.startScan();
    assert.ok(central.scanning && ours(controller));
    const answered = await controller.otherHostCommand(OP.LE_SET_SCAN_ENABLE, ENABLE_FILTERED);
    assert.equal(answered.status, STATUS.COMMAND_DISALLOWED, 'the controller kept our scan');
    await until(() => !central.scanning, 'noble reporting a foreign scan');
    const from = controller.log.length;
    await until(() => central.scanning, 'the scan asked for again');
    const sent = controller.log.slice(from).filter((c) => c.source === 'host').map((c) => [c.opcode, c.params.toString('hex')]);
    assert.deepEqual(sent, [
      [OP.LE_SET_SCAN_ENABLE, '0001'],
      [OP.LE_SET_SCAN_PARAMETERS, sent[1]?.[1]],
      [OP.LE_SET_SCAN_ENABLE, '0100'],
    ]);
    assert.ok(ours(controller));
    await advertReaches(controller, adverts);
    assert.deepEqual(errors, []);
  });

  it('another host stops ours and switches on its own filtered scan: the controller is taken back', async () => {
    const { controller, central, errors, adverts } = await scanningCentral();
    await central.startScan();
    await controller.otherHostCommand(OP.LE_SET_SCAN_ENABLE, DISABLE);
    await controller.otherHostCommand(OP.LE_SET_SCAN_ENABLE, ENABLE_FILTERED);
    assert.ok(controller.scan.enabled && controller.scan.filterDuplicates, 'the foreign scan runs');
    await until(() => central.scanning && ours(controller), 'our scan running again');
    await advertReaches(controller, adverts);
    assert.deepEqual(errors, []);
  });

  it('an enable the controller refuses fails that start at once; the retry a moment later succeeds, and is not reported', async () => {
    const { controller, central, errors, adverts } = await scanningCentral((c) => c.refuse(OP.LE_SET_SCAN_ENABLE, STATUS.COMMAND_DISALLOWED, 3));
    const t0 = Date.now();
    const first = await central.startScan().then(
      () => undefined,
      (e: Error) => e,
    );
    assert.equal(first?.message, 'hci1: cannot start scanning: the controller refused it (HCI status 0x0c, command disallowed)');
    assert.ok(Date.now() - t0 < 1000, 'without waiting for the 5 s confirmation timeout');
    await until(() => central.scanning && ours(controller), 'the retried scan');
    assert.equal(controller.commands(OP.LE_SET_SCAN_ENABLE, 'host').filter((c) => c.params[0] === 1).length, 2, 'one enable refused, one accepted');
    await advertReaches(controller, adverts);
    assert.deepEqual(errors, [], 'a refusal that clears is not an outage');
  });

  it('a power cycle: poweredOff ends the scan, and it comes back after poweredOn by itself', async () => {
    const { controller, central, adverts } = await scanningCentral();
    await central.startScan();
    controller.power(false);
    await until(() => central.state() === 'poweredOff', 'poweredOff');
    assert.equal(central.scanning, false);
    controller.power(true);
    await until(() => central.state() === 'poweredOn', 'poweredOn');
    await until(() => central.scanning && ours(controller), 'the scan after the power cycle', 5000);
    await advertReaches(controller, adverts);
  });
});
