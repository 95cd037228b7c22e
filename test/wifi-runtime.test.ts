/**
 * Wi-Fi end to end on the simulated board: the real runtime and the real NetworkManager driver
 * over the simulated NetworkManager. The link follows the access points; the internet
 * conditions and the network SystemTriggers follow the link; a wrong password is tried once;
 * captive portals and the device's own hotspot go through their tasks.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ExecRunner } from '../drivers/wifi/exec-runner.js';
import { NmWifi } from '../drivers/wifi/nm-driver.js';
import { SimSystem } from '../drivers/system/sim.js';
import { FakeClock } from '../runtime/clock.js';
import { Runtime } from '../runtime/runtime.js';
import { finished, makeConfig, startHarness, tempDir, tick, writeBundle, type BundleSpec, type Harness } from './helpers/harness.js';
import { recorded, recorder, until } from './helpers/recorder.js';

const HOME = { ssid: 'home', channel: 6, security: 'WPA2', password: 'correct horse battery', signal: 70 };
const CAFE = { ssid: 'Café Guest', channel: 11, security: '', signal: 45, portal: { user: 'guest', password: 'letmein' } };

function wifiConfig(extra: Record<string, unknown> = {}, sim: Record<string, unknown> = {}) {
  return {
    binding: 'sim',
    iface: 'wlan0',
    scanIntervalSec: 5,
    networks: [{ ssid: 'home', password: HOME.password, priority: 10 }],
    hotspot: { ssid: 'vigil-test', password: 'share-this-link', entitlementMs: 1000 },
    sim: { associateMs: 100, accessPoints: { home: HOME }, clients: { phone: { mac: '5c:e9:1e:00:00:01', password: 'share-this-link' } }, ...sim },
    ...extra,
  };
}

/** Every nmcli command the driver ran, per harness (the join starts a scan after the runtime is up, so nothing is missed). */
const commands = new WeakMap<Harness, string[]>();

async function start(bundle: BundleSpec, wifi = wifiConfig()): Promise<Harness> {
  const h = await startHarness({ bundles: [bundle], config: { drivers: { wifi } } });
  const nm = h.board.sim!.nm!;
  const log: string[] = [];
  const run = nm.run.bind(nm);
  nm.run = (program, args, options) => {
    log.push(`${program} ${args.join(' ')}`);
    return run(program, args, options);
  };
  commands.set(h, log);
  return h;
}

/** How many times the driver asked NetworkManager to activate a profile. */
function activations(h: Harness): number {
  return commands.get(h)!.filter((c) => c.includes(' connection up ')).length;
}

test('joining the configured network raises NetworkStateChange and InternetAvailable; the conditions follow', async (t) => {
  const out = join(await import('node:os').then((os) => os.tmpdir()), `wifi-${process.pid}-1.jsonl`);
  const h = await start({
    name: 'net',
    tasks: [
      { name: 'changed', entry: 'rec.js', trigger: { type: 'SystemTrigger', triggerType: 'NetworkStateChange' }, isolation: 'inprocess' },
      { name: 'online', entry: 'rec.js', trigger: { type: 'SystemTrigger', triggerType: 'InternetAvailable' }, isolation: 'inprocess' },
    ],
    files: { 'rec.js': recorder(out) },
  });
  t.after(() => h.close());
  await until('InternetAvailable', () => recorded(out, 'online').length > 0, 10_000);
  const online = recorded(out, 'online')[0]!;
  assert.equal(online.ssid, 'home');
  assert.deepEqual(online.defaultRoute, { iface: 'wlan0', kind: 'wifi' });
  assert.equal(online.internet, true);
  assert.equal(h.runtime.state.values.internet, true);
  assert.ok(recorded(out, 'changed').some((d) => d.changes.includes('joined "home"')), JSON.stringify(recorded(out, 'changed')));
  assert.equal(h.runtime.wifi!.status().ssid, 'home');
});

test('a task that needs the internet is cancelled with ConditionLoss when the access point goes away', async (t) => {
  const h = await start({
    name: 'net',
    tasks: [
      {
        name: 'upload',
        entry: 'upload.js',
        trigger: { type: 'ApplicationTrigger' },
        conditions: ['InternetAvailable'],
        cancelOnConditionLoss: true,
        isolation: 'inprocess',
      },
    ],
    files: { 'upload.js': `export default async function run(i) { await new Promise((r) => i.signal.addEventListener('abort', r)); }` },
  });
  t.after(() => h.close());
  await until('joined home', () => h.runtime.state.values.internet && h.runtime.wifi!.status().ssid === 'home', 10_000);
  const result = finished(h.runtime, 'upload', 30_000);
  await h.runtime.trigger('upload');
  await until('upload running', () => h.runtime.dispatcher.runningCount() > 0);
  h.board.sim!.nm!.environment.setPresent('home', false);
  const r = await result;
  assert.equal(r.outcome, 'canceled');
  assert.equal(r.reason, 'ConditionLoss');
  assert.equal(h.runtime.state.values.internet, false);
});

