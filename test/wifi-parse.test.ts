/**
 * The parsers against what NetworkManager 1.42 and iw really printed in the lab
 * (test/fixtures/nmcli, recorded from a real NetworkManager on mac80211_hwsim radios).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { connectFailure, notRunning, parseConnectivity, parseDevices, parseGeneral, parseStations, parseWifiList } from '../drivers/wifi/nm-parse.js';
import { escapeTerse, joinTerse, splitTerse } from '../drivers/wifi/terse.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures/nmcli', name), 'utf8');

test('general status in each state the lab produced', () => {
  assert.deepEqual(parseGeneral(fixture('general-status-connected.txt')), { running: true, state: 'connected', connectivity: 'full', wifiHardware: true, wifi: true });
  assert.equal(parseGeneral(fixture('general-status-disconnected.txt')).connectivity, 'none');
  assert.deepEqual([parseGeneral(fixture('general-status-portal.txt')).state, parseGeneral(fixture('general-status-portal.txt')).connectivity], ['connected (site only)', 'portal']);
  assert.equal(parseGeneral(fixture('general-status-hotspot.txt')).connectivity, 'limited');
  assert.equal(notRunning(8, fixture('general-status-nm-stopped.stderr.txt')), true);
  assert.equal(notRunning(0, ''), false);
});

test('device status: states with spaces and parentheses, profiles, and devices without one', () => {
  assert.deepEqual(parseDevices(fixture('device-status-connecting.txt'))[0], { iface: 'wlan1', type: 'wifi', state: 'connecting (checking IP connectivity)', connection: 'lab-c' });
  assert.deepEqual(parseDevices(fixture('device-status-hotspot.txt')).map((d) => [d.iface, d.connection ?? null]), [['wlan1', 'vigil-hotspot'], ['lo', null], ['hwsim0', null], ['p2p-dev-wlan1', null]]);
});

test('scan lines: escaped BSSIDs, the in-use mark, and SSIDs with ":", "\\", quotes, $(…), backticks and double spaces', () => {
  const { aps, skipped } = parseWifiList(fixture('wifi-list-in-use.txt'));
  assert.deepEqual(skipped, []);
  assert.deepEqual(aps, [{ inUse: true, ssid: 'lab-ap', bssid: '02:00:00:00:00:00', channel: 6, frequencyMHz: 2437, signal: 90, security: 'WPA2' }]);
  assert.equal(parseWifiList(fixture('wifi-list-rescan.txt')).aps[0]?.inUse, false);
  assert.deepEqual(parseWifiList(fixture('wifi-list-special-ssid-utf8.txt')).aps.map((a) => a.ssid), ['café: "$(x)" `y`', 'back\\slash and  spaces', 'lab-ap']);
  // The C locale turns é into "?": why the runner gives nmcli C.UTF-8.
  assert.equal(parseWifiList(fixture('wifi-list-special-ssid-c-locale.txt')).aps[0]?.ssid, 'caf?: "$(x)" `y`');
  assert.deepEqual(parseWifiList(fixture('wifi-list-ap-gone.txt')), { aps: [], skipped: [] });
});

test('terse escaping round-trips what nmcli prints', () => {
  for (const line of fixture('wifi-list-special-ssid-utf8.txt').trim().split('\n')) assert.equal(joinTerse(splitTerse(line)), line);
  assert.equal(escapeTerse('a:b\\c'), 'a\\:b\\\\c');
});

test('connectivity words, and anything else refused', () => {
  assert.equal(parseConnectivity(fixture('connectivity-check-full.txt')), 'full');
  assert.equal(parseConnectivity(fixture('connectivity-check-portal.txt')), 'portal');
  assert.equal(parseConnectivity(fixture('connectivity-check-none.txt')), 'none');
  assert.throws(() => parseConnectivity('vollständig\n'), /printed "vollständig"; expected one of full, portal, limited, none, unknown/);
});

test('activation failures as nmcli reported them', () => {
  assert.equal(connectFailure(4, fixture('connection-up-wrong-password.stderr.txt')), 'wrong-password');
  assert.equal(connectFailure(4, fixture('connection-up-no-secret.stderr.txt')), 'wrong-password');
  assert.equal(connectFailure(4, fixture('connection-up-not-found.stderr.txt')), 'not-found');
  assert.equal(connectFailure(4, fixture('connection-up-ap-killed-midway.stderr.txt')), 'not-found');
  assert.equal(connectFailure(3, fixture('connection-up-passwd-file-wrong-timeout.stderr.txt')), 'timeout');
  assert.equal(connectFailure(10, fixture('connection-up-unknown.stderr.txt')), 'failed');
});

test("iw station dump: the hotspot's clients with signal", () => {
  assert.deepEqual(parseStations(fixture('iw-station-dump-one.txt')).map((s) => [s.mac, s.signalDbm]), [['02:00:00:00:02:00', -30]]);
  assert.ok((parseStations(fixture('iw-station-dump-one.txt'))[0]?.connectedSec ?? -1) >= 0);
  assert.deepEqual(parseStations(fixture('iw-station-dump-none.txt')), []);
});
