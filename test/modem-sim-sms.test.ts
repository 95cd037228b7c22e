// The modem simulator itself, part 2: message storage and sending, status reports, routing,
// calls, misbehaviour, the in-memory link and transcript replay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FakeClock } from '../runtime/clock.js';
import { SimModem, linkInMemory, parseTranscript } from '../drivers/modem/sim/index.js';
import { decodePdu, encodeDeliver, encodeSubmit } from '../drivers/modem/sms/index.js';
import { Host, modem, settle } from './helpers/sim-host.js';

test('a 3-part message arriving out of order: +CMTI per part in arrival order, +CMGL lists all three, they reassemble', async () => {
  const { sim, host } = modem();
  await host.answer('ATE0');
  const text = 'The quick brown fox jumps over the lazy dog. '.repeat(8).trim();
  const stored: number[] = [];
  sim.on('stored', ({ index }) => stored.push(index));
  const slots = await sim.deliverSms({ from: '+447700900123', text, order: [2, 0, 1], ref: 42 });
  assert.deepEqual(slots, [1, 2, 0], 'part 3 arrived first and took slot 0');
  assert.deepEqual(stored, [0, 1, 2]);
  await settle();
  assert.deepEqual(host.fresh(), ['+CMTI: "SM",0', '+CMTI: "SM",1', '+CMTI: "SM",2']);
  const listing = await host.answer('AT+CMGL=4');
  assert.equal(listing.at(-1), 'OK');
  assert.equal(listing.length, 7);
  const seqs: number[] = [];
  let joined = '';
  const bySeq = new Map<number, string>();
  for (let i = 0; i < 6; i += 2) {
    const m = /^\+CMGL: (\d+),0,,(\d+)$/.exec(listing[i]!);
    assert.ok(m, `header ${listing[i]}`);
    const pdu = decodePdu(listing[i + 1]!, { smsc: true });
    assert.equal(pdu.type, 'deliver');
    assert.equal(Number(m[2]), listing[i + 1]!.length / 2 - 1 - parseInt(listing[i + 1]!.slice(0, 2), 16), '<length> is the TPDU without the SMSC');
    assert.equal(pdu.udh?.concat?.ref, 42);
    assert.equal(pdu.udh?.concat?.total, 3);
    seqs.push(pdu.udh!.concat!.seq);
    bySeq.set(pdu.udh!.concat!.seq, pdu.text!);
  }
  assert.deepEqual(seqs, [3, 1, 2], 'slot order is arrival order');
  for (const seq of [1, 2, 3]) joined += bySeq.get(seq);
  assert.equal(joined, text);
  assert.match((await host.answer('AT+CMGL=4'))[0]!, /^\+CMGL: 0,1,,/, 'listing marked them read');
  assert.deepEqual(await host.answer('AT+CMGL=0'), ['OK'], 'no unread messages left');
});

test('+CMGR marks an unread message read; +CMGD frees the slot and emits deleted; +CPMS counts', async () => {
  const { sim, host } = modem();
  await host.answer('ATE0');
  const deleted: number[] = [];
  sim.on('deleted', ({ index }) => deleted.push(index));
  const [slot] = await sim.deliverSms({ from: '+447700900123', text: 'hello' });
  const { tpduLength } = sim.messages()[0]!;
  assert.deepEqual((await host.answer(`AT+CMGR=${slot}`))[0], `+CMGR: 0,,${tpduLength}`);
  assert.deepEqual((await host.answer(`AT+CMGR=${slot}`))[0], `+CMGR: 1,,${tpduLength}`);
  assert.deepEqual(await host.answer('AT+CPMS?'), ['+CPMS: "SM",1,30,"SM",1,30,"SM",1,30', 'OK']);
  assert.deepEqual(await host.answer('AT+CPMS="SM","SM","SM"'), ['+CPMS: 1,30,1,30,1,30', 'OK']);
  assert.deepEqual(await host.answer('AT+CPMS="ME"'), ['+CMS ERROR: 302']);
  assert.deepEqual(await host.answer(`AT+CMGD=${slot}`), ['OK']);
  assert.deepEqual(deleted, [slot]);
  assert.deepEqual(await host.answer(`AT+CMGR=${slot}`), ['OK'], 'an empty slot answers OK alone');
  assert.deepEqual(await host.answer('AT+CMGR=30'), ['+CMS ERROR: 321']);
  assert.equal(sim.messages().length, 0);
  sim.storePdu(encodeDeliver({ sender: '+1555', text: 'a', timestamp: new Date() }).hex, 1);
  sim.storePdu(encodeDeliver({ sender: '+1555', text: 'b', timestamp: new Date() }).hex, 0);
  assert.deepEqual(await host.answer('AT+CMGD=0,1'), ['OK'], 'delflag 1 deletes read messages only');
  assert.deepEqual(sim.messages().map((m) => m.stat), [0]);
  assert.deepEqual(await host.answer('AT+CMGD=0,4'), ['OK']);
  assert.equal(sim.messages().length, 0);
});

