/**
 * Wi-Fi: what the driver costs a small board, and how fast the network state reaches a task.
 * - nmcli/iw programs started per minute, joined and idle, and with the hotspot up (each is a
 *   process start, the expensive part on a Pi Zero), counted over ten simulated minutes on a
 *   manual clock with the driver's default intervals;
 * - a link dropped behind vigil's back (`nmcli device disconnect` by someone else) → NetworkManager's
 *   monitor line → the driver's refresh → NetworkStateChange → the task's run() entered, on the
 *   simulated NetworkManager (the 250 ms settle window for monitor bursts is part of it).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBoard } from '../../drivers/board.js';
import { NmWifi } from '../../drivers/wifi/nm-driver.js';
import { createSimNetworkManager } from '../../drivers/wifi/sim/config.js';
import { wifiSimSchema } from '../../drivers/wifi/sim/schema.js';
import { FakeClock } from '../../runtime/clock.js';
import { parseConfig } from '../../runtime/config.js';
import { Runtime } from '../../runtime/runtime.js';
import * as v from 'valibot';
import { nowMs, summary } from './stats.js';

declare global {
  var benchNetEntered: ((at: number) => void) | undefined;
}

const AP = { home: { ssid: 'home', channel: 6, password: 'correct horse battery', signal: 70 } };

async function programsPerMinute() {
  const clock = new FakeClock();
  const nm = createSimNetworkManager(v.parse(wifiSimSchema, { associateMs: 100, accessPoints: AP, clients: { phone: { mac: '5c:e9:1e:00:00:01', password: 'share-this-link' } } }), clock, { iface: 'wlan0' });
  await nm.start();
  let calls = 0;
  const run = nm.run.bind(nm);
  nm.run = (program, args, options) => {
    calls++;
    return run(program, args, options);
  };
  const wifi = new NmWifi({ runner: nm, binding: 'sim', iface: 'wlan0', clock });
  wifi.events.on('error', () => {});
  const step = async (ms: number) => {
    for (let t = 0; t < ms; t += 100) {
      clock.advance(100);
      await new Promise((r) => setImmediate(r));
    }
  };
  await wifi.open();
  const joining = wifi.connect({ ssid: 'home', password: AP.home.password });
  await step(3000);
  await joining;
  await step(5000);
  calls = 0;
  await step(600_000);
  const idle = calls / 10;
  const up = wifi.hotspotUp({ ssid: 'vigil-bench', password: 'share-this-link' });
  await step(2000);
  await up;
  nm.joinClient('phone');
  await step(5000);
  calls = 0;
  await step(600_000);
  const hotspot = calls / 10;
  await wifi.close();
  await nm.close();
  return { joinedIdle: idle, hotspotUpWithOneClient: hotspot };
}

async function linkLossToRun(n: number) {
  const root = mkdtempSync(join(tmpdir(), 'vigil-bench-wifi-'));
  const bundle = join(root, 'bundles', 'net');
  mkdirSync(bundle, { recursive: true });
  writeFileSync(join(bundle, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(bundle, 'task.js'), `function nowMs() { const [s, ns] = process.hrtime(); return s * 1000 + ns / 1e6; }
export default function run(i) { if (i.triggerDetails.changes.some((c) => c.startsWith('left'))) globalThis.benchNetEntered?.(nowMs()); }`);
  writeFileSync(join(bundle, 'manifest.json'), JSON.stringify({ name: 'net', version: '1.0.0', tasks: [{ name: 'changed', entry: 'task.js', trigger: { type: 'SystemTrigger', triggerType: 'NetworkStateChange' }, isolation: 'inprocess' }] }));
  const config = parseConfig(
    {
      stateDir: 'state',
      bundlesDir: 'bundles',
      logging: { level: 'warn' },
      drivers: { system: { binding: 'sim' }, wifi: { binding: 'sim', scanIntervalSec: 3600, networks: [{ ssid: 'home', password: AP.home.password }], sim: { associateMs: 50, accessPoints: AP } } },
    },
    join(root, 'config.json'),
  );
  const board = await createBoard(config);
  const rt = await Runtime.start({ config, drivers: board, logSync: true });
  const nm = board.sim!.nm!;
  const wifi = board.wifi!;
  const joined = async () => {
    for (let i = 0; i < 200 && !wifi.state().link; i++) await new Promise((r) => setTimeout(r, 25));
  };
  const samples: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      if (!wifi.state().link) await wifi.connect({ ssid: 'home', password: AP.home.password });
      await joined();
      await new Promise((r) => setTimeout(r, 300));
      const entered = new Promise<number>((resolve) => (globalThis.benchNetEntered = resolve));
      const t0 = nowMs();
      await nm.run('nmcli', ['device', 'disconnect', 'wlan0']);
      samples.push((await entered) - t0);
    }
  } finally {
    globalThis.benchNetEntered = undefined;
    await rt.stop();
  }
  return summary(samples);
}

export async function benchWifi() {
  return { programsPerMinute: await programsPerMinute(), linkLossToRunMs: await linkLossToRun(20) };
}
