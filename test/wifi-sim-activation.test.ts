// Activations in the simulated NetworkManager: `connection up` on the simulated clock with its
// monitor lines, the ways it fails (passphrase, network not found, -w, the runner's timeout), and
// a connected board losing its access point. Shared setup: test/helpers/wifi-sim.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AIR, GENERAL, DEVICES, LIST, CHECK, REST, T0, addProfile, pskInput, up, board, settled } from './helpers/wifi-sim.js';

// ------------------------------------------------------------------------------ activation

/** What the recorded NetworkManager printed from `connection up` of a secured profile until its secrets were in. */
const SECURED_START = [
  "wlan0: using connection 'vigil-Home'",
  'wlan0: connecting (prepare)',
  "Networkmanager is now in the 'connecting' state",
  'wlan0: connecting (configuring)',
  'wlan0: connecting (need authentication)',
  'wlan0: connecting (prepare)',
  'wlan0: connecting (configuring)',
  'vigil-Home: connection profile changed',
];

test('connection up: associateMs of simulated time, nmcli monitor lines, connected everywhere', async () => {
  const { nmcli, nm, clock, said } = board();
  await nmcli(addProfile('vigil-Home', 'Home', true));
  await nmcli(['connection', 'edit', 'id', 'vigil-Home'], { stdin: pskInput('home-secret-1') });
  await said();
  const pending = nmcli(up('vigil-Home'), { timeoutMs: 40_000 });
  assert.deepEqual(await said(), SECURED_START);
  assert.equal((await nmcli(DEVICES)).stdout, `wlan0:wifi:connecting (configuring):vigil-Home\n${REST}`);
  assert.equal((await nmcli(GENERAL)).stdout, 'running:connecting:none:enabled:enabled\n');
  clock.advance(1499);
  assert.equal(await settled(pending), false, 'not done before associateMs');
  clock.advance(1);
  assert.deepEqual(await pending, { code: 0, stdout: 'Connection successfully activated (D-Bus active path: /org/freedesktop/NetworkManager/ActiveConnection/1)\n', stderr: '' });
  assert.deepEqual(await said(), [
    'wlan0: connecting (getting IP configuration)',
    "'vigil-Home' is now the primary connection",
    'wlan0: connecting (checking IP connectivity)',
    "Connectivity is now 'limited'",
    'wlan0: connecting (starting secondary connections)',
    'wlan0: connected',
    "Networkmanager is now in the 'connected (site only)' state",
  ]);
  assert.equal((await nmcli(DEVICES)).stdout, `wlan0:wifi:connected:vigil-Home\n${REST}`);
  assert.equal((await nmcli(GENERAL)).stdout, 'running:connected (site only):limited:enabled:enabled\n', 'the first probe ran before the route was up');
  clock.advance(999);
  assert.deepEqual(await said(), []);
  clock.advance(1);
  assert.deepEqual(await said(), ["Networkmanager is now in the 'connected' state", "Connectivity is now 'full'"], 'the next check, 1 s later');
  assert.equal((await nmcli(GENERAL)).stdout, 'running:connected:full:enabled:enabled\n');
  assert.match((await nmcli([...LIST, 'no'])).stdout, /^\*:Home:AA\\:BB\\:CC\\:DD\\:EE\\:01:6:2437 MHz:\d+:WPA2\n :Cafe:/);
  assert.equal((await nmcli(CHECK)).stdout, 'full\n');
  // In client mode the kernel lists the access point as the one station.
  clock.advance(11_000);
  assert.equal(
    (await nm.run('iw', ['dev', 'wlan0', 'station', 'dump'])).stdout,
    'Station aa:bb:cc:dd:ee:01 (on wlan0)\n\tinactive time:\t20 ms\n\trx bytes:\t22096\n\trx packets:\t184\n\ttx bytes:\t13257\n\ttx packets:\t110\n\ttx retries:\t0\n\ttx failed:\t0\n' +
      '\trx drop misc:\t0\n\tsignal:  \t-65 dBm\n\tsignal avg:\t-65 dBm\n\ttx bitrate:\t72.2 MBit/s MCS 7 short GI\n\ttx duration:\t0 us\n\trx bitrate:\t65.0 MBit/s MCS 7\n\trx duration:\t0 us\n' +
      '\texpected throughput:\t39.550Mbps\n\tauthorized:\tyes\n\tauthenticated:\tyes\n\tassociated:\tyes\n\tpreamble:\tshort\n\tWMM/WME:\tyes\n\tMFP:\t\tno\n\tTDLS peer:\tno\n\tDTIM period:\t2\n' +
      `\tbeacon interval:100\n\tshort slot time:yes\n\tconnected time:\t12 seconds\n\tassociated at [boottime]:\t21.500s\n\tassociated at:\t${T0 + 1500} ms\n\tcurrent time:\t${T0 + 13_500} ms\n`,
  );
  await nm.close();
});

