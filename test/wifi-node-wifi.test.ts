/**
 * node-wifi as the driver uses it: the real library, its children answered by the stand-in nmcli
 * found on PATH. Its rewrite of process.env is contained, its children still get a fixed locale,
 * and an SSID its parser misreads sends the driver to its own.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExecRunner } from '../drivers/wifi/exec-runner.js';
import { NmWifi } from '../drivers/wifi/nm-driver.js';
import { nodeWifi, wellFormed } from '../drivers/wifi/node-wifi.js';
import { standInNmcli } from './helpers/standin-nmcli.js';

const NODE_WIFI_SCAN = '--terse --fields active,ssid,bssid,mode,chan,freq,signal,security,wpa-flags,rsn-flags device wifi list ifname wlan0';

const nm = standInNmcli();
process.env.PATH = `${nm.dir}:${process.env.PATH}`;
process.env.LANG = 'de_DE.UTF-8';
delete process.env.LC_ALL;

test('loading node-wifi and scanning leaves process.env alone; its nmcli still runs in a fixed locale', async () => {
  nm.answer(NODE_WIFI_SCAN, { stdout: 'yes:home:AA\\:BB\\:CC\\:DD\\:EE\\:01:Infra:6:2437 MHz:72:WPA2:(none):pair_ccmp group_ccmp psk\n' });
  const lib = nodeWifi('wlan0');
  const found = await lib.scan();
  assert.equal(process.env.LANG, 'de_DE.UTF-8');
  assert.equal(process.env.LC_ALL, undefined);
  assert.equal(process.env.LC_MESSAGES, undefined);
  assert.equal(found[0]?.ssid, 'home');
  assert.equal(found[0]?.bssid, 'AA:BB:CC:DD:EE:01');
  assert.equal(found[0]?.channel, 6);
  const call = nm.calls().find((c) => c.args.join(' ') === NODE_WIFI_SCAN);
  assert.equal(call?.lang, 'C.UTF-8', "node-wifi's child got our locale, not en_US (which a Pi may not have)");
});

test('node-wifi is bound to one interface per process: a second one is refused, not silently switched', () => {
  assert.throws(() => nodeWifi('wlan1'), /node-wifi is already bound to wlan0; it keeps one interface per process, and wlan1 was asked for/);
});

test('an SSID with a backslash, which node-wifi returns with the escape left in, is not trusted', async () => {
  nm.answer(NODE_WIFI_SCAN, { stdout: 'no:back\\\\slash:02\\:00\\:00\\:00\\:00\\:00:Infra:6:2437 MHz:100:WPA2:(none):pair_ccmp group_ccmp psk\n' });
  const [n] = await nodeWifi('wlan0').scan();
  assert.equal(n?.ssid, 'back\\\\slash', 'node-wifi keeps nmcli\'s escape');
  assert.equal(wellFormed(n!), false);
});

test("an SSID with ':' that node-wifi misreads: the scan is read again with the driver's own parser", async () => {
  nm.answer('-t -f RUNNING,STATE,CONNECTIVITY,WIFI-HW,WIFI general status', { stdout: 'running:disconnected:none:enabled:enabled\n' });
  nm.answer('-t -f DEVICE,TYPE,STATE,CONNECTION device status', { stdout: 'wlan0:wifi:disconnected:\n' });
  nm.answer('monitor', { stdout: '' });
  nm.answer('device wifi rescan ifname wlan0', { stdout: '' });
  nm.answer(NODE_WIFI_SCAN, { stdout: 'no:Cafe\\: Guest:AA\\:BB\\:CC\\:DD\\:EE\\:02:Infra:11:2462 MHz:40::(none):(none)\n' });
  nm.answer('-t -f IN-USE,SSID,BSSID,CHAN,FREQ,SIGNAL,SECURITY device wifi list ifname wlan0 --rescan yes', { stdout: ' :Cafe\\: Guest:AA\\:BB\\:CC\\:DD\\:EE\\:02:11:2462 MHz:40:\n' });
  const raw = await nodeWifi('wlan0').scan();
  assert.notEqual(raw[0]?.ssid, 'Cafe: Guest', 'node-wifi itself misreads this line (if it stops doing so, the fallback is no longer needed)');
  const wifi = new NmWifi({ runner: new ExecRunner(), binding: 'nmcli', iface: 'wlan0', scanner: () => nodeWifi('wlan0'), pollMs: 3_600_000 });
  const errors: string[] = [];
  wifi.events.on('error', (e) => errors.push(e.message));
  await wifi.open();
  const aps = await wifi.scan();
  await wifi.close();
  assert.deepEqual(aps.map((a) => [a.ssid, a.bssid, a.channel, a.signal, a.security]), [['Cafe: Guest', 'AA:BB:CC:DD:EE:02', 11, 40, '']]);
  assert.ok(errors.some((m) => m.includes('node-wifi misread a network record')), errors.join(' | '));
});
