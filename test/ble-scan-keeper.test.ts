/**
 * The scan keeper's policy, on a clock the test moves: when it asks noble for the scan again,
 * how it backs off, when a scan that stays off is reported, and what it leaves alone (an adapter
 * that is off, a connection attempt under way, a scan no longer wanted). What noble and a
 * controller actually do with those requests is tested in ble-noble-scan.test.ts (the real noble
 * on a simulated controller) and in the lab (test/lab/ble.lab.ts, a real kernel).
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { RESUME_DELAY_MS, RETRY_MAX_MS, SCAN_OFF_REPORT_MS, ScanKeeper, START_TIMEOUT_MS, TAKE_BACK_DELAY_MS } from '../drivers/ble/noble-scan.js';
import type { DriverError } from '../runtime/errors.js';

interface Port {
  adapter: string;
  calls: number[];
  free: boolean;
  reports: DriverError[];
}

function keeper(): { scan: ScanKeeper; port: Port } {
  const port: Port = { adapter: 'hci1', calls: [], free: true, reports: [] };
  const scan = new ScanKeeper({
    adapter: port.adapter,
    startScanning: () => port.calls.push(Date.now()),
    free: () => port.free,
    report: (err) => port.reports.push(err),
  });
  return { scan, port };
}

/** What noble and the controller answer to a start: the disable (refused: nothing was scanning), then the enable. */
function answer(scan: ScanKeeper, enableStatus: number): void {
  scan.status(0x0c);
  scan.status(enableStatus);
  if (enableStatus === 0) scan.started(false);
}

const settled = async (p: Promise<void>): Promise<string> =>
  p.then(
    () => 'resolved',
    (err: Error) => err.message,
  );

const tick = async (ms: number) => {
  mock.timers.tick(ms);
  await new Promise<void>((resolve) => queueMicrotask(resolve));
};

