// The hotspot in the simulated NetworkManager: raising it, phones joining and leaving, iw's
// station dump, and one radio shared with the client connection. Shared setup:
// test/helpers/wifi-sim.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SimWifiEvents } from '../drivers/wifi/sim/nm.js';
import { AIR, GENERAL, DEVICES, LIST, REST, addHotspot, pskInput, board, settled } from './helpers/wifi-sim.js';

// --------------------------------------------------------------------------------- hotspot

test('the hotspot: 500 ms up, listed as its own access point, phones join with the right passphrase', async () => {
  const { nm, clock, nmcli, said } = board({ ...AIR, seed: 3 });
  const events: Array<SimWifiEvents['station'][0] | SimWifiEvents['refused'][0]> = [];
  nm.events.on('station', (e) => events.push(e));
  nm.events.on('refused', (e) => events.push(e));

  assert.equal(nm.joinClient('phone'), false, 'no hotspot yet');
  const add = await nmcli(addHotspot('vigil-setup', ['802-11-wireless.channel', '6']));
  assert.match(add.stdout, /^Connection 'vigil-hotspot' \([0-9a-f-]{36}\) successfully added\.\n$/);
  assert.equal((await nmcli(['connection', 'edit', 'id', 'vigil-hotspot'], { stdin: pskInput('hotspot-pass') })).code, 0);
  await said();
  const pending = nmcli(['-w', '30', 'connection', 'up', 'id', 'vigil-hotspot']);
  clock.advance(499);
  assert.equal(await settled(pending), false);
  clock.advance(1);
  assert.deepEqual(await pending, { code: 0, stdout: 'Connection successfully activated (D-Bus active path: /org/freedesktop/NetworkManager/ActiveConnection/1)\n', stderr: '' });
  assert.deepEqual((await said()).slice(-3), ['wlan0: connected', "Networkmanager is now in the 'connected (local only)' state", "Connectivity is now 'limited'"]);
  assert.equal((await nmcli(DEVICES)).stdout, `wlan0:wifi:connected:vigil-hotspot\n${REST}`);
  assert.equal((await nmcli(GENERAL)).stdout, 'running:connected (local only):limited:enabled:enabled\n');
  const mac = nm.deviceMac('wlan0').replaceAll(':', '\\:');
  assert.equal((await nmcli([...LIST, 'yes'])).stdout, `*:vigil-setup:${mac}:6:2437 MHz:0:WPA1 WPA2\n`, 'no scanning in AP mode: NetworkManager lists the hotspot itself');

  assert.deepEqual(await nm.run('iw', ['dev', 'wlan0', 'station', 'dump']), { code: 0, stdout: '', stderr: '' });
  assert.equal(nm.joinClient('tablet'), false, 'the tablet tries another passphrase');
  assert.equal(nm.joinClient('phone'), true);
  clock.advance(12_000);
  const dump = (await nm.run('iw', ['dev', 'wlan0', 'station', 'dump'])).stdout;
  assert.match(dump, /^Station aa:bb:cc:00:11:22 \(on wlan0\)\n\tinactive time:\t\d+ ms\n\trx bytes:\t\d+\n/);
  assert.match(dump, /\n\tsignal:  \t-\d+ dBm\n/);
  assert.match(dump, /\n\tconnected time:\t12 seconds\n/);
  assert.match(dump, new RegExp(`\\n\\tcurrent time:\\t${clock.now()} ms\\n$`));
  assert.deepEqual(nm.stations(), [{ client: 'phone', mac: 'aa:bb:cc:00:11:22' }]);

  await said();
  assert.deepEqual(await nmcli(['connection', 'down', 'id', 'vigil-hotspot']), { code: 0, stdout: "Connection 'vigil-hotspot' successfully deactivated (D-Bus active path: /org/freedesktop/NetworkManager/ActiveConnection/1)\n", stderr: '' });
  assert.deepEqual(nm.stations(), []);
  assert.deepEqual(await said(), ['wlan0: deactivating', "Networkmanager is now in the 'disconnecting' state", 'wlan0: disconnected', "Networkmanager is now in the 'disconnected' state", "Connectivity is now 'none'"]);
  assert.deepEqual(events, [
    { client: 'phone', mac: 'aa:bb:cc:00:11:22', reason: 'no-hotspot' },
    { client: 'tablet', mac: '02:00:00:00:00:07', reason: 'wrong-password' },
    { client: 'phone', mac: 'aa:bb:cc:00:11:22', joined: true },
    { client: 'phone', mac: 'aa:bb:cc:00:11:22', joined: false },
  ]);
  assert.equal((await nm.run('iw', ['dev', 'wlan0', 'station', 'dump'])).stdout, '');
  await nm.close();
});