test('text mode lists with AT+CMGL="ALL" and sends with AT+CMGS="<number>"', async () => {
  const { sim, host } = modem();
  await host.answer('ATE0');
  await sim.deliverSms({ from: '+447700900123', text: 'Meet at 5', timestamp: new Date(Date.UTC(2026, 2, 4, 10, 30, 0)), tzOffsetMinutes: 60 });
  await host.answer('AT+CMGF=1');
  assert.deepEqual(await host.answer('AT+CMGL=4'), ['ERROR'], 'numbers are PDU-mode syntax');
  assert.deepEqual(await host.answer('AT+CMGL="ALL"'), ['+CMGL: 0,"REC UNREAD","+447700900123",,"26/03/04,11:30:00+04"', 'Meet at 5', 'OK']);
  const sent: string[] = [];
  sim.on('sent', ({ pdu }) => sent.push(pdu));
  host.send('AT+CMGS="+447700900999"\r');
  await host.until(() => host.raw.endsWith('> '), 'the prompt');
  host.send('On my way\x1a');
  await host.until(() => host.lines.at(-1) === 'OK', 'OK');
  const pdu = decodePdu(sent[0]!, { smsc: true });
  assert.equal(pdu.type === 'submit' && pdu.recipient.number, '+447700900999');
  assert.equal(pdu.text, 'On my way');
});

test('AT+CMGS: `> ` prompt, PDU and Ctrl-Z give +CMGS: <mr> and a sent event; wrong length is 304; ESC cancels', async () => {
  const { sim, host } = modem({ seed: 3 });
  await host.answer('ATE0');
  const sent: { pdu: string; reference: number }[] = [];
  sim.on('sent', (s) => sent.push(s));
  const [pdu] = encodeSubmit({ recipient: '+447700900123', text: 'Status?' });
  host.raw = '';
  host.send(`AT+CMGS=${pdu!.tpduLength}\r`);
  await host.until(() => host.raw === '\r\n> ', 'the prompt, and nothing else yet');
  host.send(pdu!.hex.slice(0, 7));
  host.send(pdu!.hex.slice(7) + '\x1a');
  await host.until(() => host.raw.endsWith('OK\r\n'), 'OK');
  const m = /^\r\n> \r\n\+CMGS: (\d+)\r\n\r\nOK\r\n$/.exec(host.raw);
  assert.ok(m, JSON.stringify(host.raw));
  const mr = Number(m[1]);
  assert.deepEqual(sent, [{ pdu: pdu!.hex, reference: mr }]);

  assert.deepEqual(await host.submit({ hex: pdu!.hex, tpduLength: pdu!.tpduLength + 1 }), ['+CMS ERROR: 304'], 'the length must match the PDU');
  const deliver = encodeDeliver({ sender: '+1555', text: 'x', timestamp: new Date() });
  assert.deepEqual(await host.submit(deliver), ['+CMS ERROR: 304'], 'an SMS-DELIVER is not submittable');
  assert.deepEqual(await host.submit({ hex: 'ZZ' + pdu!.hex.slice(2), tpduLength: pdu!.tpduLength }), ['+CMS ERROR: 304'], 'not hex');

  host.raw = '';
  host.send(`AT+CMGS=${pdu!.tpduLength}\r`);
  await host.until(() => host.raw.endsWith('> '), 'the prompt');
  host.send(pdu!.hex.slice(0, 10) + '\x1b');
  await host.until(() => host.raw.endsWith('OK\r\n'), 'OK after ESC');
  assert.equal(host.raw, '\r\n> \r\nOK\r\n');
  assert.equal(sent.length, 1, 'nothing else went out');

  sim.rejectNextSubmit(500);
  assert.deepEqual(await host.submit(pdu!), ['+CMS ERROR: 500']);
  assert.deepEqual(await host.submit(pdu!), [`+CMGS: ${(mr + 1) % 256}`, 'OK'], 'references count up');
  assert.equal(sent.length, 2);

  await host.answer('ATE1');
  host.raw = '';
  host.send(`AT+CMGS=${pdu!.tpduLength}\r`);
  await host.until(() => host.raw.endsWith('> '), 'the prompt');
  host.send(pdu!.hex + '\x1a');
  await host.until(() => host.raw.endsWith('OK\r\n'), 'OK');
  assert.equal(host.raw, `AT+CMGS=${pdu!.tpduLength}\r\r\n> ${pdu!.hex}\r\n+CMGS: ${(mr + 2) % 256}\r\n\r\nOK\r\n`, 'with echo on the PDU is echoed too');
});