test('a wrong password is tried once and then left alone: no retry storm, and status says why', async (t) => {
  const h = await start(
    { name: 'empty', tasks: [], files: {} },
    wifiConfig({ networks: [{ ssid: 'home', password: 'not the password' }], scanIntervalSec: 5 }),
  );
  t.after(() => h.close());
  await until('the refusal', () => h.runtime.wifi!.status().blocked.length > 0, 10_000);
  assert.deepEqual(h.runtime.wifi!.status().blocked, [{ ssid: 'home', reason: 'wrong-password' }]);
  const after = activations(h);
  assert.equal(after, 1);
  // Two more scan intervals: the network is in range and still not tried.
  await new Promise((r) => setTimeout(r, 11_000));
  assert.equal(activations(h), 1, 'no further activation of a network whose password was refused');
  assert.equal(h.runtime.state.values.internet, false);
});

test('a captive portal on an operator hotspot is passed by the authentication task; the internet follows', async (t) => {
  const h = await start(
    {
      name: 'net',
      tasks: [{ name: 'login', entry: 'login.js', trigger: { type: 'NetworkOperatorHotspotAuthenticationTrigger' }, capabilities: ['wifi.portal'], isolation: 'inprocess' }],
      files: {
        'login.js': `export default async function run(i) {
  const { redirectUrl } = i.triggerDetails;
  const res = await fetch(redirectUrl + '/login', { method: 'POST', body: new URLSearchParams({ user: 'guest', password: 'letmein' }) });
  if (res.status !== 200) throw new Error('login refused: ' + res.status);
  const probe = await i.call('wifi.portal');
  if (probe.state !== 'open') throw new Error('still captive');
}`,
      },
    },
    wifiConfig({ networks: [{ ssid: 'Café Guest', operatorHotspot: true }] }, { accessPoints: { cafe: CAFE } }),
  );
  t.after(() => h.close());
  const r = await finished(h.runtime, 'login', 15_000);
  assert.equal(r.outcome, 'succeeded', JSON.stringify(r));
  await until('portal passed', () => h.runtime.wifi!.status().portal?.state === 'authenticated', 5000);
  await until('internet', () => h.runtime.state.values.internet, 5000);
  assert.equal(h.runtime.network!.view.connectivity, 'full');
});

test('a captive portal the task fails to pass leaves the internet unavailable, and says so', async (t) => {
  const h = await start(
    {
      name: 'net',
      tasks: [{ name: 'login', entry: 'login.js', trigger: { type: 'NetworkOperatorHotspotAuthenticationTrigger' }, isolation: 'inprocess' }],
      files: { 'login.js': `export default async function run(i) { await fetch(i.triggerDetails.redirectUrl + '/login', { method: 'POST', body: 'user=guest&password=wrong' }); }` },
    },
    wifiConfig({ networks: [{ ssid: 'Café Guest', operatorHotspot: true }] }, { accessPoints: { cafe: CAFE } }),
  );
  t.after(() => h.close());
  await finished(h.runtime, 'login', 15_000);
  await until('portal failed', () => h.runtime.wifi!.status().portal?.state === 'failed', 5000);
  assert.equal(h.runtime.state.values.internet, false);
  assert.equal(h.runtime.network!.view.connectivity, 'portal');
});

const hotspotBundle = (out: string, entitlement: string): BundleSpec => ({
  name: 'hs',
  tasks: [
    { name: 'ask', entry: 'ask.js', trigger: { type: 'ApplicationTrigger' }, capabilities: ['wifi.hotspot-request'], isolation: 'inprocess' },
    { name: 'entitled', entry: 'entitled.js', trigger: { type: 'TetheringEntitlementCheckTrigger' }, capabilities: ['tethering.respond'], isolation: 'inprocess' },
    { name: 'up', entry: 'up.js', trigger: { type: 'WiFiOnDemandHotspotConnectTrigger' }, capabilities: ['wifi.hotspot:up'], isolation: 'inprocess' },
    { name: 'joined', entry: 'rec.js', trigger: { type: 'CustomSystemEventTrigger', triggerId: 'wifi.client-joined', recurrence: 'Always' }, isolation: 'inprocess' },
    { name: 'left', entry: 'rec.js', trigger: { type: 'CustomSystemEventTrigger', triggerId: 'wifi.client-left', recurrence: 'Always' }, isolation: 'inprocess' },
  ],
  files: {
    'ask.js': `import { appendFileSync } from 'node:fs';
export default async function run(i) { const r = await i.call('wifi.hotspot-request'); appendFileSync(${JSON.stringify(out)}, JSON.stringify({ task: 'ask', details: r }) + '\\n'); }`,
    'entitled.js': entitlement,
    'up.js': `export default async function run(i) { await i.call('wifi.hotspot', 'up'); }`,
    'rec.js': recorder(out),
  },
});