test('one radio: joining a network drops the hotspot, raising the hotspot drops the network', async () => {
  const { nm, clock, nmcli, said, join } = board();
  await nmcli(addHotspot('vigil-setup'));
  await nmcli(['connection', 'edit', 'id', 'vigil-hotspot'], { stdin: pskInput('hotspot-pass') });
  let p = nmcli(['-w', '30', 'connection', 'up', 'id', 'vigil-hotspot']);
  clock.advance(500);
  assert.equal((await p).code, 0);
  nm.joinClient('phone');
  await said();

  assert.equal((await join('vigil-Home', 'Home', 'home-secret-1')).code, 0);
  assert.deepEqual(nm.stations(), [], 'the phone lost the hotspot');
  const lines = await said();
  assert.deepEqual(lines.slice(lines.indexOf('wlan0: deactivating'), lines.indexOf("wlan0: using connection 'vigil-Home'") + 1), [
    'wlan0: deactivating',
    "Networkmanager is now in the 'disconnecting' state",
    'wlan0: disconnected',
    "Networkmanager is now in the 'disconnected' state",
    "Connectivity is now 'none'",
    "wlan0: using connection 'vigil-Home'",
  ]);

  p = nmcli(['-w', '30', 'connection', 'up', 'id', 'vigil-hotspot']);
  clock.advance(500);
  assert.equal((await p).code, 0);
  assert.equal((await nmcli(DEVICES)).stdout, `wlan0:wifi:connected:vigil-hotspot\n${REST}`);
  assert.deepEqual((await said()).slice(0, 7), [
    'wlan0: deactivating',
    "Networkmanager is now in the 'disconnecting' state",
    'wlan0: disconnected',
    "Networkmanager is now in the 'disconnected' state",
    "There's no primary connection",
    "Connectivity is now 'none'",
    "wlan0: using connection 'vigil-hotspot'",
  ]);

  // With its own interface the hotspot leaves the client alone.
  const two = board(AIR, { hotspotIface: 'wlan1' });
  assert.equal((await two.join('vigil-Home', 'Home', 'home-secret-1')).code, 0);
  await two.nmcli(['connection', 'add', 'type', 'wifi', 'ifname', 'wlan1', 'con-name', 'vigil-hotspot', 'autoconnect', 'no', 'ssid', 'setup', '802-11-wireless.mode', 'ap', '802-11-wireless.band', 'a', 'ipv4.method', 'shared', 'wifi-sec.key-mgmt', 'wpa-psk']);
  await two.nmcli(['connection', 'edit', 'id', 'vigil-hotspot'], { stdin: pskInput('hotspot-pass') });
  p = two.nmcli(['-w', '30', 'connection', 'up', 'id', 'vigil-hotspot']);
  two.clock.advance(500);
  assert.equal((await p).code, 0);
  assert.equal((await two.nmcli(DEVICES)).stdout, 'wlan0:wifi:connected:vigil-Home\nwlan1:wifi:connected:vigil-hotspot\nlo:loopback:unmanaged:\np2p-dev-wlan0:wifi-p2p:unmanaged:\np2p-dev-wlan1:wifi-p2p:unmanaged:\n');
  assert.match((await two.nmcli(['-t', '-f', 'FREQ', 'device', 'wifi', 'list', 'ifname', 'wlan1', '--rescan', 'no'])).stdout, /^5\d{3} MHz\n$/, 'band a: a 5 GHz channel');
  two.clock.advance(1000);
  assert.equal((await two.nmcli(GENERAL)).stdout, 'running:connected:full:enabled:enabled\n', 'the client connection stays primary');
  await Promise.all([nm.close(), two.nm.close()]);
});

test('a hotspot profile with a channel outside its band is refused when added', async () => {
  const { nmcli, nm } = board();
  const r = await nmcli(addHotspot('x', ['802-11-wireless.channel', '36']));
  assert.deepEqual(r, { code: 2, stdout: '', stderr: "Error: Failed to add 'vigil-hotspot' connection: 802-11-wireless.channel: '36' is not a valid channel\n" });
  await nm.close();
});