test('a requested status report comes back as +CDS after the configured delay when <ds> is 1', async () => {
  const clock = new FakeClock();
  const { host } = modem({ clock, statusReportDelayMs: 5000 });
  await host.answer('ATE0');
  await host.answer('AT+CNMI=2,1,0,1,0');
  const [pdu] = encodeSubmit({ recipient: '+447700900123', text: 'ping', requestStatusReport: true });
  const result = await host.submit(pdu!);
  assert.match(result[0]!, /^\+CMGS: \d+$/);
  assert.equal(result[1], 'OK');
  const mr = Number(result[0]!.slice(7));
  clock.advance(4999);
  await settle();
  assert.deepEqual(host.fresh(), []);
  clock.advance(1);
  await settle();
  const [head, hex] = host.fresh();
  const report = decodePdu(hex!, { smsc: true });
  assert.equal(head, `+CDS: ${hex!.length / 2 - 1 - parseInt(hex!.slice(0, 2), 16)}`);
  assert.equal(report.type, 'status-report');
  assert.equal(report.type === 'status-report' && report.reference, mr);
  assert.equal(report.type === 'status-report' && report.delivered, true);
});

test('a full SIM: the network holds the message and delivers it once a deletion frees a slot', async () => {
  const clock = new FakeClock();
  const { sim, host } = modem({ clock, storageSize: 2, retryDelayMs: 400 });
  await host.answer('ATE0');
  await sim.deliverSms({ from: '+1555', text: 'one' });
  await sim.deliverSms({ from: '+1555', text: 'two' });
  let third: number[] | undefined;
  void sim.deliverSms({ from: '+1555', text: 'three' }).then((s) => (third = s));
  await settle();
  assert.equal(sim.heldByNetwork, 1);
  assert.equal(third, undefined);
  assert.deepEqual(host.fresh(), ['+CMTI: "SM",0', '+CMTI: "SM",1']);
  await host.answer('AT+CMGD=0');
  clock.advance(399);
  await settle();
  assert.equal(third, undefined, 'the service centre retries after a moment, not at once');
  clock.advance(1);
  await settle();
  assert.deepEqual(third, [0]);
  assert.deepEqual(host.fresh(), ['+CMTI: "SM",0']);
  assert.equal(decodePdu(sim.messages()[0]!.pdu, { smsc: true }).text, 'three');
});

test('+CMT routing: with +CSMS=1 an unacknowledged message turns routing off and ends up on the SIM', async () => {
  const clock = new FakeClock();
  const { sim, host } = modem({ clock, ackTimeoutMs: 1000, retryDelayMs: 100 });
  await host.answer('ATE0');
  assert.deepEqual(await host.answer('AT+CNMA'), ['+CMS ERROR: 340']);
  assert.deepEqual(await host.answer('AT+CSMS=1'), ['+CSMS: 1,1,1', 'OK']);
  await host.answer('AT+CNMI=2,2,0,0,0');
  const first = sim.deliverSms({ from: '+1555', text: 'direct' });
  await settle();
  const [head, hex] = host.fresh();
  assert.match(head!, /^\+CMT: ,\d+$/);
  assert.equal(decodePdu(hex!, { smsc: true }).text, 'direct');
  assert.deepEqual(await host.answer('AT+CNMA'), ['OK']);
  assert.deepEqual(await first, [-1]);
  assert.equal(sim.messages().length, 0, '+CMT messages are not stored');

  const second = sim.deliverSms({ from: '+1555', text: 'ignored' });
  await settle();
  assert.match(host.fresh()[0]!, /^\+CMT: /);
  clock.advance(1000);
  assert.deepEqual(await host.answer('AT+CNMI?'), ['+CNMI: 2,0,0,0,0', 'OK'], 'TS 27.005: routing to the TE is switched off');
  clock.advance(100);
  assert.deepEqual(await second, [0], 'the network retried and the modem stored it');
  await settle();
  assert.deepEqual(host.fresh(), [], 'no indication with <mt>=0');
});