test('a wrong passphrase: exit 4, secrets required, and NetworkManager does not try again', async () => {
  const { nm, clock, said, join, nmcli } = board();
  const r = await join('vigil-Home', 'Home', 'not-the-password');
  const uuid = nm.profiles()[0]!.uuid;
  // NetworkManager asks nmcli, its secret agent, for another passphrase: nmcli says so and cannot give one.
  assert.deepEqual(r, {
    code: 4,
    stdout: "Passwords or encryption keys are required to access the wireless network 'Home'.\n",
    stderr:
      "Warning: password for '802-11-wireless-security.psk' not given in 'passwd-file' and nmcli cannot ask without '--ask' option.\n" +
      `Error: Connection activation failed: Secrets were required, but not provided\nHint: use 'journalctl -xe NM_CONNECTION=${uuid} + NM_DEVICE=wlan0' to get more details.\n`,
  });
  const lines = await said();
  assert.deepEqual(lines.slice(-4), ['wlan0: connecting (need authentication)', 'wlan0: connection failed', "Networkmanager is now in the 'disconnected' state", 'wlan0: disconnected']);
  clock.advance(10 * 60_000);
  assert.deepEqual(await said(), [], 'no retry, no autoconnect');
  assert.equal((await nmcli(DEVICES)).stdout, `wlan0:wifi:disconnected:\n${REST}`);
  assert.equal(clock.pending, 0, 'nothing left scheduled');

  // No passphrase at all fails the same way, at once; an open profile for a WPA2 network is not a match.
  const none = board();
  await none.nmcli(addProfile('p', 'Home', true));
  await none.said();
  const p = none.nmcli(up('p'));
  none.clock.advance(400);
  const noSecret = await p;
  assert.equal(noSecret.code, 4);
  assert.equal(noSecret.stdout, "Passwords or encryption keys are required to access the wireless network 'Home'.\n");
  assert.match(noSecret.stderr, /^Warning: password for .*\nError: Connection activation failed: Secrets were required, but not provided\n/);
  assert.deepEqual(await none.said(), [
    "wlan0: using connection 'p'",
    'wlan0: connecting (prepare)',
    "Networkmanager is now in the 'connecting' state",
    'wlan0: connecting (configuring)',
    'wlan0: connecting (need authentication)',
    'wlan0: connection failed',
    "Networkmanager is now in the 'disconnected' state",
    'wlan0: disconnected',
  ]);
  assert.match((await none.join('q', 'Home', undefined, 25_000)).stderr, /^Error: Connection activation failed: The Wi-Fi network could not be found\n/);
  await Promise.all([nm.close(), none.nm.close()]);
});

test('an access point that leaves during the association is not found; one that does not exist neither', async () => {
  const { nm, clock, said, nmcli } = board();
  await nmcli(addProfile('vigil-Home', 'Home', true));
  await nmcli(['connection', 'edit', 'id', 'vigil-Home'], { stdin: pskInput('home-secret-1') });
  await said();
  const pending = nmcli(up('vigil-Home'));
  clock.advance(700);
  nm.environment.setPresent('home', false);
  clock.advance(800);
  assert.equal(await settled(pending), false, 'the supplicant keeps looking for it');
  assert.doesNotMatch((await nmcli([...LIST, 'no'])).stdout, /Home/, 'the scan made while associating no longer has it');
  clock.advance(23_499);
  assert.equal(await settled(pending), false);
  clock.advance(1);
  const r = await pending;
  assert.equal(r.code, 4);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^Error: Connection activation failed: The Wi-Fi network could not be found\nHint: use 'journalctl -xe NM_CONNECTION=[0-9a-f-]{36} \+ NM_DEVICE=wlan0' to get more details\.\n$/);
  assert.deepEqual(await said(), [
    ...SECURED_START,
    'wlan0: connection failed',
    "Networkmanager is now in the 'disconnected' state",
    'wlan0: disconnected',
  ]);

  // Back in range before the 25 s are over: the activation goes through after all.
  const back = nmcli(up('vigil-Home'));
  clock.advance(10_000);
  nm.environment.setPresent('home', true);
  clock.advance(15_000);
  assert.equal((await back).code, 0);

  const ghost = board();
  assert.match((await ghost.join('g', 'Nowhere', 'whatever-pw', 25_000)).stderr, /The Wi-Fi network could not be found/);
  await Promise.all([nm.close(), ghost.nm.close()]);
});

