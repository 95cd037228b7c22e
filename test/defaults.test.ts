/**
 * What a new user gets: the embedded default configuration and the example bundles load
 * cleanly, cover every trigger the core implements, and the committed JSON Schemas are current.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createBoard } from '../drivers/board.js';
import { loadConfig } from '../runtime/config.js';
import { defaultConfigPath, packageRoot } from '../runtime/paths.js';
import { Runtime } from '../runtime/runtime.js';
import { tempDir } from './helpers/harness.js';
import { startRun } from './helpers/cli.js';
import { renderSchema, schemaFiles } from './tools/schemas.js';

test('the committed JSON Schemas match the schemas the runtime validates with (npm run schema)', () => {
  for (const file of Object.keys(schemaFiles) as (keyof typeof schemaFiles)[]) {
    assert.equal(readFileSync(join(packageRoot(), file), 'utf8'), renderSchema(file), `${file} is stale: run npm run schema`);
  }
});

test('the embedded default runs every example bundle, covering each trigger the core implements', async () => {
  const config = loadConfig(defaultConfigPath());
  assert.equal(config.drivers.system.binding, 'sim', 'the default is a simulated board');
  assert.equal(config.bundlesDir, join(packageRoot(), 'tasks'));
  config.stateDir = tempDir('vigil-default-');
  const board = await createBoard(config);
  const runtime = await Runtime.start({ config, drivers: board });
  try {
    assert.deepEqual([...runtime.bundles.rejected.keys()], [], JSON.stringify([...runtime.bundles.rejected.values()]));
    assert.deepEqual([...runtime.bundles.loaded.keys()].sort(), ['bluetooth', 'cellular', 'clock', 'device-watch', 'door', 'greenhouse', 'limits', 'network', 'presence']);
    const used = new Set(runtime.registry.records().map((r) => (r.trigger.type === 'SystemTrigger' ? `SystemTrigger:${String((r.trigger as { triggerType: string }).triggerType)}` : r.trigger.type)));
    for (const id of runtime.broker.supportedIds()) assert.ok(used.has(id), `no example bundle uses ${id}`);
  } finally {
    await runtime.stop();
  }
});

test('the Raspberry Pi example configuration is valid and uses the real bindings', () => {
  const config = loadConfig(join(packageRoot(), 'config', 'pi.example.json'));
  assert.equal(config.drivers.system.binding, 'linux');
  assert.equal(config.stateDir, '/var/lib/vigil');
  assert.equal(config.policy.access.bundles['untrusted-demo']?.access, 'DeniedBySystemPolicy');
  assert.equal(config.drivers.modem?.binding, 'serialport');
  assert.equal(config.drivers.modem?.pinFile, '/etc/vigil/sim.pin');
  assert.equal(config.drivers.ble?.binding, 'hci');
  assert.deepEqual(config.drivers.ble?.central, { hci: 0, isolated: true });
  assert.equal(config.drivers.wifi?.binding, 'nmcli');
  assert.ok(config.drivers.wifi?.networks.every((n) => n.password === undefined), 'the example keeps Wi-Fi passwords in files, not in the config');
});

test('the default demo shows Bluetooth LE and Wi-Fi at work: BLE publisher, tag, GATT, notifications; the link lost and a portal passed; the hotspot up and down', async () => {
  const state = tempDir('vigil-demo-ble-');
  const run = await startRun(['--state', state]);
  try {
    const wanted = [
      /beacon +beacon: publisher Started/, /heart-rate +heart rate \d+ bpm from/, /tag-presence +tag 7\/1 arrived/, /GATT read of 2a6e from/, /greenhouse-service +setpoint set to 30 °C/, /sensor garden \(bthome\): /,
      /wifi: joined "home" on wlan0/, /back-online +online again via wlan0 \("home"\)/, /- upload-photos +canceled \(ConditionLoss\)/, /cafe-login +portal on "Café Guest": login answered 200, probe says open/,
      /wifi: captive portal on "Café Guest" passed/, /tethering-entitlement tethering allowed/, /hotspot-up +hotspot up on wlan0/, /hotspot-client-joined hotspot client 5c:e9:1e:00:00:01 joined/, /hotspot-client-left hotspot down: no clients left/,
    ];
    // The Wi-Fi story needs most of the minute: the lost link is given up after 15 s, as NetworkManager does.
    const end = Date.now() + 58_000;
    while (Date.now() < end && !wanted.every((re) => re.test(run.output()))) await new Promise((r) => setTimeout(r, 200));
    for (const re of wanted) assert.match(run.output(), re);
  } finally {
    run.child.kill('SIGINT');
    await run.exited;
  }
});