describe('the central scan keeper', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it('starts when asked; the refused disable that opens the sequence is expected, the confirmation turns it on', async () => {
    const { scan, port } = keeper();
    const started = scan.start();
    assert.equal(port.calls.length, 1);
    assert.equal(scan.on, false);
    answer(scan, 0);
    assert.equal(await settled(started), 'resolved');
    assert.equal(scan.on, true);
    await tick(60_000);
    assert.equal(port.calls.length, 1, 'nothing more is sent while the scan is on');
  });

  it('an enable the controller refuses fails the attempt at once, and it is retried with back-off up to 10 s apart', async () => {
    const { scan, port } = keeper();
    const first = scan.start();
    answer(scan, 0x0c);
    assert.equal(await settled(first), 'hci1: cannot start scanning: the controller refused it (HCI status 0x0c, command disallowed)');
    const gaps: number[] = [];
    for (let i = 0; i < 8; i++) {
      const before = port.calls.length;
      const at = Date.now();
      while (port.calls.length === before) await tick(50);
      gaps.push(port.calls.at(-1)! - at);
      answer(scan, 0x0c);
    }
    assert.deepEqual(gaps, [250, 500, 1000, 2000, 4000, 8000, RETRY_MAX_MS, RETRY_MAX_MS]);
    const before = port.calls.length;
    scan.status(0x0c);
    scan.status(0);
    assert.equal(scan.on, false, 'an accepted enable is not yet a scan: noble confirms it with scanStart');
    scan.started(false);
    assert.equal(scan.on, true);
    await tick(60_000);
    assert.equal(port.calls.length, before, 'no retries once it is on');
  });

  it('a scan that stays off is reported once, after 10 s, naming the last reason; again only after it was back', async () => {
    const { scan, port } = keeper();
    void settled(scan.start());
    const fail = async () => {
      const before = port.calls.length;
      while (port.calls.length === before) await tick(50);
      answer(scan, 0x12);
    };
    answer(scan, 0x12);
    const failedAt: number[] = [0];
    while (port.reports.length === 0) {
      await fail();
      failedAt.push(Date.now() - 1_000_000);
    }
    assert.ok(failedAt.at(-1)! >= SCAN_OFF_REPORT_MS && failedAt.at(-2)! < SCAN_OFF_REPORT_MS, `reported at the first failure 10 s or more into the outage (failures at ${failedAt.join(', ')} ms)`);
    const [report] = port.reports;
    assert.equal(report!.code, 'BLE_SCAN_FAILED');
    assert.match(report!.message, /^hci1: scanning has been off for 1\d s \(\d+ attempts; the last: the controller refused it \(HCI status 0x12, invalid parameters\)\); trying again every 10 s at most$/);
    for (let i = 0; i < 5; i++) await fail();
    assert.equal(port.reports.length, 1, 'once per outage');

    // Back on, then a second outage: reported again.
    const before = port.calls.length;
    while (port.calls.length === before) await tick(50);
    answer(scan, 0);
    assert.equal(scan.on, true);
    scan.stopped();
    const outage = Date.now();
    while (Date.now() - outage < SCAN_OFF_REPORT_MS + 10_000 && port.reports.length === 1) await fail();
    assert.equal(port.reports.length, 2);
  });

  it("a scan noble reports as filtering duplicates is someone else's: taken back after 1 s", async () => {
    const { scan, port } = keeper();
    void settled(scan.start());
    answer(scan, 0);
    scan.started(true);
    assert.equal(scan.on, false);
    await tick(TAKE_BACK_DELAY_MS - 1);
    assert.equal(port.calls.length, 1);
    await tick(1);
    assert.equal(port.calls.length, 2, 'asked again');
    answer(scan, 0);
    assert.equal(scan.on, true);
  });

  it('a foreign scan command in the middle of an attempt fails it at once; the retry follows', async () => {
    const { scan, port } = keeper();
    const first = scan.start();
    scan.status(0x0c);
    scan.started(true);
    assert.match(await settled(first), /another program's scan command \(duplicates filtered\) reached the adapter meanwhile/);
    await tick(250);
    assert.equal(port.calls.length, 2);
  });

  it('a stop it did not ask for is followed by a new start 0.5 s later', async () => {
    const { scan, port } = keeper();
    void settled(scan.start());
    answer(scan, 0);
    scan.stopped();
    assert.equal(scan.on, false);
    await tick(RESUME_DELAY_MS - 1);
    assert.equal(port.calls.length, 1);
    await tick(1);
    assert.equal(port.calls.length, 2);
  });

  it('no answer at all fails the attempt after 5 s', async () => {
    const { scan, port } = keeper();
    const first = scan.start();
    scan.status(0x0c);
    await tick(START_TIMEOUT_MS);
    assert.equal(await settled(first), 'hci1: cannot start scanning: no confirmation within 5 s');
    await tick(250);
    assert.equal(port.calls.length, 2);
  });

  it('leaves a busy adapter alone (a connection attempt): nothing is sent until resume()', async () => {
    const { scan, port } = keeper();
    void settled(scan.start());
    answer(scan, 0);
    port.free = false;
    scan.stopped();
    await tick(60_000);
    assert.equal(port.calls.length, 1);
    assert.equal(port.reports.length, 0, 'a scan the adapter cannot have is not an outage');
    port.free = true;
    scan.resume(0);
    await tick(0);
    assert.equal(port.calls.length, 2);
  });

  it('an adapter going off fails the attempt under way, and nothing is retried or reported until it is back', async () => {
    const { scan, port } = keeper();
    const first = scan.start();
    port.free = false;
    scan.adapterOff('the adapter is poweredOff');
    assert.equal(await settled(first), 'hci1: cannot start scanning: the adapter is poweredOff');
    await tick(120_000);
    assert.deepEqual([port.calls.length, port.reports.length], [1, 0]);
    port.free = true;
    scan.resume(1500);
    await tick(1500);
    assert.equal(port.calls.length, 2);
  });

  it('a scan no longer wanted is not retried; close() fails an attempt under way', async () => {
    const { scan, port } = keeper();
    void settled(scan.start());
    answer(scan, 0x0c);
    scan.unwant();
    await tick(60_000);
    assert.equal(port.calls.length, 1);
    const again = scan.start();
    scan.close();
    assert.equal(await settled(again), 'hci1: cannot start scanning: the central was closed');
    await tick(60_000);
    assert.equal(port.calls.length, 2);
  });
});