test('-w runs out: exit 3, and NetworkManager finishes the activation anyway; the runner timeout kills with 124', async () => {
  const { nm, clock, nmcli, said } = board({ ...AIR, associateMs: 5000 });
  await nmcli(addProfile('vigil-Home', 'Home', true));
  await nmcli(['connection', 'edit', 'id', 'vigil-Home'], { stdin: pskInput('home-secret-1') });
  const pending = nmcli(up('vigil-Home', 2));
  clock.advance(2000);
  assert.deepEqual(await pending, { code: 3, stdout: '', stderr: 'Error: Timeout expired (2 seconds)\n' });
  clock.advance(3000);
  await said();
  assert.equal((await nmcli(DEVICES)).stdout, `wlan0:wifi:connected:vigil-Home\n${REST}`);

  await nmcli(['connection', 'down', 'id', 'vigil-Home']);
  const killed = nmcli(up('vigil-Home', 90), { timeoutMs: 1000 });
  clock.advance(1000);
  assert.deepEqual(await killed, { code: 124, stdout: '', stderr: 'nmcli killed after 1000 ms\n' });

  const noWait = await nmcli(['-w', '0', 'connection', 'up', 'id', 'vigil-Home']);
  assert.deepEqual(noWait, { code: 0, stdout: '', stderr: '' }, '-w 0 returns at once');
  assert.match(nm.deviceState('wlan0'), /^connecting/);
  await nm.close();
});

// ---------------------------------------------------------------------------------- the air

test('an access point leaving a connected board: 15 s of grace, then failed, disconnected, no connectivity', async () => {
  const { nm, clock, nmcli, said, join } = board();
  assert.equal((await join('vigil-Home', 'Home', 'home-secret-1')).code, 0);
  clock.advance(1000);
  await said();
  nm.environment.setPresent('home', false);
  clock.advance(10_000);
  assert.deepEqual(await said(), [], 'the supplicant may still get it back');
  assert.equal((await nmcli(DEVICES)).stdout, `wlan0:wifi:connected:vigil-Home\n${REST}`, 'NetworkManager has not noticed yet');
  assert.equal((await nmcli(CHECK)).stdout, 'limited\n', 'nothing gets through meanwhile');
  nm.environment.setPresent('home', true);
  clock.advance(20_000);
  assert.equal((await nmcli(DEVICES)).stdout, `wlan0:wifi:connected:vigil-Home\n${REST}`, 'back in time: the link stays');
  assert.equal(nm.connectivity, 'full', 'and the next checks find the internet again');
  await said();

  nm.environment.setPresent('home', false);
  clock.advance(14_999);
  assert.deepEqual(await said(), []);
  clock.advance(1);
  assert.deepEqual(await said(), ['wlan0: connection failed', "Networkmanager is now in the 'disconnected' state", "There's no primary connection", 'wlan0: disconnected', "Connectivity is now 'none'"]);
  assert.equal((await nmcli(GENERAL)).stdout, 'running:disconnected:none:enabled:enabled\n');
  await nm.close();
});

test('an access point that changes its passphrase drops the board; a second one of the same network is roamed to', async () => {
  const twin = { ...AIR, accessPoints: { ...AIR.accessPoints, home2: { ssid: 'Home', password: 'home-secret-1', bssid: '02:00:00:00:00:99', signal: 40 } } };
  const { nm, clock, nmcli, said, join } = board(twin);
  assert.equal((await join('vigil-Home', 'Home', 'home-secret-1')).code, 0);
  assert.match((await nmcli([...LIST, 'no'])).stdout, /^\*:Home:AA\\:BB/, 'the stronger one');
  nm.environment.setPresent('home', false);
  assert.match((await nmcli([...LIST, 'no'])).stdout, /\*:Home:02\\:00\\:00\\:00\\:00\\:99/, 'roamed to the other access point');
  await said();
  nm.environment.setPassword('home2', 'a-new-secret');
  clock.advance(15_000);
  assert.deepEqual((await said()).slice(-5, -3), ['wlan0: connection failed', "Networkmanager is now in the 'disconnected' state"]);
  await nm.close();
});
