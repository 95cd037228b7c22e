/**
 * The modem through the runtime, over a real pseudo-terminal opened with the real serialport
 * binding: a long SMS arriving in parts reaches a task as one message and leaves the SIM only
 * after the task completed; the filter blocks; SIM lock, radio, registration, operator, calls and
 * pass-through URCs fire their triggers; sms.send splits and reports delivery; and the modem's
 * misbehaviours — garbage, URCs inside responses, silence, an unplugged port — lose nothing.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatStatus } from '../bin/status.js';
import { decodePdu, encodeDeliverParts } from '../drivers/modem/sms/index.js';
import { next, startHarness, tempDir, tick, type Harness } from './helpers/harness.js';
import { requireSocat } from './helpers/modem.js';
import { recorded, recorder, until } from './helpers/recorder.js';

const LONG =
  'The greenhouse door has been open for ten minutes while the temperature outside is below four degrees; close it or the seedlings on the north bench will not survive the night. ' +
  'The heater on the south wall is off because its breaker tripped at 02:14 and the backup fan is running on the UPS, which reports forty minutes left. Reply STATUS for readings.';

describe('the modem through the runtime (pty + serialport)', () => {
  let h: Harness;
  let out: string;
  before(async () => {
    requireSocat();
    const root = tempDir();
    out = join(root, 'details.jsonl');
    h = await startHarness({
      root,
      config: { drivers: { modem: { binding: 'sim', reassemblySec: 2, signalPollSec: 0.2, timeoutMs: 800, lowSignalDbm: -100, sim: { transport: 'pty' } } } },
      policy: { access: { bundles: { cell: { capabilities: ['sms.send', 'sms.block', 'modem.at'] } } } },
      bundles: [
        {
          name: 'cell',
          tasks: [
            { name: 'sms', entry: 'rec.js', trigger: { type: 'SmsMessageReceivedTrigger' }, isolation: 'inprocess' },
            { name: 'sms-system', entry: 'rec.js', trigger: { type: 'SystemTrigger', triggerType: 'SmsReceived' }, isolation: 'inprocess' },
            { name: 'filter', entry: 'filter.js', trigger: { type: 'ChatMessageReceivedNotificationTrigger' }, capabilities: ['sms.block'], isolation: 'inprocess' },
            { name: 'filter-active', entry: 'rec.js', trigger: { type: 'CommunicationBlockingAppSetAsActiveTrigger' }, isolation: 'inprocess' },
            { name: 'radio', entry: 'rec.js', trigger: { type: 'MobileBroadbandRadioStateChangeTrigger' }, isolation: 'inprocess' },
            { name: 'registration', entry: 'rec.js', trigger: { type: 'MobileBroadbandRegistrationStateChangeTrigger' }, isolation: 'inprocess' },
            { name: 'operator', entry: 'rec.js', trigger: { type: 'NetworkOperatorNotificationTrigger' }, isolation: 'inprocess' },
            { name: 'call', entry: 'rec.js', trigger: { type: 'PhoneTrigger', triggerType: 'IncomingCallNotification' }, isolation: 'inprocess' },
            { name: 'call-ended', entry: 'rec.js', trigger: { type: 'PhoneTrigger', triggerType: 'CallHistoryChanged' }, isolation: 'inprocess' },
            { name: 'vendor', entry: 'rec.js', trigger: { type: 'MobileBroadbandDeviceServiceNotificationTrigger', urcs: ['+QIND'] }, isolation: 'inprocess' },
            { name: 'pco', entry: 'rec.js', trigger: { type: 'MobileBroadbandPcoDataChangeTrigger' }, isolation: 'inprocess' },
            { name: 'report', entry: 'rec.js', trigger: { type: 'CustomSystemEventTrigger', triggerId: 'sms.report' }, isolation: 'inprocess' },
            { name: 'send', entry: 'send.js', trigger: { type: 'ApplicationTrigger' }, capabilities: ['sms.send'] },
            { name: 'raw', entry: 'raw.js', trigger: { type: 'ApplicationTrigger' }, capabilities: ['modem.at'] },
          ],
          files: {
            'rec.js': recorder(out),
            'filter.js': `export default async function run(instance) {
  if (/prize/i.test(instance.triggerDetails.text ?? '')) await instance.call('sms.block', instance.triggerDetails.messageId);
}`,
            'send.js': `export default async function run(instance) {
  const r = await instance.call('sms.send', instance.triggerDetails.arguments?.to ?? '+447700900999', ${JSON.stringify(LONG)});
  if (r.parts < 2) throw new Error('expected a concatenated message, got ' + r.parts + ' part(s)');
}`,
            'raw.js': `import { appendFileSync } from 'node:fs';
export default async function run(instance) {
  const r = await instance.call('modem.at', 'AT+CGMM');
  appendFileSync(${JSON.stringify(out)}, JSON.stringify({ task: 'raw', details: r }) + '\\n');
}`,
          },
        },
      ],
    });
    await until('the modem to be ready', () => h.runtime.modem!.modem.status().ready && h.runtime.modem!.modem.status().pin === 'READY');
  });
  after(async () => h?.close());

  it('opened the simulator through a pseudo-terminal and read its identity', () => {
    const s = h.runtime.modem!.status();
    assert.match(s.binding, /^sim \(pty \//);
    assert.equal(s.identity.manufacturer, 'Quectel');
    assert.match(s.identity.imei ?? '', /^\d{15}$/);
    assert.match(s.identity.imsi ?? '', /^\d{14,15}$/);
    assert.equal(s.registration, 'home');
    assert.equal(s.radio, 'on');
    assert.equal(s.activeFilter, 'cell/filter');
    const text = formatStatus(h.runtime.status(), Date.now());
    assert.match(text, /^modem +Quectel EC25 on \/\S+: SIM READY, radio on, home on EE, signal -\d+ dBm, filter cell\/filter$/m);
    assert.match(text, /^drivers .*modem \(sim \(pty /m);
  });

  it('delivers a 3-part SMS arriving out of order as one message, then frees the SIM', async () => {
    const indices = await h.modem!.deliverSms({ from: '+447700900123', text: LONG, order: [2, 0, 1], gapMs: 30 });
    assert.equal(indices.length, 3);
    await until('the SMS task', () => recorded(out, 'sms').length === 1);
    const m = recorded(out, 'sms')[0]!;
    assert.equal(m.text, LONG);
    assert.equal(m.from, '+447700900123');
    assert.equal(m.parts, indices.length);
    assert.equal(m.partial, undefined);
    assert.match(String(m.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    await until('SmsReceived too', () => recorded(out, 'sms-system').length === 1);
    assert.equal(recorded(out, 'sms-system')[0]!.messageId, m.messageId);
    await until('the SIM to be emptied', () => h.modem!.messages().length === 0);
  });

  it('delivers back-to-back messages that reuse one slot, each once, none deleted unread', async () => {
    const before = recorded(out, 'sms').length;
    const stored: number[] = [];
    const onStored = (e: { index: number }) => stored.push(e.index);
    h.modem!.on('stored', onStored);
    for (let i = 0; i < 6; i++) {
      await h.modem!.deliverSms({ from: '+447700900130', text: `reading ${i}` });
      await until(`reading ${i}`, () => recorded(out, 'sms').length === before + i + 1);
      await until('the slot to be freed', () => h.modem!.messages().length === 0);
    }
    h.modem!.off('stored', onStored);
    assert.ok(new Set(stored).size < stored.length, `the SIM reused a slot (${stored.join(', ')}), which is the case that matters`);
    assert.deepEqual(recorded(out, 'sms').slice(before).map((m) => m.text), [0, 1, 2, 3, 4, 5].map((i) => `reading ${i}`));
  });

  it('delivers an incomplete set as partial after the reassembly timeout, marked', async () => {
    const before = recorded(out, 'sms').length;
    // Only the first part arrives: the network lost the others.
    const parts = encodeDeliverParts({ sender: '+447700900124', text: LONG, timestamp: new Date(), ref: 77 });
    assert.equal(parts.length, 3);
    const index = h.modem!.storePdu(parts[0]!.hex);
    h.modem!.urc(`+CMTI: "SM",${index}`);
    await tick(500);
    assert.equal(recorded(out, 'sms').length, before, 'not delivered before the timeout');
    await until('the partial delivery', () => recorded(out, 'sms').length === before + 1, 6000);
    const m = recorded(out, 'sms').at(-1)!;
    assert.deepEqual(m.partial, { missing: [2, 3] });
    assert.equal(m.parts, 3);
    assert.ok(LONG.startsWith(String(m.text)));
  });

  it('lets the active filter block a message before anyone else sees it', async () => {
    const before = recorded(out, 'sms').length;
    await h.modem!.deliverSms({ from: '+447700900666', text: 'You have won a PRIZE, call now' });
    await until('the blocked message to leave the SIM', () => h.modem!.messages().length === 0);
    await h.modem!.deliverSms({ from: '+447700900125', text: 'an ordinary message' });
    await until('the ordinary message', () => recorded(out, 'sms').length === before + 1);
    assert.equal(recorded(out, 'sms').at(-1)!.text, 'an ordinary message');
    assert.ok(!recorded(out, 'sms').some((m) => /prize/i.test(String(m.text))));
  });

  it('raises radio, registration, operator and signal notifications with their details', async () => {
    h.modem!.setRadio(4);
    await until('radio flight', () => recorded(out, 'radio').some((d) => d.radioState === 'flight'));
    await until('registration lost', () => recorded(out, 'operator').some((d) => d.messageType === 'RegistrationLost'));
    h.modem!.setRadio(1);
    await until('radio on', () => recorded(out, 'radio').some((d) => d.radioState === 'on' && d.previous === 'flight'));
    h.modem!.setOperator({ long: 'vodafone UK', short: 'voda UK', numeric: '23415', act: 7, status: 'available' });
    h.modem!.setRegistration({ stat: 5, act: 7 });
    await until('roaming', () => recorded(out, 'registration').some((d) => d.registrationState === 'roaming'));
    const roaming = recorded(out, 'registration').find((d) => d.registrationState === 'roaming')!;
    assert.equal(roaming.accessTechnology, 'lte');
    assert.equal((roaming.operator as { name?: string }).name, 'vodafone UK');
    await until('RegisteredRoaming', () => recorded(out, 'operator').some((d) => d.messageType === 'RegisteredRoaming'));
    h.modem!.setSignal(3);
    await until('SignalLow', () => recorded(out, 'operator').some((d) => d.messageType === 'SignalLow'));
    h.modem!.setSignal(20);
    await until('SignalRecovered', () => recorded(out, 'operator').some((d) => d.messageType === 'SignalRecovered'));
    h.modem!.setRegistration({ stat: 1, act: 7 });
  });

  it('raises PhoneTrigger for a call with caller id and when it ends', async () => {
    h.modem!.ring({ number: '+447700900777' });
    await until('the call', () => recorded(out, 'call').length === 1);
    assert.equal(recorded(out, 'call')[0]!.number, '+447700900777');
    h.modem!.hangup();
    await until('the end of the call', () => recorded(out, 'call-ended').length === 1);
    assert.equal(recorded(out, 'call-ended')[0]!.number, '+447700900777');
  });

  it('passes vendor and packet-domain URCs through, filtered by name', async () => {
    h.modem!.urc('^MODE: 17,17');
    h.modem!.urc('+QIND: "csq",20,99');
    h.modem!.urc('+CGEV: NW DETACH');
    await until('+QIND', () => recorded(out, 'vendor').length === 1);
    await until('+CGEV', () => recorded(out, 'pco').length === 1);
    assert.equal(recorded(out, 'vendor')[0]!.line, '+QIND: "csq",20,99');
    assert.equal(recorded(out, 'pco')[0]!.line, '+CGEV: NW DETACH');
  });

  it('sends a long SMS as concatenated parts and surfaces the delivery report', async () => {
    const sent: { pdu: string; reference: number }[] = [];
    h.modem!.on('sent', (s) => sent.push(s));
    const done = next(h.runtime, 'finished', (e) => e.name === 'send');
    h.runtime.trigger('send');
    assert.equal((await done).result.outcome, 'succeeded');
    assert.ok(sent.length >= 2);
    const parts = sent.map((s) => decodePdu(s.pdu));
    assert.equal(parts.map((p) => (p.type === 'submit' ? p.text : '')).join(''), LONG);
    const refs = new Set(parts.map((p) => (p.type === 'submit' ? p.udh?.concat?.ref : undefined)));
    assert.equal(refs.size, 1, 'one concatenation reference for all parts');
    await until('a delivery report', () => recorded(out, 'report').length >= 1, 5000);
    const report = recorded(out, 'report')[0]!;
    assert.equal(report.delivered, true);
    assert.ok(sent.some((s) => s.reference === report.reference));
  });

  it('gives modem.at only to a bundle the policy names', async () => {
    const done = next(h.runtime, 'finished', (e) => e.name === 'raw');
    h.runtime.trigger('raw');
    assert.equal((await done).result.outcome, 'succeeded');
    assert.deepEqual((recorded(out, 'raw')[0] as { lines: string[] }).lines, ['EC25']);
  });

  it('survives garbage, a URC inside a listing, chunked writes, silence and an unplugged port — losing no message', async () => {
    const modem = h.modem!;
    const count = () => recorded(out, 'sms').length;
    let expected = count();
    const deliver = async (text: string) => {
      await modem.deliverSms({ from: '+447700900200', text });
      expected++;
      await until(`"${text}"`, () => count() === expected, 15000);
      assert.equal(recorded(out, 'sms').at(-1)!.text, text);
    };
    modem.chunking({ minBytes: 1, maxBytes: 3, maxDelayMs: 2 });
    modem.garbage();
    await deliver('after garbage, in tiny chunks');
    modem.chunking(undefined);
    modem.urcInsideNextResponse('+CREG: 1,"1A2B","01C3D4E5",7');
    modem.overlongLine(6000);
    await deliver('after an over-long line');

    // A hung modem: commands time out, the driver resets and re-initialises once it answers.
    modem.silence(true);
    await until('the driver to notice', () => !h.runtime.modem!.modem.status().ready, 20000);
    await modem.deliverSms({ from: '+447700900200', text: 'arrived while the modem was hung' });
    modem.silence(false);
    expected++;
    await until('the message stored while hung', () => count() === expected, 20000);

    // Unplugged: the device node disappears; when it returns the port is reopened and re-armed.
    await h.board.sim!.pty!.vanish();
    await until('the port to close', () => !h.runtime.modem!.modem.status().open, 5000);
    await h.board.sim!.pty!.reappear();
    await until('the modem to be back', () => h.runtime.modem!.modem.status().ready, 20000);
    await deliver('after the port came back');
    await until('the SIM to be emptied', () => modem.messages().length === 0);
  });
});
