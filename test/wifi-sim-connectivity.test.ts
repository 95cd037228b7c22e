// The simulated NetworkManager's connectivity checks and its captive portal, served over real
// HTTP. Shared setup: test/helpers/wifi-sim.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AIR, GENERAL, CHECK, up, board } from './helpers/wifi-sim.js';

// ---------------------------------------------------------------------------- connectivity

test('connectivity: limited without an uplink, rechecked on the clock with a back-off, full again', async () => {
  const { nm, clock, nmcli, said, join } = board({ ...AIR, connectivityIntervalSec: 60 });
  assert.equal((await join('attic', 'Attic', 'attic-pass')).code, 0);
  assert.deepEqual((await said()).slice(-2), ['wlan0: connected', "Networkmanager is now in the 'connected (site only)' state"]);
  assert.equal((await nmcli(GENERAL)).stdout, 'running:connected (site only):limited:enabled:enabled\n');
  // Not full: checked again after 1 s, then 2 s, then 4 s…
  clock.advance(1000 + 2000);
  nm.environment.setInternet('attic', true);
  clock.advance(3999);
  assert.deepEqual(await said(), [], 'the result stands until the next check');
  clock.advance(1);
  assert.deepEqual(await said(), ["Networkmanager is now in the 'connected' state", "Connectivity is now 'full'"], 'rechecked 4 s after the third check that was not full');
  nm.environment.setInternet('attic', false);
  clock.advance(59_999);
  assert.equal(nm.connectivity, 'full', 'a full result is kept for the whole interval');
  clock.advance(1);
  assert.deepEqual(await said(), ["Networkmanager is now in the 'connected (site only)' state", "Connectivity is now 'limited'"]);
  nm.environment.setInternet('attic', true);
  assert.equal((await nmcli(CHECK)).stdout, 'full\n', 'an explicit check sees it at once');
  await nm.close();
});

test('the captive portal over real HTTP: 302, a wrong login 403, the right one 200, then 204', async (t) => {
  const { nm, nmcli, join, clock } = board();
  await nm.start();
  t.after(() => nm.close());
  assert.match(nm.probeUrl, /^http:\/\/127\.0\.0\.1:\d+\/generate_204$/);
  await assert.rejects(fetch(nm.probeUrl), TypeError, 'not associated: no answer at all');

  assert.equal((await join('vigil-Cafe', 'Cafe')).code, 0);
  assert.equal((await nmcli(CHECK)).stdout, 'portal\n');
  assert.equal((await nmcli(GENERAL)).stdout, 'running:connected (site only):portal:enabled:enabled\n');
  const probe = await fetch(nm.probeUrl, { redirect: 'manual' });
  assert.equal(probe.status, 302);
  const portal = nm.probeUrl.replace('/generate_204', '/portal/Cafe');
  assert.equal(probe.headers.get('location'), portal);
  await probe.text();

  const page = await fetch(portal);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<form method="post" action="\/portal\/Cafe\/login">/);
  assert.match(html, /name="user"/);
  assert.match(html, /name="password"/);

  const login = (user: string, password: string) => fetch(`${portal}/login`, { method: 'POST', body: new URLSearchParams({ user, password }) });
  const wrong = await login('guest', 'espresso');
  assert.equal(wrong.status, 403);
  assert.equal(await wrong.text(), 'wrong user or password');
  assert.equal((await fetch(nm.probeUrl, { redirect: 'manual' })).status, 302, 'still held by the portal');
  const right = await login('guest', 'latte');
  assert.equal(right.status, 200);
  assert.equal(await right.text(), 'ok');
  const open = await fetch(nm.probeUrl, { redirect: 'manual' });
  assert.equal(open.status, 204);
  assert.equal(nm.connectivity, 'portal', 'NetworkManager has not checked again yet');
  assert.equal((await nmcli(CHECK)).stdout, 'full\n');

  // A new association meets the portal again.
  await nmcli(['connection', 'down', 'id', 'vigil-Cafe']);
  const again = nmcli(up('vigil-Cafe'));
  clock.advance(1500);
  assert.equal((await again).code, 0);
  assert.equal((await fetch(nm.probeUrl, { redirect: 'manual' })).status, 302);

  // On a network without an uplink the probe gets no answer; the portal of another network is not there.
  const attic = nm.probeUrl;
  await nmcli(['connection', 'down', 'id', 'vigil-Cafe']);
  assert.equal((await join('vigil-Attic', 'Attic', 'attic-pass')).code, 0);
  await assert.rejects(fetch(attic), TypeError);
  assert.equal((await fetch(portal)).status, 404);
});

test('the portal server closes cleanly with keep-alive connections open', async () => {
  const { nm, join } = board();
  await nm.start();
  await join('vigil-Home', 'Home', 'home-secret-1');
  const url = nm.probeUrl;
  assert.equal((await fetch(url)).status, 204);
  await nm.close();
  await assert.rejects(fetch(url), TypeError, 'nothing listens any more');
  assert.throws(() => nm.probeUrl, /not started/);
});
