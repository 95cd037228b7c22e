// The modem simulator itself, part 1: framing, input, identity, the SIM's PIN, radio, registration
// and operators (part 2, test/modem-sim-sms.test.ts: messages, calls, misbehaviour, transcripts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../runtime/clock.js';
import { SimModem, isValidImei, luhnCheckDigit } from '../drivers/modem/sim/index.js';
import { encodeSubmit } from '../drivers/modem/sms/index.js';
import { modem, settle } from './helpers/sim-host.js';

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
