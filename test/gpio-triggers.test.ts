/**
 * GPIO lines through the runtime: edges become named events that start tasks, roles drive
 * SystemTriggers, conditions and ActivitySensorTrigger, and tasks drive outputs through the
 * gpio.write capability, in-process and isolated, with a typed error when undeclared.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatStatus } from '../bin/status.js';
import { finished, next, startHarness, tempDir, type Harness } from './helpers/harness.js';

const lines = {
  door: { line: 17, edge: 'both', debounceMs: 10, activeLow: true },
  button: { line: 22, edge: 'rising' },
  hall: { line: 5, role: 'presence' },
  pgood: { line: 6, role: 'power-good' },
  pir: { line: 4, role: 'motion', activity: { active: 'Walking', inactive: 'Idle' } },
  led: { line: 27, direction: 'out', initial: 0 },
};

/** A task that records its trigger details as one JSON line in `out`. */
const recorder = (out: string) => `import { appendFileSync } from 'node:fs';
export default function run(instance) { appendFileSync(${JSON.stringify(out)}, JSON.stringify(instance.triggerDetails) + '\\n'); }`;

const recorded = (out: string): Record<string, unknown>[] =>
  readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('GPIO lines as triggers', () => {
  let h: Harness;
  let out: string;
  before(async () => {
    const root = tempDir();
    out = join(root, 'details.jsonl');
    h = await startHarness({
      root,
      config: { drivers: { gpio: { binding: 'sim', lines } } },
      bundles: [
        {
          name: 'gpio-demo',
          tasks: [
            { name: 'door-rising', entry: 'rec.js', trigger: { type: 'CustomSystemEventTrigger', triggerId: 'door.rising' } },
            { name: 'door-changed', entry: 'rec.js', trigger: { type: 'CustomSystemEventTrigger', triggerId: 'door.changed' } },
            { name: 'present', entry: 'rec.js', trigger: { type: 'SystemTrigger', triggerType: 'UserPresent' } },
            { name: 'away', entry: 'rec.js', trigger: { type: 'SystemTrigger', triggerType: 'UserAway' } },
            { name: 'power', entry: 'rec.js', trigger: { type: 'SystemTrigger', triggerType: 'PowerStateChange' } },
            { name: 'walk', entry: 'rec.js', trigger: { type: 'ActivitySensorTrigger', subscribedActivities: ['Walking'], reportIntervalInMilliseconds: 300 } },
            { name: 'needs-someone', entry: 'rec.js', trigger: { type: 'CustomSystemEventTrigger', triggerId: 'button.rising' }, conditions: ['UserPresent'] },
            { name: 'led-on', entry: 'led.js', trigger: { type: 'ApplicationTrigger' }, capabilities: ['gpio.write:led'] },
            { name: 'led-inproc', entry: 'led.js', trigger: { type: 'ApplicationTrigger' }, capabilities: ['gpio.write:led'], isolation: 'inprocess' },
            { name: 'led-undeclared', entry: 'led-probe.js', trigger: { type: 'ApplicationTrigger' } },
            { name: 'door-write', entry: 'door-write.js', trigger: { type: 'ApplicationTrigger' }, capabilities: ['gpio.write:door'] },
          ],
          files: {
            'rec.js': recorder(join(root, 'details.jsonl')),
            'led-probe.js': `import { appendFileSync } from 'node:fs';
export default async function run(instance) {
  try { await instance.call('gpio.write', 'led', 1); } catch (err) {
    appendFileSync(${JSON.stringify(join(root, 'details.jsonl'))}, JSON.stringify({ denied: { name: err.name, code: err.code, message: err.message } }) + '\\n');
    throw err;
  }
}`,
            'led.js': `export default async function run(instance) { await instance.call('gpio.write', 'led', instance.triggerDetails.arguments.value === '1'); }`,
            'door-write.js': `export default async function run(instance) { await instance.call('gpio.write', 'door', 1); }`,
          },
        },
      ],
    });
  });
  after(() => h.close());

  it('an input edge starts the tasks registered for line.edge and line.changed, with the edge in triggerDetails', async () => {
    const rising = finished(h.runtime, 'door-rising');
    const changed = finished(h.runtime, 'door-changed');
    h.gpio!.set('door', 1);
    assert.equal((await rising).outcome, 'succeeded');
    assert.equal((await changed).outcome, 'succeeded');
    const details = recorded(out).filter((d) => d.line === 'door');
    assert.equal(details.length, 2);
    for (const d of details) {
      assert.equal(d.edge, 'rising');
      assert.equal(d.value, 1);
      assert.equal(d.source, 'gpio/sim');
      assert.ok(!Number.isNaN(Date.parse(String(d.time))), 'an ISO time');
    }
    assert.deepEqual(details.map((d) => d.id).sort(), ['door.changed', 'door.rising']);
  });

  it('a falling edge reaches door.changed but not door.rising', async () => {
    const before = recorded(out).length;
    const changed = finished(h.runtime, 'door-changed');
    h.gpio!.set('door', 0);
    await changed;
    await new Promise((r) => setTimeout(r, 100));
    const added = recorded(out).slice(before);
    assert.deepEqual(
      added.map((d) => d.id),
      ['door.changed'],
    );
    assert.equal(added[0]!.edge, 'falling');
  });

  it('the presence line decides UserPresent: the condition holds tasks back until someone is there', async () => {
    assert.equal(h.runtime.state.values.userPresent, false);
    const held = next(h.runtime, 'activated', (e) => e.outcome === 'held');
    h.gpio!.set('button', 1);
    await held;
    const present = finished(h.runtime, 'present');
    const released = finished(h.runtime, 'needs-someone');
    h.gpio!.set('hall', 1);
    assert.equal((await present).outcome, 'succeeded');
    assert.equal((await released).outcome, 'succeeded', 'the held activation ran once the user was present');
    assert.equal(h.runtime.state.values.userPresent, true);
    const away = finished(h.runtime, 'away');
    h.gpio!.set('hall', 0);
    await away;
    assert.equal(h.runtime.state.values.userPresent, false);
  });

  it('the power-good line raises PowerStateChange and makes the supply bad while low', async () => {
    assert.equal(h.runtime.state.values.supplyGood, false, 'the line starts low: no power-good');
    const power = finished(h.runtime, 'power');
    h.gpio!.set('pgood', 1);
    await power;
    assert.equal(h.runtime.state.values.supplyGood, true);
    const d = recorded(out).filter((x) => x.line === 'pgood').pop()!;
    assert.equal(d.supplyGood, true);
    const lost = finished(h.runtime, 'power');
    h.gpio!.set('pgood', 0);
    await lost;
    assert.equal(h.runtime.state.values.supplyGood, false);
  });

  it('PIR motion reports activities; the trigger batches readings within its report interval', async () => {
    const walk = finished(h.runtime, 'walk');
    h.gpio!.set('pir', 1);
    await walk;
    const first = recorded(out).filter((d) => Array.isArray(d.reports)).pop()!;
    assert.deepEqual(
      (first.reports as { activity: string }[]).map((r) => r.activity),
      ['Walking'],
    );
    // Within the 300 ms interval: motion stops and starts again; one activation carries both.
    const second = finished(h.runtime, 'walk');
    h.gpio!.set('pir', 0);
    h.gpio!.set('pir', 1);
    await second;
    const batch = recorded(out).filter((d) => Array.isArray(d.reports)).pop()!;
    const reports = batch.reports as { activity: string; source: string; confidence: string }[];
    assert.deepEqual(
      reports.map((r) => r.activity),
      ['Idle', 'Walking'],
    );
    assert.equal(reports[0]!.source, 'gpio/pir');
  });

  it('tasks drive an output through gpio.write:<line>, isolated and in-process', async () => {
    const isolated = h.runtime.trigger('led-on', { value: '1' });
    assert.equal(isolated.result, 'Allowed');
    assert.equal((await finished(h.runtime, 'led-on')).outcome, 'succeeded');
    h.runtime.trigger('led-inproc', { value: '0' });
    assert.equal((await finished(h.runtime, 'led-inproc')).outcome, 'succeeded');
    assert.deepEqual(
      h.gpio!.writes.map((w) => [w.line, w.value]),
      [
        ['led', 1],
        ['led', 0],
      ],
    );
  });

  it('a task without the capability gets a typed permission error and the line is untouched', async () => {
    const writes = h.gpio!.writes.length;
    h.runtime.trigger('led-undeclared', { value: '1' });
    const result = await finished(h.runtime, 'led-undeclared');
    assert.equal(result.outcome, 'failed');
    const denied = recorded(out).filter((d) => d.denied).pop()!.denied as { name: string; code: string; message: string };
    assert.equal(denied.code, 'CAPABILITY_DENIED', 'the task sees the typed error');
    assert.equal(denied.name, 'CapabilityError');
    assert.match(denied.message, /gpio\.write:led, which its manifest does not declare/);
    assert.match(result.error!.message, /gpio\.write:led/);
    assert.equal(h.gpio!.writes.length, writes);
  });

  it('writing an input line fails with the driver saying it is an input', async () => {
    h.runtime.trigger('door-write');
    const result = await finished(h.runtime, 'door-write');
    assert.equal(result.outcome, 'failed');
    assert.match(result.error!.message, /line door \(BCM 17\) is an input/);
  });

  it('status lists the lines with their BCM numbers, levels and roles', () => {
    const s = h.runtime.status();
    const hall = s.gpio!.find((l) => l.name === 'hall')!;
    assert.deepEqual({ bcm: hall.bcm, role: hall.role, direction: hall.direction }, { bcm: 5, role: 'presence', direction: 'in' });
    assert.ok(s.drivers.some((d) => d.name === 'gpio' && d.binding === 'sim' && d.state === 'ok'));
    const text = formatStatus(s, Date.now());
    assert.match(text, /^drivers {5}system \(sim\), gpio \(sim\)$/m);
    assert.match(text, /^gpio {8}.*hall=0 \(BCM 5 in, presence\).*led=\d \(BCM 27 out\)/m);
  });
});