test('ring: RING and +CLIP every 3 s until hangup (NO CARRIER) or ATH; ATA answers', async () => {
  const clock = new FakeClock();
  const { sim, host } = modem({ clock });
  await host.answer('ATE0');
  sim.ring({ number: '+447700900123' });
  await settle();
  assert.deepEqual(host.fresh(), ['RING'], 'no +CLIP until AT+CLIP=1');
  await host.answer('AT+CLIP=1');
  clock.advance(3000);
  await settle();
  assert.deepEqual(host.fresh(), ['RING', '+CLIP: "+447700900123",145,,,,0']);
  assert.deepEqual(await host.answer('AT+CLCC'), ['+CLCC: 1,1,4,0,0,"+447700900123",145', 'OK']);
  sim.hangup();
  await settle();
  assert.deepEqual(host.fresh(), ['NO CARRIER']);
  clock.advance(9000);
  await settle();
  assert.deepEqual(host.fresh(), [], 'no RING after the call ended');

  sim.ring({ number: '07700900123' });
  await settle();
  assert.deepEqual(host.fresh(), ['RING', '+CLIP: "07700900123",129,,,,0']);
  assert.deepEqual(await host.answer('ATH'), ['OK']);
  clock.advance(3000);
  await settle();
  assert.deepEqual(host.fresh(), []);
  sim.ring({ number: '+447700900123' });
  await settle();
  host.fresh();
  assert.deepEqual(await host.answer('ATA'), ['OK']);
  clock.advance(3000);
  await settle();
  assert.deepEqual(host.fresh(), [], 'an answered call stops ringing');
  sim.hangup();
  await settle();
  assert.deepEqual(host.fresh(), ['NO CARRIER']);
  assert.deepEqual(await host.answer('ATA'), ['NO CARRIER'], 'nothing to answer');
});

test('misbehaviour: garbage, silence, chunking, a URC inside a listing, an overlong line, power cycle keeps the SIM store', async () => {
  const { sim, host } = modem({ seed: 11 });
  await host.answer('ATE0');
  host.raw = '';
  sim.garbage(Buffer.from([0x00, 0xff, 0x41]));
  await host.until(() => host.raw.length === 3, 'the given bytes');
  assert.equal(host.raw, '\x00\xffA');
  host.raw = '';
  sim.garbage();
  await host.until(() => host.raw.length > 0, 'noise');
  assert.ok(host.raw.endsWith('\r\n+CRE'), 'random noise ends in half a line without CR');
  assert.ok(host.raw.length > 6);

  host.raw = '';
  host.fresh();
  sim.silence(true);
  host.send('AT\r');
  sim.urc('+CGEV: NW DETACH');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(host.raw, '', 'a hung modem says nothing');
  sim.silence(false);
  assert.deepEqual(await host.answer('AT'), ['OK'], 'the AT sent while hung was lost, the next one answers');

  sim.chunking({ minBytes: 1, maxBytes: 3, maxDelayMs: 2 });
  host.writes = [];
  assert.deepEqual(await host.answer('AT+CGMI'), ['Quectel', 'OK']);
  assert.ok(host.writes.length >= 6, `split into small writes, got ${host.writes.length}`);
  assert.ok(host.writes.every((w) => w.length >= 1 && w.length <= 3));
  sim.chunking(undefined);
  await host.until(() => host.raw.endsWith('OK\r\n'), 'the last chunk');

  await sim.deliverSms({ from: '+1555', text: 'first' });
  await sim.deliverSms({ from: '+1555', text: 'second' });
  host.fresh();
  sim.urcInsideNextResponse('+CMTI: "SM",5');
  const listing = await host.answer('AT+CMGL=4');
  assert.equal(listing.length, 6, JSON.stringify(listing));
  assert.match(listing[0]!, /^\+CMGL: 0,/);
  assert.equal(listing[2], '+CMTI: "SM",5', 'the URC sits between the two entries');
  assert.match(listing[3]!, /^\+CMGL: 1,/);
  assert.ok(host.raw.includes('\r\n\r\n+CMTI: "SM",5\r\n+CMGL: 1,'));

  host.raw = '';
  sim.overlongLine(5000);
  await host.until(() => host.raw.length >= 5004, 'the long line');
  assert.equal(host.lines.at(-1)!.length, 5000);

  await host.answer('AT+CMGF=1');
  await sim.powerCycle();
  assert.deepEqual(await host.at('AT+CMGF?'), ['AT+CMGF?', '+CMGF: 0', 'OK'], 'settings back to the profile, echo on');
  assert.equal(sim.messages().length, 2, 'the SIM store survives');
});

