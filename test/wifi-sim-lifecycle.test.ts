// The simulated NetworkManager stopped and started (monitors keep running, commands get exit 8)
// and closed (monitors and pending commands end). Shared setup: test/helpers/wifi-sim.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GENERAL, DEVICES, LIST, NODE_WIFI, CHECK, NOT_RUNNING, REST, addProfile, pskInput, up, turn, board } from './helpers/wifi-sim.js';

test('NetworkManager stopped: exit 8 for every nmcli command, monitor waits, everything back after a start', async () => {
  const { nm, clock, nmcli, said, join } = board();
  assert.equal((await join('vigil-Home', 'Home', 'home-secret-1')).code, 0);
  await said();
  nm.setNetworkManager('stopped');
  assert.deepEqual(await said(), ['lo: device removed', 'wlan0: unmanaged', 'wlan0: device removed', "Connectivity is now 'unknown'", 'p2p-dev-wlan0: device removed', 'NetworkManager is stopped']);
  for (const args of [GENERAL, DEVICES, [...LIST, 'yes'], NODE_WIFI, CHECK, addProfile('x', 'Home', false), up('vigil-Home'), ['connection', 'down', 'id', 'vigil-Home'], ['device', 'disconnect', 'wlan0']]) {
    assert.deepEqual(await nmcli(args), NOT_RUNNING, args.join(' '));
  }
  assert.deepEqual(await nmcli(['connection', 'edit', 'id', 'vigil-Home'], { stdin: pskInput('home-secret-1') }), NOT_RUNNING);
  assert.deepEqual(await nm.run('iw', ['dev', 'wlan0', 'station', 'dump']), { code: 0, stdout: '', stderr: '' }, 'iw talks to the kernel, not to NetworkManager');
  assert.equal((await nmcli(['nonsense'])).code, 2, 'a command it does not know is still refused as such');

  const late: string[] = [];
  const handle = nm.monitor((l) => late.push(l), () => late.push('exit'));
  await turn();
  assert.deepEqual(late, ['NetworkManager is stopped'], 'a monitor started now waits for NetworkManager');

  const pendingList = board();
  const scan = pendingList.nmcli([...LIST, 'yes']);
  pendingList.nm.setNetworkManager('stopped');
  assert.deepEqual(await scan, NOT_RUNNING, 'a scan cut short by the stop');

  nm.setNetworkManager('running');
  const back = [
    "Networkmanager is now in the 'disconnected' state",
    'wlan0: device created',
    'lo: device created',
    'NetworkManager is running',
    "Connectivity is now 'none'",
    'p2p-dev-wlan0: device created',
    'wlan0: disconnected',
  ];
  assert.deepEqual(await said(), back, 'the monitor kept running through the stop');
  assert.deepEqual(late.slice(1), back);
  handle.stop();
  assert.equal((await nmcli(DEVICES)).stdout, `wlan0:wifi:disconnected:\n${REST}`, 'nothing is reactivated by itself');
  const p = nmcli(up('vigil-Home'));
  clock.advance(1500);
  assert.equal((await p).code, 0, 'the profile and its passphrase survived');
  await Promise.all([nm.close(), pendingList.nm.close()]);
});

test('an activation cut short by a stop runs into its -w; close() ends monitors and pending commands', async () => {
  const { nm, clock, nmcli, join } = board();
  await join('vigil-Home', 'Home', 'home-secret-1');
  await nmcli(['connection', 'down', 'id', 'vigil-Home']);
  const pending = nmcli(up('vigil-Home', 5));
  clock.advance(500);
  nm.setNetworkManager('stopped');
  clock.advance(4500);
  assert.deepEqual(await pending, { code: 3, stdout: '', stderr: 'Error: Timeout expired (5 seconds)\n' });

  nm.setNetworkManager('running');
  const hanging = nmcli(up('vigil-Home', 60));
  const exits: string[] = [];
  nm.monitor(() => {}, (reason) => exits.push(reason));
  await nm.close();
  assert.deepEqual(await hanging, { code: 124, stdout: '', stderr: '' });
  await turn();
  assert.deepEqual(exits, ['the simulated NetworkManager was closed']);
  assert.equal(clock.pending, 0, 'no timer left behind');
});
