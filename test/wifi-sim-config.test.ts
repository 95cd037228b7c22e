// The simulator's configuration (drivers.wifi.sim) and the timeline's Wi-Fi steps: defaults,
// errors that name the field, and steps applied to a running simulator. Shared setup:
// test/helpers/wifi-sim.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as v from 'valibot';
import { FakeClock } from '../runtime/clock.js';
import { ConfigError } from '../runtime/errors.js';
import { check, describeIssue } from '../runtime/schema-errors.js';
import { createSimNetworkManager, wifiSimSchema } from '../drivers/wifi/sim/config.js';
import { WifiEnvironment } from '../drivers/wifi/sim/environment.js';
import { SimNetworkManager } from '../drivers/wifi/sim/nm.js';
import { applyWifiStep, checkWifiStep } from '../drivers/wifi/sim/steps.js';
import { AIR, GENERAL, NOT_RUNNING, addHotspot, pskInput, board } from './helpers/wifi-sim.js';

// ------------------------------------------------------------------------ config and steps

test('the schema fills defaults and names a bad field', () => {
  const cfg = v.parse(wifiSimSchema, { accessPoints: { a: { ssid: 'A', password: 'longenough' }, b: { ssid: 'B' } }, clients: { p: { mac: 'AA:BB:CC:DD:EE:FF' } } });
  assert.equal(cfg.seed, 1);
  assert.equal(cfg.associateMs, 1500);
  assert.equal(cfg.connectivityIntervalSec, 300);
  assert.deepEqual(cfg.accessPoints.a, { ssid: 'A', password: 'longenough', channel: 6, signal: 70, present: true, internet: true, security: 'WPA2' });
  assert.equal(cfg.accessPoints.b!.security, '');
  assert.equal(cfg.clients.p!.mac, 'aa:bb:cc:dd:ee:ff');
  assert.deepEqual(v.parse(wifiSimSchema, {}), { seed: 1, associateMs: 1500, connectivityIntervalSec: 300, accessPoints: {}, clients: {} });
  const bad = (input: unknown) => {
    const r = check(wifiSimSchema, input);
    assert.equal(r.ok, false, JSON.stringify(input));
    return r.ok ? '' : describeIssue(r.issue, 'drivers.wifi.sim', wifiSimSchema).text;
  };
  assert.match(bad({ accessPoints: { a: { ssid: 'A', channel: 15 } } }), /^drivers\.wifi\.sim\.accessPoints\.a\.channel is 15: expected a channel 1–14/);
  assert.match(bad({ accessPoints: { a: { ssid: 'A', security: 'WPA2' } } }), /accessPoints\.a\.password is nothing: expected a password with security "WPA2"/);
  assert.match(bad({ accessPoints: { a: { ssid: 'A', security: '', password: 'longenough' } } }), /accessPoints\.a\.password is "longenough": expected no password on an open network/);
  assert.match(bad({ accessPoints: { a: { ssid: 'A', password: 'short' } } }), /accessPoints\.a\.password is "short": expected a WPA2 passphrase of 8 to 63 characters/);
  assert.match(bad({ accessPoints: { a: { ssid: 'x'.repeat(33) } } }), /accessPoints\.a\.ssid is .*expected an SSID of 1 to 32 bytes/);
  assert.match(bad({ accessPoints: { a: { ssid: 'A', signal: 101 } } }), /accessPoints\.a\.signal is 101: expected a number <= 100/);
  assert.match(bad({ accessPoints: { a: { ssid: 'A', colour: 'red' } } }), /unknown field "colour" in drivers\.wifi\.sim\.accessPoints\.a/);
  assert.match(bad({ accessPoints: { a: { ssid: 'A', bssid: '02:00:00:00:00:01' }, b: { ssid: 'B', bssid: '02:00:00:00:00:01' } } }), /accessPoints is .*expected a different "bssid" for every access point/);
  assert.match(bad({ clients: { p: { mac: 'phone' } } }), /clients\.p\.mac is "phone": expected six hex pairs/);
  assert.match(bad({ accessPoints: [] }), /accessPoints is \[\]: expected an object keyed by name/);
});

test('createSimNetworkManager: a generated bssid colliding with a given one is a ConfigError naming the access point', () => {
  const clock = new FakeClock();
  assert.throws(
    () => createSimNetworkManager(v.parse(wifiSimSchema, { accessPoints: { a: { ssid: 'A' }, b: { ssid: 'B', bssid: 'aa:bb:cc:dd:ee:01' } } }), clock, { iface: 'wlan0' }),
    (err: unknown) => err instanceof ConfigError && err.path === 'drivers.wifi.sim.accessPoints.b' && /same bssid AA:BB:CC:DD:EE:01/.test(err.message),
  );
  const nm = new SimNetworkManager({ clock, environment: new WifiEnvironment() });
  assert.equal(nm.iface, 'wlan0', 'the client interface defaults to wlan0');
  assert.equal(nm.hotspotIface, 'wlan0');
  assert.equal(nm.associateMs, 1500);
  assert.throws(() => nm.environment.accessPoint('nope'), /no simulated access point named "nope" \(access points: none\)/);
});