test('+CNMI <mode> 0 holds indications until the host asks for them again', async () => {
  const { sim, host } = modem();
  await host.answer('ATE0');
  await host.answer('AT+CNMI=0,1,0,0,0');
  await sim.deliverSms({ from: '+1555', text: 'held' });
  await settle();
  assert.deepEqual(host.fresh(), []);
  assert.deepEqual(await host.answer('AT+CNMI=2,1,0,0,0'), ['OK']);
  await settle();
  assert.deepEqual(host.fresh(), ['+CMTI: "SM",0'], 'released after the OK');
});

test('the in-memory link behaves like a serial port stream', async () => {
  const sim = new SimModem();
  const { port, close } = linkInMemory(sim);
  let got = '';
  port.on('data', (d: Buffer) => (got += d.toString()));
  port.write('ATE0\rAT+CGMM\r');
  const end = Date.now() + 1000;
  while (!got.includes('EC25\r\n\r\nOK\r\n') && Date.now() < end) await new Promise((r) => setTimeout(r, 2));
  assert.equal(got, 'ATE0\r\r\nOK\r\n\r\nEC25\r\n\r\nOK\r\n');
  assert.equal(port.isOpen, true);
  close();
  assert.equal(port.isOpen, false);
  assert.equal(sim.connected, false, 'closing the port detaches the host');
});

test('transcript replay answers the ModemManager fake-modem transcript byte for byte', async () => {
  const corpus = JSON.parse(readFileSync(new URL('../../shared/corpora/modemmanager_at_responses.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  const transcript = corpus['fake_modem_transcript_gsm_port_conf'];
  assert.equal(typeof transcript, 'string');
  const entries = parseTranscript(transcript as string);
  assert.ok(entries.length >= 30);
  const sim = SimModem.fromTranscript(transcript as string, { responseDelayMs: 0 });
  const host = new Host(sim);
  const commands: string[] = [];
  sim.on('command', (c) => commands.push(c));
  for (const e of entries) {
    host.raw = '';
    host.send(e.command + '\r');
    await host.until(() => host.raw.length >= e.response.length, `the reply to ${e.command}`);
    assert.equal(host.raw, e.response, `reply to ${e.command}`);
  }
  assert.deepEqual(commands, entries.map((e) => e.command));
  const byCommand = new Map(entries.map((e) => [e.command, e.response]));
  assert.equal(byCommand.get('AT+CGSN'), '\r\n123456789012345\r\n\r\nOK\r\n', 'escapes are turned into CR LF');
  assert.equal(byCommand.get('AT+CNMI=?'), '\r\nERROR\r\n');
  assert.equal(byCommand.get('AT+COPS=3,2;+COPS?'), '\r\n+COPS: 0,2,"21401",2\r\n\r\nOK\r\n');
  host.raw = '';
  host.send('AT+NOTINSCRIPT\r');
  await host.until(() => host.raw.length > 0, 'the reply');
  assert.equal(host.raw, '\r\nERROR\r\n', 'what the script lacks is an ERROR, as in the fake port');
  assert.throws(() => SimModem.fromTranscript('AT\n'), /line 1 "AT" has a command but no response/);
});
