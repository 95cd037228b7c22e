/** The drivers.wifi section: mistakes named by path, passwords never quoted back; the network view's rules. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../runtime/config.js';
import { networkView, viewChanges } from '../runtime/network-source.js';
import type { WifiState } from '../drivers/wifi/wifi.js';

const load = (wifi: Record<string, unknown>) => parseConfig({ stateDir: 'state', bundlesDir: 'bundles', drivers: { system: { binding: 'sim' }, wifi } }, '/etc/vigil/config.json');

test('wifi config: each mistake is named by its path, and an inline password is never quoted', () => {
  assert.throws(() => load({ networks: [{ ssid: 'home', password: 'short' }] }), (err: Error) => /drivers\.wifi\.networks\[0\]\.password: the password is 5 characters; expected 8–63/.test(err.message) && !err.message.includes('short'));
  assert.throws(() => load({ networks: [{ ssid: 'home', password: 'long enough', passwordFile: 'x.psk' }] }), /drivers\.wifi\.networks\[0\]: has both password and passwordFile; expected one of them/);
  assert.throws(() => load({ networks: [{ ssid: 'home' }, { ssid: 'home' }] }), /drivers\.wifi\.networks\[1\]\.ssid: "home" is listed twice/);
  assert.throws(() => load({ hotspot: { ssid: 'pi' } }), /drivers\.wifi\.hotspot: has no password or passwordFile/);
  assert.throws(() => load({ hotspot: { ssid: 'pi', password: 'share-this', band: 'bg', channel: 36 } }), /drivers\.wifi\.hotspot\.channel: 36 is not a 2\.4 GHz channel \(1–14\) for band "bg"/);
  assert.throws(() => load({ binding: 'nmcli', sim: {} }), /drivers\.wifi\.sim: is set but drivers\.wifi\.binding is "nmcli"/);
  assert.throws(() => load({ networks: [{ ssid: 'x'.repeat(33) }] }), /an SSID is at most 32 bytes/);
  const ok = load({ networks: [{ ssid: 'café: "$(x)"', passwordFile: 'home.psk' }] });
  assert.equal(ok.drivers.wifi?.iface, 'wlan0');
  assert.equal(ok.drivers.wifi?.networks[0]?.priority, 0);
});

const wifi = (over: Partial<WifiState>): WifiState => ({ available: true, devices: [{ iface: 'wlan0', type: 'wifi', state: 'connected', connection: 'vigil-home' }, { iface: 'lo', type: 'loopback', state: 'unmanaged' }, { iface: 'p2p-dev-wlan0', type: 'wifi-p2p', state: 'unmanaged' }], link: { iface: 'wlan0', ssid: 'home' }, hotspot: { up: false, iface: 'wlan0', stations: [] }, connectivity: 'full', ...over });
const route = { defaultRoute: { iface: 'wlan0', kind: 'wifi' as const }, internet: true, metered: false };

test("network view: NetworkManager's negative verdict wins over a route; unknown leaves it to the route and probe", () => {
  assert.equal(networkView(route, wifi({})).internet, true);
  for (const c of ['portal', 'limited', 'none'] as const) assert.equal(networkView(route, wifi({ connectivity: c })).internet, false, c);
  assert.equal(networkView(route, wifi({ connectivity: 'unknown' })).internet, true);
  assert.equal(networkView({ internet: false, metered: false }, wifi({})).internet, false, 'a positive verdict does not create a route');
  assert.equal(networkView(route, wifi({ available: false, connectivity: 'none' })).internet, true, 'a NetworkManager that is not answering has no verdict');
  assert.deepEqual(networkView(route, wifi({})).interfaces, [{ iface: 'wlan0', type: 'wifi', state: 'connected' }]);
  assert.equal(networkView({ ...route, defaultRoute: { iface: 'wwan0', kind: 'cellular' }, metered: true }, undefined).metered, true);
});

test('network view changes are told in words', () => {
  const a = networkView(route, wifi({}));
  const b = networkView({ internet: false, metered: false }, wifi({ link: undefined, connectivity: 'none', devices: [{ iface: 'wlan0', type: 'wifi', state: 'disconnected' }] }));
  assert.deepEqual(viewChanges(a, b), ['internet lost', 'default route none', 'connectivity none', 'left "home"', 'wlan0 disconnected']);
  assert.deepEqual(viewChanges(a, a), []);
});