test('a bad step names the step, the field and what was expected', () => {
  const cfg = v.parse(wifiSimSchema, AIR);
  const field = (step: unknown) => {
    try {
      checkWifiStep(step, 'sim.timeline[2].wifi', cfg);
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      assert.ok(err.message.startsWith(err.path!), `the message starts with the field: ${err.message}`);
      return `${err.path} | ${err.message}`;
    }
    return 'ok';
  };
  const cases: [unknown, RegExp][] = [
    ['home', /^sim\.timeline\[2\]\.wifi \| .*expected an object such as/],
    [{ ap: 'home', client: 'phone' }, /^sim\.timeline\[2\]\.wifi \| .*exactly one of "ap", "client" or "networkManager"/],
    [{ ap: 'home' }, /^sim\.timeline\[2\]\.wifi \| .*one or more of "present", "signal", "internet", "password" with "ap"/],
    [{ ap: 'home', present: 'no' }, /^sim\.timeline\[2\]\.wifi\.present \| .*"no" is invalid: expected true or false/],
    [{ ap: 'home', signal: 120 }, /^sim\.timeline\[2\]\.wifi\.signal \| .*120 is invalid: expected a whole number from 0 to 100/],
    [{ ap: 'home', internet: 1 }, /^sim\.timeline\[2\]\.wifi\.internet \| /],
    [{ ap: 'home', password: 'short' }, /^sim\.timeline\[2\]\.wifi\.password \| .*expected a WPA2 passphrase/],
    [{ ap: 'home', present: false, colour: 'red' }, /^sim\.timeline\[2\]\.wifi\.colour \| .*its fields are ap, present, signal, internet, password/],
    [{ ap: 'garage', present: false }, /^sim\.timeline\[2\]\.wifi\.ap \| .*no simulated access point named "garage" \(access points: home, cafe, attic\)/],
    [{ ap: 'cafe', password: 'longenough' }, /^sim\.timeline\[2\]\.wifi\.password \| .*"cafe" is open/],
    [{ client: 'phone' }, /^sim\.timeline\[2\]\.wifi\.join \| .*is missing: expected true/],
    [{ client: 'laptop', join: true }, /^sim\.timeline\[2\]\.wifi\.client \| .*no simulated client named "laptop" \(clients: phone, tablet\)/],
    [{ networkManager: 'restarting' }, /^sim\.timeline\[2\]\.wifi\.networkManager \| .*expected "stopped" or "running"/],
  ];
  for (const [step, expected] of cases) assert.match(field(step), expected, JSON.stringify(step));
  for (const good of [{ ap: 'home', present: false }, { ap: 'attic', signal: 10, internet: true }, { ap: 'home', password: 'another-one' }, { client: 'phone', join: true }, { networkManager: 'stopped' }]) {
    assert.equal(field(good), 'ok', JSON.stringify(good));
  }
  assert.doesNotThrow(() => checkWifiStep({ ap: 'anything', present: true }, 'x'), 'without the config only the shape is checked');
});

test('steps move the environment, the phones and NetworkManager', async () => {
  const { nm, clock, nmcli, said, join } = board();
  applyWifiStep({ ap: 'attic', signal: 90, present: false }, nm);
  assert.equal(nm.environment.accessPoint('attic').signal, 90);
  assert.equal(nm.environment.accessPoint('attic').present, false);
  applyWifiStep({ ap: 'cafe', internet: false }, nm);
  assert.equal(nm.environment.accessPoint('cafe').internet, false);
  applyWifiStep({ ap: 'home', password: 'rotated-key' }, nm);
  assert.equal((await join('vigil-Home', 'Home', 'home-secret-1')).code, 4, 'the old passphrase no longer works');

  await nmcli(addHotspot('setup'));
  await nmcli(['connection', 'edit', 'id', 'vigil-hotspot'], { stdin: pskInput('hotspot-pass') });
  const p = nmcli(['-w', '30', 'connection', 'up', 'id', 'vigil-hotspot']);
  clock.advance(500);
  await p;
  applyWifiStep({ client: 'phone', join: true }, nm);
  assert.deepEqual(nm.stations(), [{ client: 'phone', mac: 'aa:bb:cc:00:11:22' }]);
  applyWifiStep({ client: 'phone', join: false }, nm);
  assert.deepEqual(nm.stations(), []);

  await said();
  applyWifiStep({ networkManager: 'stopped' }, nm);
  assert.equal(nm.running, false);
  assert.deepEqual(await nmcli(GENERAL), NOT_RUNNING);
  applyWifiStep({ networkManager: 'running' }, nm);
  assert.equal((await nmcli(GENERAL)).stdout, 'running:disconnected:none:enabled:enabled\n');
  assert.throws(() => applyWifiStep({ ap: 'home', signal: 'loud' }, nm), ConfigError, 'an ill-formed step is refused when applied too');
  await nm.close();
});
