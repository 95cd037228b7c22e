import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FakeClock } from '../runtime/clock.js';
import { SimModem, isValidImei, linkInMemory, luhnCheckDigit, parseTranscript } from '../drivers/modem/sim/index.js';
import type { SimModemOptions } from '../drivers/modem/sim/index.js';
import { decodePdu, encodeDeliver, encodeSubmit } from '../drivers/modem/sms/index.js';

/** The host side of a connection: writes commands, keeps every byte and the lines they make. */
class Host {
  raw = '';
  writes: Buffer[] = [];
  readonly conn;
  #seen = 0;

  constructor(readonly sim: SimModem) {
    this.conn = sim.connect({
      write: (b) => {
        this.writes.push(Buffer.from(b));
        this.raw += b.toString('latin1');
      },
    });
  }

  /** Every non-empty line received so far (CR, LF and CRLF all end a line). */
  get lines(): string[] {
    return this.raw.split(/\r\n|\r|\n/).filter((l) => l !== '');
  }

  send(text: string | Buffer): void {
    this.conn.input(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  }

  /** Lines that arrived since the last call to fresh(). */
  fresh(): string[] {
    const all = this.lines;
    const out = all.slice(this.#seen);
    this.#seen = all.length;
    return out;
  }

  async until(pred: () => boolean, what: string, timeoutMs = 1000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(this.raw.slice(-400))}`);
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Send a command line and return the lines up to and including its final result. */
  async at(line: string): Promise<string[]> {
    this.fresh();
    const before = this.lines.length;
    this.send(line + '\r');
    const isFinal = (l: string) => /^(OK|ERROR|NO CARRIER|\+CM[ES] ERROR: .*)$/.test(l);
    await this.until(() => this.lines.slice(before).some(isFinal), `the final result of ${line}`);
    const got = this.lines.slice(before);
    const end = got.findIndex(isFinal);
    this.#seen = before + end + 1;
    return got.slice(0, end + 1);
  }

  /** AT+CMGS in PDU mode without waiting for the prompt; resolves with the final lines (E0 assumed). */
  async submit(pdu: { hex: string; tpduLength: number }): Promise<string[]> {
    this.fresh();
    const before = this.lines.length;
    this.send(`AT+CMGS=${pdu.tpduLength}\r${pdu.hex}\x1a`);
    const isFinal = (l: string) => /^(OK|ERROR|\+CMS ERROR: .*)$/.test(l);
    await this.until(() => this.lines.slice(before).some(isFinal), 'the result of AT+CMGS');
    const got = this.lines.slice(before).filter((l) => l !== '> ');
    const end = got.findIndex(isFinal);
    this.#seen = this.lines.length;
    return got.slice(0, end + 1);
  }

  /** Like at(), without the echoed command line. */
  async answer(line: string): Promise<string[]> {
    const got = await this.at(line);
    return got[0] === line ? got.slice(1) : got;
  }
}

function modem(options: SimModemOptions = {}): { sim: SimModem; host: Host } {
  const sim = new SimModem({ responseDelayMs: 0, ...options });
  return { sim, host: new Host(sim) };
}

/** Let queued microtasks and immediates run (for FakeClock tests, where no real timer is involved). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

test('echo is on after power-on, ATE0 stops it, ATZ brings the saved profile back; framing is CR LF as on a module', async () => {
  const { host } = modem();
  host.send('AT\r');
  await host.until(() => host.raw.includes('OK'), 'OK');
  assert.equal(host.raw, 'AT\r\r\nOK\r\n');
  host.raw = '';
  host.send('ATE0\r');
  await host.until(() => host.raw.includes('OK'), 'OK');
  assert.equal(host.raw, 'ATE0\r\r\nOK\r\n', 'the line that turns echo off is still echoed');
  host.raw = '';
  host.send('AT+CSQ\r');
  await host.until(() => host.raw.includes('OK'), 'OK');
  assert.equal(host.raw, '\r\n+CSQ: 20,99\r\n\r\nOK\r\n');
  host.raw = '';
  host.send('ATV0\r');
  await host.until(() => host.raw.length > 0, 'the numeric result');
  assert.equal(host.raw, '0\r', 'ATV0: result codes as digits and CR');
  host.raw = '';
  host.send('AT+NOPE\r');
  await host.until(() => host.raw.length > 0, 'the numeric error');
  assert.equal(host.raw, '4\r');
  assert.deepEqual(await host.answer('ATZ'), ['OK']);
  assert.deepEqual(await host.at('AT'), ['AT', 'OK'], 'ATZ restored echo and verbose codes from the profile');
  await host.answer('ATE0');
  await host.answer('AT&W');
  await host.answer('AT&F');
  assert.deepEqual(await host.at('AT'), ['AT', 'OK'], 'AT&F: factory settings have echo on');
  await host.answer('ATZ');
  assert.deepEqual(await host.at('AT'), ['OK'], 'ATZ: the profile saved with AT&W has echo off');
});

test('input is taken in any chunking, with CR, LF or CRLF, lower case, several commands per line, A/ and backspace', async () => {
  const { host } = modem();
  await host.answer('ATE0');
  for (const ch of 'at+cgmm\n') host.send(ch);
  await host.until(() => host.lines.includes('OK'), 'OK');
  assert.deepEqual(host.fresh(), ['EC25', 'OK']);
  host.send('AT+CMEE=2;+CMGF=1;+CMEE?;+CMGF?\r\n');
  await host.until(() => host.lines.includes('+CMGF: 1') && host.lines.at(-1) === 'OK', 'OK');
  assert.deepEqual(host.fresh(), ['+CMEE: 2', '+CMGF: 1', 'OK'], 'the LF after CR must not start another line');
  const oks = () => host.lines.filter((l) => l === 'OK').length;
  const before = oks();
  host.send('A/');
  await host.until(() => oks() > before, 'A/ result');
  assert.deepEqual(host.fresh(), ['+CMEE: 2', '+CMGF: 1', 'OK']);
  host.send('AT+CSX\bQ\r');
  await host.until(() => oks() > before + 1, 'CSQ after backspace');
  assert.deepEqual(host.fresh(), ['+CSQ: 20,99', 'OK']);
  assert.deepEqual(await host.answer('AT+NOPE'), ['ERROR'], 'unknown commands are plain ERROR');
  assert.deepEqual(await host.answer('AT+CMGF=7'), ['ERROR'], 'bad parameters are plain ERROR');
  host.send('hello\r');
  assert.deepEqual(await host.answer('AT'), ['OK'], 'a line without AT gets no answer at all');
});

test('identity: ATI and +CGMI/+CGMM/+CGMR/+CGSN/+CIMI/+CCID answer like an EC25 with a Luhn-valid IMEI', async () => {
  const { sim, host } = modem({ seed: 7 });
  await host.answer('ATE0');
  assert.deepEqual(await host.answer('ATI'), ['Quectel', 'EC25', 'Revision: EC25EFAR06A09M4G', 'OK']);
  assert.deepEqual(await host.answer('AT+CGMI'), ['Quectel', 'OK']);
  assert.deepEqual(await host.answer('AT+CGMR'), ['EC25EFAR06A09M4G', 'OK']);
  const [imei] = await host.answer('AT+CGSN');
  assert.match(imei!, /^\d{15}$/);
  assert.ok(isValidImei(imei!), `IMEI ${imei} must carry a valid Luhn digit`);
  assert.equal(luhnCheckDigit('49015420323751'), 8, 'the textbook IMEI 490154203237518');
  assert.deepEqual(await host.answer('AT+GSN'), [imei, 'OK']);
  assert.deepEqual(await host.answer('AT+CIMI'), [sim.state.identity.imsi, 'OK']);
  assert.deepEqual(await host.answer('AT+QCCID'), [`+QCCID: ${sim.state.identity.iccid}`, 'OK']);
  assert.deepEqual(await host.answer('AT+CCID'), [`+CCID: ${sim.state.identity.iccid}`, 'OK']);
  assert.notEqual(new SimModem({ seed: 8 }).state.identity.imei, imei, 'the seed decides the serial');
  const custom = new SimModem({ identity: { manufacturer: 'SIMCOM INCORPORATED', model: 'SIMCOM_SIM7600E-H', imei: '490154203237518' } });
  assert.equal(custom.state.identity.imei, '490154203237518');
  assert.throws(() => new SimModem({ identity: { imei: '490154203237519' } }), (err: Error & { code?: string }) => {
    assert.match(err.message, /imei "490154203237519".*Luhn/);
    assert.equal(err.code, 'SIM_BAD_VALUE');
    return true;
  });
});

test('PIN: wrong codes cost attempts, three make it SIM PUK, the PUK with a new PIN unlocks; locked commands fail per +CMEE', async () => {
  const { sim, host } = modem({ pin: '1234' });
  await host.answer('ATE0');
  assert.deepEqual(await host.answer('AT+CPIN?'), ['+CPIN: SIM PIN', 'OK']);
  assert.deepEqual(await host.answer('AT+CIMI'), ['+CME ERROR: 11']);
  assert.deepEqual(await host.answer('AT+CMGL=4'), ['+CMS ERROR: 311']);
  assert.deepEqual(await host.answer('AT+CPMS?'), ['+CMS ERROR: 311']);
  assert.deepEqual(await host.answer('AT+COPS=?'), ['+CME ERROR: 11']);
  await host.answer('AT+CMEE=2');
  assert.deepEqual(await host.answer('AT+CIMI'), ['+CME ERROR: SIM PIN required']);
  assert.deepEqual(await host.answer('AT+CMGR=0'), ['+CMS ERROR: SIM PIN required']);
  await host.answer('AT+CMEE=0');
  assert.deepEqual(await host.answer('AT+CIMI'), ['ERROR']);
  await host.answer('AT+CMEE=1');
  assert.deepEqual(await host.answer('AT+CREG?'), ['+CREG: 0,0', 'OK'], 'a locked SIM does not register');

  assert.deepEqual(await host.answer('AT+CPIN="0000"'), ['+CME ERROR: 16']);
  assert.deepEqual(await host.answer('AT+CPINR="SIM PIN"'), ['+CPINR: SIM PIN,2,3', 'OK']);
  assert.deepEqual(await host.answer('AT+QPINC?'), ['+QPINC: "SC",2,10', '+QPINC: "P2",3,10', 'OK']);
  await host.answer('AT+CPIN="1111"');
  assert.deepEqual(await host.answer('AT+CPIN="2222"'), ['+CME ERROR: 16']);
  await host.until(() => host.lines.includes('+CPIN: SIM PUK'), 'the +CPIN: SIM PUK URC');
  host.fresh();
  assert.deepEqual(await host.answer('AT+CPIN?'), ['+CPIN: SIM PUK', 'OK']);
  assert.deepEqual(await host.answer('AT+CIMI'), ['+CME ERROR: 12']);
  assert.deepEqual(await host.answer('AT+CPIN="1234"'), ['+CME ERROR: 16'], 'in SIM PUK the PIN alone is refused');
  assert.deepEqual(await host.answer('AT+CPIN="87654321","4321"'), ['+CME ERROR: 16']);
  assert.deepEqual(await host.answer('AT+CPINR="SIM PUK"'), ['+CPINR: SIM PUK,9,10', 'OK']);
  assert.deepEqual(await host.answer('AT+CPIN="12345678","4321"'), ['OK']);
  await host.until(() => host.lines.includes('+QIND: SMS DONE'), 'SIM ready URCs');
  assert.deepEqual(host.fresh(), ['+CPIN: READY', '+QIND: SMS DONE', '+QIND: PB DONE']);
  assert.deepEqual(await host.answer('AT+CPINR="SIM P*"'), ['+CPINR: SIM PIN,3,3', '+CPINR: SIM PUK,10,10', '+CPINR: SIM PIN2,3,3', '+CPINR: SIM PUK2,10,10', 'OK']);
  assert.deepEqual(await host.answer('AT+CIMI'), [sim.state.identity.imsi, 'OK']);
  assert.deepEqual(await host.answer('AT+CPIN="4321"'), ['+CME ERROR: 3'], 'entering a PIN when none is asked for is not allowed');
});

test('the new PIN is asked for again after a power cycle, and the card keeps its counters', async () => {
  const clock = new FakeClock();
  const { sim, host } = modem({ pin: '1234', clock, bootMs: 100 });
  await host.answer('AT+CPIN="9999"');
  const cycling = sim.powerCycle();
  clock.advance(100);
  await cycling;
  assert.deepEqual(host.fresh(), ['RDY', '+CFUN: 1', '+CPIN: SIM PIN', '+QUSIM: 1']);
  assert.deepEqual(await host.at('AT+CPINR="SIM PIN"'), ['AT+CPINR="SIM PIN"', '+CPINR: SIM PIN,2,3', 'OK']);
});

test('CFUN: radio off deregisters and fails network commands; CFUN=1,1 answers OK, goes silent, then boots', async () => {
  const clock = new FakeClock();
  const { host } = modem({ clock, bootMs: 300 });
  await host.answer('ATE0');
  await host.answer('AT+CREG=1');
  assert.deepEqual(await host.answer('AT+CFUN?'), ['+CFUN: 1', 'OK']);
  assert.deepEqual(await host.answer('AT+CFUN=4'), ['OK']);
  assert.deepEqual(host.fresh(), ['+CREG: 0'], 'the registration URC follows the OK');
  assert.deepEqual(await host.answer('AT+CREG?'), ['+CREG: 1,0', 'OK']);
  assert.deepEqual(await host.answer('AT+CSQ'), ['+CSQ: 99,99', 'OK']);
  assert.deepEqual(await host.answer('AT+COPS?'), ['+COPS: 0', 'OK']);
  assert.deepEqual(await host.answer('AT+COPS=?'), ['+CME ERROR: 3']);
  const pdu = encodeSubmit({ recipient: '+447700900123', text: 'hi' })[0]!;
  host.send(`AT+CMGS=${pdu.tpduLength}\r`);
  await host.until(() => host.raw.endsWith('> '), 'the prompt');
  host.send(pdu.hex + '\x1a');
  await host.until(() => host.lines.includes('+CMS ERROR: 331'), 'no network service');
  await host.answer('AT+CFUN=1');
  assert.deepEqual(host.fresh(), ['+CREG: 1']);

  assert.deepEqual(await host.answer('AT+CFUN=1,1'), ['OK']);
  host.send('AT\r');
  await settle();
  clock.advance(299);
  await settle();
  assert.deepEqual(host.fresh(), [], 'silent while restarting, even to AT');
  clock.advance(1);
  await settle();
  assert.deepEqual(host.fresh(), ['RDY', '+CFUN: 1', '+CPIN: READY', '+QUSIM: 1', '+QIND: SMS DONE', '+QIND: PB DONE']);
  assert.deepEqual(await host.at('AT'), ['AT', 'OK'], 'echo is back on after the restart');
});

test('+CREG/+CGREG/+CEREG: URCs per <n>, with quoted hex area and cell and the access technology at n=2', async () => {
  const { sim, host } = modem();
  await host.answer('ATE0');
  await host.answer('AT+CREG=2;+CEREG=1');
  sim.setRegistration({ stat: 5, lac: 0x00ab, ci: 0x1234567, act: 7, domain: 'cs' });
  sim.setRegistration({ stat: 1, lac: 0x31c5, ci: 0xbeef, act: 0, domain: 'ps' });
  sim.setRegistration({ stat: 2, domain: 'eps' });
  await settle();
  assert.deepEqual(host.fresh(), ['+CREG: 5,"00AB","01234567",7', '+CEREG: 2'], 'no +CGREG while its n is 0');
  assert.deepEqual(await host.answer('AT+CREG?'), ['+CREG: 2,5,"00AB","01234567",7', 'OK']);
  assert.deepEqual(await host.answer('AT+CGREG=2;+CGREG?'), ['+CGREG: 2,1,"31C5","BEEF",0', 'OK'], 'GSM cells have 16-bit ids');
  sim.setRegistration({ stat: 5, lac: 0x00ab, ci: 0x1234567, act: 7, domain: 'cs' });
  await settle();
  assert.deepEqual(host.fresh(), [], 'no URC when nothing changed');
  sim.setRegistration({ stat: 3 });
  await settle();
  assert.deepEqual(host.fresh(), ['+CREG: 3', '+CGREG: 3', '+CEREG: 3']);
  assert.throws(() => sim.setRegistration({ stat: 1, lac: 0x10000 }), /lac 65536 .*0xFFFF/);
});

test('SIM and radio controls: removal, insertion, forced lock states, radio switched by the modem, signal URCs', async () => {
  const { sim, host } = modem();
  await host.answer('ATE0');
  await host.answer('AT+CEREG=1');
  sim.removeSim();
  await settle();
  assert.deepEqual(host.fresh(), ['+CPIN: NOT READY', '+CEREG: 0']);
  assert.deepEqual(await host.answer('AT+CPIN?'), ['+CME ERROR: 10']);
  assert.deepEqual(await host.answer('AT+CMGL=4'), ['+CMS ERROR: 310']);
  assert.deepEqual(await host.answer('AT+QCCID'), ['+CME ERROR: 10']);
  sim.insertSim();
  await settle();
  assert.deepEqual(host.fresh(), ['+CPIN: READY', '+QIND: SMS DONE', '+QIND: PB DONE', '+CEREG: 1']);
  sim.setSimState('PH-SIM PIN');
  await settle();
  assert.deepEqual(host.fresh(), ['+CPIN: PH-SIM PIN', '+CEREG: 0']);
  assert.deepEqual(await host.answer('AT+CIMI'), ['+CME ERROR: 5']);
  assert.throws(() => sim.setSimState('LOCKED' as never), /SIM state "LOCKED"/);
  sim.setSimState('READY');
  await settle();
  host.fresh();
  sim.setRadio(4);
  await settle();
  assert.deepEqual(host.fresh(), ['+CFUN: 4', '+CEREG: 0']);
  assert.deepEqual(await host.answer('AT+CFUN?'), ['+CFUN: 4', 'OK']);
  assert.throws(() => sim.ring({ number: '+1555' }), /not registered/);
  sim.setRadio(1);
  await settle();
  assert.deepEqual(host.fresh(), ['+CFUN: 1', '+CEREG: 1']);
  sim.setSignal(25, 0);
  assert.deepEqual(await host.answer('AT+CSQ'), ['+CSQ: 25,0', 'OK']);
  await host.answer('AT+QINDCFG="csq",1');
  sim.setSignal(9);
  await settle();
  assert.deepEqual(host.fresh(), ['+QIND: "csq",9,99']);
  assert.throws(() => sim.setSignal(32), /rssi 32 .*0 to 31, or 99/);
  sim.urc('+CGEV: NW DETACH');
  await settle();
  assert.deepEqual(host.fresh(), ['+CGEV: NW DETACH']);

  const simcom = modem({ identity: { manufacturer: 'SIMCOM INCORPORATED', model: 'SIMCOM_SIM7600E-H' } });
  simcom.sim.removeSim();
  await settle();
  assert.deepEqual(simcom.host.fresh(), ['+SIMCARD: NOT AVAILABLE']);
  simcom.sim.insertSim();
  await settle();
  assert.deepEqual(simcom.host.fresh(), ['+CPIN: READY', 'SMS DONE', 'PB DONE']);
});

test('operators: AT+COPS=? lists the one in use as current, formats switch with AT+COPS=3, forbidden networks refuse', async () => {
  const { sim, host } = modem();
  await host.answer('ATE0');
  assert.deepEqual(await host.answer('AT+COPS=?'), [
    '+COPS: (2,"EE","EE","23430",7),(1,"vodafone UK","voda UK","23415",7),(3,"O2 - UK","O2 - UK","23410",2),,(0,1,2,3,4),(0,1,2)',
    'OK',
  ]);
  assert.deepEqual(await host.answer('AT+COPS=3,2;+COPS?'), ['+COPS: 0,2,"23430",7', 'OK']);
  assert.deepEqual(await host.answer('AT+COPS=1,2,"23410"'), ['+CME ERROR: 32']);
  assert.deepEqual(await host.answer('AT+COPS=1,2,"23415";+COPS?'), ['+COPS: 1,2,"23415",7', 'OK']);
  sim.setOperator({ long: 'Test Net', short: 'TN', numeric: '00101' });
  assert.deepEqual(await host.answer('AT+COPS=3,0;+COPS?'), ['+COPS: 1,0,"Test Net",7', 'OK']);
  await host.answer('AT+CSCS="UCS2"');
  assert.deepEqual(await host.answer('AT+COPS?'), ['+COPS: 1,0,"00540065007300740020004E00650074",7', 'OK'], 'names follow +CSCS');
  assert.deepEqual(await host.answer('AT+COPS=2;+COPS?'), ['+COPS: 2', 'OK']);
});

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
