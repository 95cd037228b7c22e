/**
 * Bluetooth LE: advert parsing throughput, and the runtime scanning at 1,000 adverts/s from 25
 * simulated devices with three watchers (a manufacturer-data filter with signal strength, a
 * name filter, a byte pattern that matches nothing). Reported: the CPU share of the whole
 * process, the simulated radio's own share measured alone in the same run (so vigil's part is
 * the difference), and how old the oldest and newest advert of a batch are when the task starts
 * (the batch window is 100 ms, so ~100 ms is the design, not a delay).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBoard } from '../../drivers/board.js';
import { createSimRadio } from '../../drivers/ble/sim/config.js';
import { bleSimSchema } from '../../drivers/ble/sim/schema.js';
import { systemClock } from '../../runtime/clock.js';
import { loadConfig } from '../../runtime/config.js';
import { Runtime } from '../../runtime/runtime.js';
import * as v from 'valibot';
import { benchBleParse } from './ble-parse.js';
import { summary } from './stats.js';

declare global {
  var benchBleBatch: ((oldestMs: number, newestMs: number, size: number) => void) | undefined;
}

const DEVICES = 25;
// 25 devices at 20 ms, plus the Core spec's 0–10 ms advDelay each time: about 1,000 adverts/s.
const INTERVAL_MS = 20;
const MEASURE_MS = 5000;

function peripherals() {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < DEVICES; i++) {
    const advert =
      i % 4 === 0
        ? { iBeacon: { uuid: 'e2c56db5-dffb-48d2-b060-d0f5a71096e0', major: i, minor: 1, measuredPower: -59 } }
        : i % 4 === 1
          ? { localName: `sensor-${i}`, serviceUuids: ['181a'], serviceData: [{ uuid: '181a', data: '0a0b0c0d' }] }
          : { manufacturerData: [{ companyId: 0x0059 + i, data: '0102030405' }], localName: 'x' };
    out[`d${i}`] = { advert, intervalMs: INTERVAL_MS, rssi: -50 - i, noiseDb: 3 };
  }
  return out;
}

async function cpuShare(ms: number): Promise<number> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) / 1000 / (performance.now() - t0)) * 100;
}

/** The simulator alone: the same devices, delivered to a listener that does nothing. */
async function radioAlone(): Promise<{ cpuPct: number; advertsPerSec: number }> {
  const radio = createSimRadio(v.parse(bleSimSchema, { seed: 3, peripherals: peripherals() }), systemClock);
  let n = 0;
  const off = radio.listen(() => n++);
  await new Promise((r) => setTimeout(r, 500));
  const n0 = n;
  const cpuPct = await cpuShare(MEASURE_MS);
  const advertsPerSec = ((n - n0) / MEASURE_MS) * 1000;
  off();
  radio.close();
  return { cpuPct, advertsPerSec };
}

async function watchers() {
  const root = mkdtempSync(join(tmpdir(), 'vigil-bench-ble-'));
  const bundle = join(root, 'bundles', 'scan');
  mkdirSync(bundle, { recursive: true });
  writeFileSync(join(bundle, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(
    join(bundle, 'task.js'),
    `export default function run(instance) {
  const a = instance.triggerDetails.advertisements;
  if (!a.length) return;
  const now = Date.now();
  globalThis.benchBleBatch?.(now - Date.parse(a[0].timestamp), now - Date.parse(a[a.length - 1].timestamp), a.length);
}`,
  );
  const task = (name: string, trigger: Record<string, unknown>) => ({ name, entry: 'task.js', isolation: 'inprocess', trigger: { type: 'BluetoothLEAdvertisementWatcherTrigger', batchMs: 100, maxBatch: 1000, ...trigger } });
  writeFileSync(
    join(bundle, 'manifest.json'),
    JSON.stringify({
      name: 'scan',
      version: '1.0.0',
      tasks: [
        task('beacons', { advertisementFilter: { manufacturerData: [{ companyId: 76, data: '0215' }] }, signalStrengthFilter: { inRangeThresholdInDBm: -90, outOfRangeThresholdInDBm: -100, outOfRangeTimeoutSec: 5, samplingIntervalMs: 0 } }),
        task('env', { advertisementFilter: { serviceUuids: ['181a'] } }),
        task('nothing', { advertisementFilter: { bytePatterns: [{ type: 255, offset: 0, data: 'ffff' }] } }),
      ],
    }),
  );
  const configFile = join(root, 'config.json');
  writeFileSync(configFile, JSON.stringify({ stateDir: 'state', bundlesDir: 'bundles', drivers: { system: { binding: 'sim' }, ble: { binding: 'sim', peripheral: false, sim: { seed: 3, peripherals: peripherals() } } }, logging: { level: 'warn' } }));
  const config = loadConfig(configFile);
  const board = await createBoard(config);
  const runtime = await Runtime.start({ config, drivers: board });
  const oldest: number[] = [];
  const newest: number[] = [];
  let delivered = 0;
  await new Promise((r) => setTimeout(r, 500));
  globalThis.benchBleBatch = (o, n, size) => {
    oldest.push(o);
    newest.push(n);
    delivered += size;
  };
  const heard0 = runtime.ble!.status().central!.adverts;
  const cpuPct = await cpuShare(MEASURE_MS);
  const heard = runtime.ble!.status().central!.adverts - heard0;
  globalThis.benchBleBatch = undefined;
  await runtime.stop();
  return { cpuPct, advertsPerSec: (heard / MEASURE_MS) * 1000, deliveredPerSec: (delivered / MEASURE_MS) * 1000, batches: oldest.length, oldestAdvertAgeMs: summary(oldest, 1), newestAdvertAgeMs: summary(newest, 1) };
}

export async function benchBle() {
  const parse = await benchBleParse();
  const alone = await radioAlone();
  const watch = await watchers();
  return {
    parse,
    watcherAt1000PerSec: {
      ...watch,
      simulatorAloneCpuPct: Number(alone.cpuPct.toFixed(2)),
      vigilCpuPct: Number((watch.cpuPct - alone.cpuPct).toFixed(2)),
      cpuPct: Number(watch.cpuPct.toFixed(2)),
      advertsPerSec: Math.round(watch.advertsPerSec),
      deliveredPerSec: Math.round(watch.deliveredPerSec),
    },
  };
}
