// The simulated NetworkManager against a real NetworkManager 1.42 recorded in the lab
// (test/fixtures/nmcli): nmcli's and iw's output and the monitor's lines, byte for byte where the
// recording allows. Shared setup: test/helpers/wifi-sim.ts.
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitTerse } from '../drivers/wifi/terse.js';
import { GENERAL, NODE_WIFI, CHECK, pskInput, turn, board } from './helpers/wifi-sim.js';

// ------------------------------------------------------------------ against real nmcli

/** A file recorded from a real NetworkManager 1.42 in the lab (test/fixtures/nmcli/README.md). */
const recorded = (name: string) => readFileSync(new URL(`./fixtures/nmcli/${name}`, import.meta.url), 'utf8');
/** Its lines, without the lab's extra radio device and the logger's exit note. */
const recordedLines = (name: string) => recorded(name).split('\n').filter((l) => l !== '' && !l.includes('hwsim0') && !l.startsWith('EXIT '));
/** UUIDs and D-Bus object numbers differ from run to run. */
const normal = (text: string) => text.replace(/[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}/g, 'UUID').replace(/ActiveConnection\/\d+/g, 'ActiveConnection/N');
/** The signal carries noise; everything else must match. */
const noSignal = (text: string, field: number) => text.split('\n').map((l) => splitTerse(l).map((f, i) => (i === field ? 'S' : f)).join('|')).join('\n');