test('hotspot: entitlement allows, the connect task raises it, a phone joins and leaves as device events', async (t) => {
  const out = join((await import('node:os')).tmpdir(), `wifi-${process.pid}-hs.jsonl`);
  const h = await start(hotspotBundle(out, `export default async function run(i) { await i.call('tethering.respond', { allowed: true, reason: 'ok' }); }`));
  t.after(() => h.close());
  await until('joined home', () => h.runtime.wifi!.status().ssid === 'home', 10_000);
  await h.runtime.trigger('ask');
  await until('request answered', () => recorded(out, 'ask').length > 0);
  assert.equal(recorded(out, 'ask')[0]!.result, 'raised');
  await until('hotspot up', () => h.runtime.wifi!.status().hotspot.up, 5000);
  assert.equal(h.runtime.wifi!.status().hotspot.ssid, 'vigil-test');
  h.board.sim!.nm!.joinClient('phone');
  await until('client joined', () => recorded(out, 'joined').length > 0, 8000);
  assert.equal(recorded(out, 'joined')[0]!.mac, '5c:e9:1e:00:00:01');
  h.board.sim!.nm!.leaveClient('phone');
  await until('client left', () => recorded(out, 'left').length > 0, 8000);
  assert.equal(recorded(out, 'left')[0]!.stations, 0);
});

test('hotspot: a denial, and an entitlement task that ends without answering, both keep it down', async (t) => {
  const out = join((await import('node:os')).tmpdir(), `wifi-${process.pid}-deny.jsonl`);
  const h = await start(
    hotspotBundle(
      out,
      `let n = 0; export default async function run(i) { if (++n === 1) await i.call('tethering.respond', { allowed: false, reason: 'plan has no tethering' }); }`,
    ),
  );
  t.after(() => h.close());
  await h.runtime.trigger('ask');
  await until('first answer', () => recorded(out, 'ask').length === 1);
  assert.deepEqual(recorded(out, 'ask')[0], { requestId: 'hotspot-1', result: 'denied', reason: 'plan has no tethering' });
  await h.runtime.trigger('ask');
  await until('second answer', () => recorded(out, 'ask').length === 2);
  assert.deepEqual(recorded(out, 'ask')[1], { requestId: 'hotspot-2', result: 'denied', reason: 'the entitlement task ended without an answer' });
  assert.equal(h.runtime.wifi!.status().hotspot.up, false);
});

test('NetworkManager stopping is a state, not a crash; the driver comes back by itself', async (t) => {
  const h = await start({ name: 'empty', tasks: [], files: {} });
  t.after(() => h.close());
  await until('joined home', () => h.runtime.wifi!.status().ssid === 'home', 10_000);
  h.board.sim!.nm!.setNetworkManager('stopped');
  await until('unavailable', () => !h.runtime.wifi!.status().available, 8000);
  assert.equal(h.runtime.state.values.internet, true, 'the link itself did not go: only NetworkManager did');
  h.board.sim!.nm!.setNetworkManager('running');
  await until('available again', () => h.runtime.wifi!.status().available, 40_000);
});

test('no nmcli on the device: the runtime runs on without Wi-Fi, status says why, and the driver keeps trying', async (t) => {
  const root = tempDir();
  const out = join(root, 'runs.jsonl');
  const config = makeConfig(root, { config: { drivers: { wifi: { binding: 'nmcli', iface: 'wlan0', networks: [{ ssid: 'home', password: HOME.password }] } } } });
  writeBundle(config.bundlesDir, { name: 'app', tasks: [{ name: 'work', entry: 'rec.js', trigger: { type: 'ApplicationTrigger' }, isolation: 'inprocess' }], files: { 'rec.js': recorder(out) } });
  // The real binding, with nmcli where there is none.
  const attempts: number[] = [];
  const runner = new ExecRunner({ paths: { nmcli: join(root, 'no-such-nmcli') } });
  const run = runner.run.bind(runner);
  runner.run = (program, args, options) => {
    attempts.push(Date.now());
    return run(program, args, options);
  };
  const wifi = new NmWifi({ runner, binding: 'nmcli', iface: 'wlan0' });
  const clock = new FakeClock(Date.now());
  const rt = await Runtime.start({ config, drivers: { system: new SimSystem({ clock }), wifi }, clock, logSync: true });
  t.after(() => rt.stop());
  const status = rt.status().drivers.find((d) => d.name === 'wifi');
  assert.equal(status?.state, 'failed');
  assert.match(status?.error ?? '', /nmcli was not found on PATH; the Wi-Fi driver needs it \(apt-get install network-manager\)/);
  await rt.trigger('work');
  await until('the task ran', () => recorded(out, 'work').length === 1);
  assert.equal(rt.state.values.internet, true, 'conditions keep what the system driver says');
  // Retried in the background: 5 s, then 10 s.
  const before = attempts.length;
  clock.advance(5_000);
  await until('a second attempt', () => attempts.length > before);
  // Its failure arms the next timer once the spawn error is in.
  await tick(200);
  clock.advance(9_000);
  await tick(50);
  assert.equal(attempts.length, before + 1, 'the next attempt waits 10 s');
  clock.advance(1_000);
  await until('a third attempt', () => attempts.length > before + 1);
});
