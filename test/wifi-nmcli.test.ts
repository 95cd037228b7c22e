/**
 * The NetworkManager driver over the real runner: what it runs, what it refuses to put on a
 * command line, and what it makes of a missing or broken nmcli. The stand-in nmcli records each
 * call; the real nmcli (installed by the test setup) is used where its own behaviour is the point.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ExecRunner } from '../drivers/wifi/exec-runner.js';
import { NmWifi } from '../drivers/wifi/nm-driver.js';
import { DriverError } from '../runtime/errors.js';
import { standInNmcli, type StandIn } from './helpers/standin-nmcli.js';

const GENERAL = '-t -f RUNNING,STATE,CONNECTIVITY,WIFI-HW,WIFI general status';
const DEVICES = '-t -f DEVICE,TYPE,STATE,CONNECTION device status';
const LIST = '-t -f IN-USE,SSID,BSSID,CHAN,FREQ,SIGNAL,SECURITY device wifi list ifname wlan0 --rescan';

function workingNm(): StandIn {
  const nm = standInNmcli();
  nm.answer(GENERAL, { stdout: 'running:disconnected:none:enabled:enabled\n' });
  nm.answer(DEVICES, { stdout: 'wlan0:wifi:disconnected:\nlo:loopback:unmanaged:\n' });
  nm.answer('monitor', { stdout: '' });
  nm.answer('connection delete *', { code: 10, stderr: "Error: unknown connection 'x'.\n" });
  nm.answer('connection add *', { stdout: "Connection 'x' (6c1e…) successfully added.\n" });
  nm.answer('connection edit *', { stdout: '' });
  nm.answer(`${LIST} no`, { stdout: '' });
  return nm;
}

function driver(nm: StandIn, iface = 'wlan0'): NmWifi {
  return new NmWifi({ runner: new ExecRunner({ paths: { nmcli: nm.path } }), binding: 'nmcli', iface, pollMs: 3_600_000 });
}

test('connect: the passphrase goes on a pipe, never on a command line; a hostile SSID is one argument', async () => {
  const nm = workingNm();
  const ssid = 'café: "$(touch pwned)" `id`';
  nm.answer('-w 30 connection up *', { stdout: 'Connection successfully activated (D-Bus active path: /org/freedesktop/NetworkManager/ActiveConnection/3)\n' });
  const wifi = driver(nm);
  wifi.events.on('error', () => {});
  await wifi.open();
  const result = await wifi.connect({ ssid, password: 'hunter2-secret' });
  await wifi.close();
  assert.equal(result.ok, true);
  const calls = nm.calls();
  assert.ok(calls.length >= 5, `expected the whole sequence, got ${calls.length} calls`);
  for (const c of calls) assert.ok(!c.args.some((a) => a.includes('hunter2-secret')), `the passphrase was on a command line: nmcli ${c.args.join(' ')}`);
  const edit = calls.find((c) => c.args[0] === 'connection' && c.args[1] === 'edit');
  assert.deepEqual(edit?.args, ['connection', 'edit', 'id', `vigil-${ssid}`]);
  assert.equal(edit?.stdin, 'set wifi-sec.psk hunter2-secret\nsave persistent\nquit\n');
  const add = calls.find((c) => c.args[1] === 'add');
  assert.equal(add?.args[add.args.indexOf('ssid') + 1], ssid, 'the SSID reached nmcli as one argument, unchanged');
  assert.equal(existsSync(join(process.cwd(), 'pwned')), false, 'nothing was run through a shell');
  assert.ok(calls.every((c) => c.lang === 'C.UTF-8'), 'nmcli runs in the C locale, whose messages the driver reads');
});

test('connect: a refused password is a clear result, and the profile is removed so NetworkManager does not retry it', async () => {
  const nm = workingNm();
  nm.answer('-w 30 connection up *', { code: 4, stdout: readFileSync(join(import.meta.dirname, 'fixtures/nmcli/connection-up-wrong-password.txt'), 'utf8'), stderr: readFileSync(join(import.meta.dirname, 'fixtures/nmcli/connection-up-wrong-password.stderr.txt'), 'utf8') });
  const wifi = driver(nm);
  wifi.events.on('error', () => {});
  await wifi.open();
  const result = await wifi.connect({ ssid: 'home', password: 'wrong-password' });
  await wifi.close();
  assert.deepEqual(result, { ok: false, reason: 'wrong-password', message: 'Error: Connection activation failed: Secrets were required, but not provided' });
  const deletes = nm.calls().filter((c) => c.args[1] === 'delete');
  assert.equal(deletes.length, 2, 'deleted before the attempt and again after the refusal');
  assert.deepEqual(deletes[1]!.args, ['connection', 'delete', 'id', 'vigil-home']);
});

test('connect: an access point that is not there, and a timeout, are told apart', async () => {
  const nm = workingNm();
  const wifi = driver(nm);
  wifi.events.on('error', () => {});
  await wifi.open();
  nm.answer('-w 30 connection up *', { code: 4, stderr: 'Error: Connection activation failed: The Wi-Fi network could not be found.\n' });
  assert.equal(((await wifi.connect({ ssid: 'gone' })) as { reason: string }).reason, 'not-found');
  nm.answer('-w 5 connection up *', { code: 3, stderr: 'Error: Timeout expired (5 seconds)\n' });
  assert.equal(((await wifi.connect({ ssid: 'slow', timeoutSec: 5 })) as { reason: string }).reason, 'timeout');
  await wifi.close();
});

test('bad SSIDs and passphrases are refused before nmcli runs, and the message never quotes the passphrase', async () => {
  const nm = workingNm();
  const wifi = driver(nm);
  wifi.events.on('error', () => {});
  await wifi.open();
  const before = nm.calls().length;
  await assert.rejects(wifi.connect({ ssid: 'x'.repeat(33) }), /33 bytes; expected 1–32 bytes/);
  await assert.rejects(wifi.connect({ ssid: 'two\nlines' }), /control character/);
  await assert.rejects(wifi.connect({ ssid: 'home', password: 'short' }), (err: Error) => /5 characters; expected 8–63 printable ASCII/.test(err.message) && !err.message.includes('short'));
  await assert.rejects(wifi.connect({ ssid: 'home', password: 'line\nbreak-pass' }), (err: Error) => /outside printable ASCII/.test(err.message) && !err.message.includes('break-pass'));
  await wifi.close();
  assert.equal(nm.calls().length, before, 'nothing reached nmcli');
});

test('nmcli missing: open() fails with a DriverError saying what to install', async () => {
  const wifi = new NmWifi({ runner: new ExecRunner({ paths: { nmcli: '/nonexistent/bin/nmcli' } }), binding: 'nmcli', iface: 'wlan0' });
  await assert.rejects(wifi.open(), (err: unknown) => err instanceof DriverError && err.code === 'WIFI_NO_NMCLI' && /nmcli was not found on PATH.*apt-get install network-manager/.test(err.message));
});

test('the real nmcli with no NetworkManager to talk to: open() says NetworkManager is not running', async () => {
  // The test setup installs network-manager; no NetworkManager daemon (or system bus) runs here.
  const path = execFileSync('sh', ['-c', 'command -v nmcli'], { encoding: 'utf8' }).trim();
  const wifi = new NmWifi({ runner: new ExecRunner({ paths: { nmcli: path } }), binding: 'nmcli', iface: 'wlan0' });
  await assert.rejects(wifi.open(), (err: unknown) => err instanceof DriverError && err.code === 'WIFI_NM_DOWN' && /NetworkManager is not running \(nmcli: Error: /.test(err.message));
});

test('NetworkManager answering exit 8 while running: the state goes unavailable with an error, and comes back', async () => {
  const nm = workingNm();
  const wifi = driver(nm);
  const errors: string[] = [];
  wifi.events.on('error', (e) => errors.push(e.message));
  await wifi.open();
  assert.equal(wifi.state().available, true);
  nm.answer(GENERAL, { code: 8, stderr: 'Error: NetworkManager is not running.\n' });
  await wifi.refresh();
  assert.equal(wifi.state().available, false);
  assert.ok(errors.some((m) => /NetworkManager stopped answering \(Error: NetworkManager is not running.\)/.test(m)), errors.join(' | '));
  nm.answer(GENERAL, { stdout: 'running:connected:full:enabled:enabled\n' });
  await wifi.refresh();
  assert.equal(wifi.state().available, true);
  assert.equal(wifi.state().connectivity, 'full');
  await wifi.close();
});

test('malformed output: a status that cannot be read is an error event, not a crash or a guess', async () => {
  const nm = workingNm();
  const wifi = driver(nm);
  const errors: string[] = [];
  wifi.events.on('error', (e) => errors.push(e.message));
  await wifi.open();
  nm.answer(DEVICES, { stdout: 'wlan0 wifi connected home\n' });
  await wifi.refresh();
  assert.ok(errors.some((m) => m.includes('nmcli device status printed "wlan0 wifi connected home"; expected DEVICE:TYPE:STATE:CONNECTION')), errors.join(' | '));
  assert.equal(wifi.state().devices[0]?.state, 'disconnected', 'the last good reading stands');
  nm.answer(GENERAL, { stdout: 'Ошибка\n' });
  await wifi.refresh();
  assert.ok(errors.some((m) => m.includes('nmcli general status printed "Ошибка"')), errors.join(' | '));
  await wifi.close();
});

test('scan with nmcli read directly: unreadable lines are skipped and reported, the rest kept', async () => {
  const nm = workingNm();
  nm.answer(`${LIST} yes`, {
    stdout: [' :home:AA\\:BB\\:CC\\:DD\\:EE\\:01:6:2437 MHz:72:WPA2', ' :a\\:b \\\\ c:AA\\:BB\\:CC\\:DD\\:EE\\:02:11:2462 MHz:40:', 'garbage line', ' :x:ZZ\\:BB\\:CC\\:DD\\:EE\\:03:1:2412 MHz:10:WPA2', ''].join('\n'),
  });
  const wifi = driver(nm);
  const errors: string[] = [];
  wifi.events.on('error', (e) => errors.push(e.message));
  await wifi.open();
  const aps = await wifi.scan();
  await wifi.close();
  assert.deepEqual(aps.map((a) => [a.ssid, a.bssid, a.channel, a.frequencyMHz, a.signal, a.security]), [
    ['home', 'AA:BB:CC:DD:EE:01', 6, 2437, 72, 'WPA2'],
    ['a:b \\ c', 'AA:BB:CC:DD:EE:02', 11, 2462, 40, ''],
  ]);
  assert.ok(errors.some((m) => /skipped 2 unreadable line\(s\): "garbage line": 1 fields, expected 7; .*BSSID "ZZ:BB:CC:DD:EE:03" is not a MAC address/.test(m)), errors.join(' | '));
});

test('nmcli disappearing after open (a package removed) is an error event from the refresh, never an unhandled rejection', async () => {
  const nm = workingNm();
  const paths = { nmcli: nm.path };
  const wifi = new NmWifi({ runner: new ExecRunner({ paths }), binding: 'nmcli', iface: 'wlan0', pollMs: 3_600_000 });
  const errors: string[] = [];
  wifi.events.on('error', (e) => errors.push(e.message));
  await wifi.open();
  paths.nmcli = '/nonexistent/bin/nmcli';
  await wifi.refresh();
  await wifi.close();
  assert.ok(errors.some((m) => /nmcli was not found on PATH/.test(m)), errors.join(' | '));
});