test('the simulator prints what the recorded NetworkManager printed', async () => {
  const lab = {
    accessPoints: { lab: { ssid: 'lab-ap', bssid: '02:00:00:00:00:00', password: 'supersecret', signal: 90 } },
    clients: { phone: { mac: '02:00:00:00:02:00', password: 'hotspot-pass' } },
  };
  const { nm, clock, nmcli, said } = board(lab, { iface: 'wlan1' });
  await nm.start();
  try {
    const same = (actual: string, file: string) => assert.equal(normal(actual), normal(recorded(file)), file);
    const sameLines = async (file: string) => assert.deepEqual(await said(), recordedLines(file), file);
    const DEV = ['-t', '-f', 'DEVICE,TYPE,STATE,CONNECTION', 'device', 'status'];
    const LAB_LIST = ['-t', '-f', 'IN-USE,SSID,BSSID,CHAN,FREQ,SIGNAL,SECURITY', 'device', 'wifi', 'list', 'ifname', 'wlan1'];
    const upLab = (name: string) => nmcli(['-w', '30', 'connection', 'up', 'id', name, 'ifname', 'wlan1']);

    same((await nmcli(GENERAL)).stdout, 'general-status-disconnected.txt');
    assert.equal((await nmcli(DEV)).stdout, recordedLines('device-status-disconnected.txt').join('\n') + '\n');
    same((await nmcli(CHECK)).stdout, 'connectivity-check-none.txt');
    const scan = nmcli([...LAB_LIST, '--rescan', 'yes']);
    clock.advance(1000);
    assert.equal(noSignal((await scan).stdout, 5), noSignal(recorded('wifi-list-rescan.txt'), 5));

    const add = await nmcli(['connection', 'add', 'type', 'wifi', 'ifname', 'wlan1', 'con-name', 'lab-a', 'ssid', 'lab-ap', 'connection.autoconnect-retries', '1', 'wifi-sec.key-mgmt', 'wpa-psk']);
    same(add.stdout, 'connection-add.txt');
    const edit = await nmcli(['connection', 'edit', 'id', 'lab-a'], { stdin: 'set wifi-sec.psk supersecret\nsave persistent\nquit\n' });
    assert.equal(normal(edit.stdout), normal(recorded('connection-edit-psk.txt')).replace('supersecret', '********'), 'the editor, its echo masked');
    await said();

    const up = upLab('lab-a');
    clock.advance(1500);
    same((await up).stdout, 'connection-up-ok.txt');
    clock.advance(1000);
    await sameLines('monitor-connect.txt');
    same((await nmcli(GENERAL)).stdout, 'general-status-connected.txt');
    assert.equal((await nmcli(DEV)).stdout, recordedLines('device-status-connected.txt').join('\n') + '\n');
    assert.equal(noSignal((await nmcli([...LAB_LIST])).stdout, 5), noSignal(recorded('wifi-list-in-use.txt'), 5));
    assert.equal(noSignal((await nmcli([...NODE_WIFI.slice(0, -1), 'wlan1'])).stdout, 6), noSignal(recorded('wifi-list-node-wifi-in-use.txt'), 6));
    same((await nmcli(CHECK)).stdout, 'connectivity-check-full.txt');

    same((await nmcli(['connection', 'down', 'id', 'lab-a'])).stdout, 'connection-down-ok.txt');
    await sameLines('monitor-connection-down.txt');
    same((await nmcli(['connection', 'down', 'id', 'lab-a'])).stderr, 'connection-down-not-active.stderr.txt');
    same((await nmcli(['connection', 'down', 'id', 'no-such-profile'])).stderr, 'connection-down-unknown.stderr.txt');
    same((await nmcli(['connection', 'up', 'id', 'no-such-profile'])).stderr, 'connection-up-unknown.stderr.txt');
    same((await nmcli(['connection', 'delete', 'id', 'no-such-profile'])).stderr, 'connection-delete-unknown.stderr.txt');
    same((await nmcli(['device', 'disconnect', 'wlan1'])).stderr, 'device-disconnect-not-active.stderr.txt');
    same((await nmcli(['device', 'disconnect', 'wlan9'])).stderr, 'device-disconnect-no-device.stderr.txt');

    await nmcli(['connection', 'edit', 'id', 'lab-a'], { stdin: 'set wifi-sec.psk wrongpassword\nsave persistent\nquit\n' });
    await said();
    const wrong = upLab('lab-a');
    clock.advance(1500);
    const w = await wrong;
    assert.equal(w.code, 4);
    same(w.stdout, 'connection-up-wrong-password.txt');
    same(w.stderr, 'connection-up-wrong-password.stderr.txt');
    await sameLines('monitor-wrong-password.txt');
    clock.advance(20_000);
    assert.deepEqual(await said(), recordedLines('monitor-after-wrong-password-20s.txt'), 'no retry');

    await nmcli(['connection', 'edit', 'id', 'lab-a'], { stdin: 'set wifi-sec.psk supersecret\nsave persistent\nquit\n' });
    const again = upLab('lab-a');
    clock.advance(2500);
    assert.equal((await again).code, 0);
    await said();
    // The portal login is a different network here: its monitor lines are those of any check that finds the way out.
    nm.environment.setPresent('lab', false);
    clock.advance(15_000);
    await sameLines('monitor-ap-vanished.txt');
    same((await nmcli(CHECK)).stdout, 'connectivity-check-none.txt');
    const gone = upLab('lab-a');
    clock.advance(25_000);
    same((await gone).stderr, 'connection-up-not-found.stderr.txt');
    assert.deepEqual((await said()).map((l) => l.replace('lab-a', 'lab-c')), recordedLines('monitor-ap-gone-before-up.txt'));
    const scanGone = nmcli([...LAB_LIST, '--rescan', 'yes']);
    clock.advance(1000);
    same((await scanGone).stdout, 'wifi-list-ap-gone.txt');
    nm.environment.setPresent('lab', true);
    same((await nmcli(['connection', 'delete', 'id', 'lab-a'])).stdout, 'connection-delete-ok.txt');

    await nmcli(['connection', 'add', 'type', 'wifi', 'ifname', 'wlan1', 'con-name', 'vigil-hotspot', 'autoconnect', 'no', 'ssid', 'vigil-setup', '802-11-wireless.mode', 'ap', '802-11-wireless.band', 'bg', 'ipv4.method', 'shared', 'wifi-sec.key-mgmt', 'wpa-psk']);
    await nmcli(['connection', 'edit', 'id', 'vigil-hotspot'], { stdin: pskInput('hotspot-pass') });
    await said();
    const hotspot = nmcli(['-w', '30', 'connection', 'up', 'id', 'vigil-hotspot']);
    clock.advance(500);
    same((await hotspot).stdout, 'connection-up-hotspot.txt');
    await sameLines('monitor-hotspot-up.txt');
    same((await nmcli(GENERAL)).stdout, 'general-status-hotspot.txt');
    assert.equal((await nmcli(DEV)).stdout, recordedLines('device-status-hotspot.txt').join('\n') + '\n');
    nm.joinClient('phone');
    const keys = (dump: string) => dump.split('\n').map((l) => (l.startsWith('\t') ? /^\t([^:]+):/.exec(l)![1] : l.split(' ')[0]));
    const dump = (await nm.run('iw', ['dev', 'wlan1', 'station', 'dump'])).stdout;
    assert.deepEqual(keys(dump), keys(recorded('iw-station-dump-one.txt')), 'the same fields in the same order');
    assert.equal(dump.split('\n')[0], recorded('iw-station-dump-one.txt').split('\n')[0]);
    nm.leaveClient('phone');
    same((await nm.run('iw', ['dev', 'wlan1', 'station', 'dump'])).stdout, 'iw-station-dump-none.txt');
    await said();
    await nmcli(['connection', 'down', 'id', 'vigil-hotspot']);
    await sameLines('monitor-hotspot-down.txt');

    nm.setNetworkManager('stopped');
    await sameLines('monitor-nm-stopped-sigterm.txt');
    same((await nmcli(GENERAL)).stderr, 'general-status-nm-stopped.stderr.txt');
    same((await nmcli(DEV)).stderr, 'device-status-nm-stopped.stderr.txt');
    same((await nmcli(CHECK)).stderr, 'connectivity-check-nm-stopped.stderr.txt');
    const waiting: string[] = [];
    nm.monitor((l) => waiting.push(l), () => {});
    await turn();
    assert.deepEqual(waiting, recordedLines('monitor-started-while-nm-stopped.txt'));
    nm.setNetworkManager('running');
    // The recording followed a SIGKILL, which had not yet said "unknown"; the host name is the lab's.
    const restarted = recordedLines('monitor-nm-restarted.txt').filter((l) => l !== "Connectivity is now 'unknown'" && !l.startsWith('Hostname set to'));
    assert.deepEqual(await said(), restarted, 'monitor-nm-restarted.txt: the monitor kept running through the stop');
    assert.deepEqual(waiting.slice(1), restarted, 'monitor-nm-restarted.txt: one started meanwhile');
  } finally {
    await nm.close();
  }
});

test('the captive portal as the recorded NetworkManager reported it', async () => {
  const { nm, clock, nmcli, said } = board({ accessPoints: { lab: { ssid: 'lab-ap', portal: { user: 'u', password: 'p' } } } }, { iface: 'wlan1' });
  await nm.start();
  try {
    await nmcli(['connection', 'add', 'type', 'wifi', 'ifname', 'wlan1', 'con-name', 'lab-a', 'ssid', 'lab-ap', 'connection.autoconnect-retries', '1']);
    const up = nmcli(['-w', '30', 'connection', 'up', 'id', 'lab-a', 'ifname', 'wlan1']);
    clock.advance(2500);
    assert.equal((await up).code, 0);
    assert.equal(await nmcli(CHECK).then((r) => r.stdout), recorded('connectivity-check-portal.txt'));
    assert.equal((await nmcli(GENERAL)).stdout, recorded('general-status-portal.txt'));
    await said();
    const portal = nm.portalUrl('lab-ap');
    assert.equal((await fetch(`${portal}/login`, { method: 'POST', body: new URLSearchParams({ user: 'u', password: 'p' }) })).status, 200);
    await nmcli(CHECK);
    assert.deepEqual(await said(), recordedLines('monitor-portal-login.txt'));
  } finally {
    await nm.close();
  }
});
