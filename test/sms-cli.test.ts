/**
 * `vigil sms decode` as a user runs it: the text fields, --json, --no-smsc, a bad PDU (one line
 * on stderr, exit code 1) and --help. The PDUs are ModemManager's and python-gsmmodem's, read in place.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { vigil } from './helpers/cli.js';

const corpus = (name: string) => JSON.parse(readFileSync(new URL(`../../shared/corpora/${name}`, import.meta.url), 'utf8'));
const mm = corpus('modemmanager_sms_pdu.json') as { parse: any[]; invalid: any[] };
const py = corpus('python_gsmmodem_pdu.json') as { decode: any[] };
const pduOf = (test: string, n = 0) => mm.parse.filter((v) => v.test === test)[n]!.pdu_hex as string;

/** "name: value" lines → a map (the first occurrence of each name). */
function fields(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^([a-z ]+): (.*)$/.exec(line);
    if (m && !out.has(m[1]!)) out.set(m[1]!, m[2]!);
  }
  return out;
}

describe('vigil sms decode', () => {
  it('prints an SMS-DELIVER field by field, the time in its own offset', async () => {
    const r = await vigil(['sms', 'decode', pduOf('test_pdu_multipart')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const f = fields(r.stdout);
    assert.equal(r.stdout.split('\n')[0], 'type: SMS-DELIVER');
    assert.equal(f.get('smsc'), '+12063130025');
    assert.equal(f.get('sender'), '+16175046925 (international)');
    assert.equal(f.get('timestamp'), '2012-04-25T19:56:50-04:00');
    assert.equal(f.get('encoding'), 'gsm7');
    assert.equal(f.get('udh'), 'concat ref 76 part 1/2 (8-bit ref)');
    assert.equal(f.get('text'), mm.parse.find((v) => v.test === 'test_pdu_multipart')!.expected.text);
  });

  it('class, 8-bit data as hex, and an alphanumeric sender', async () => {
    const r = await vigil(['sms', 'decode', pduOf('test_pdu_dcsf_8bit')]);
    assert.equal(r.code, 0, r.stderr);
    const f = fields(r.stdout);
    assert.equal(f.get('encoding'), '8bit');
    assert.equal(f.get('class'), '0');
    assert.equal(f.get('data'), 'E8329BFD4697D9EC37DE');
    assert.equal(f.has('text'), false);
    const alpha = fields((await vigil(['sms', 'decode', pduOf('test_pdu2')])).stdout);
    assert.equal(alpha.get('sender'), 'InternetSMS (alphanumeric)');
    assert.equal(alpha.get('text'), 'тест');
    assert.equal(alpha.get('timestamp'), '2011-03-29T19:20:04+04:00');
  });

  it('a text over several lines continues indented under "text:"', async () => {
    const r = await vigil(['sms', 'decode', pduOf('test_pdu_dcsf1')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\ntext: Info SFR - Confidentiel, à ne jamais transmettre -\n {6}Voici votre nouveau mot de passe : sw2ced/);
  });

  it('an SMS-SUBMIT shows recipient, reference and validity; a status report its discharge time and status', async () => {
    const sub = fields((await vigil(['sms', 'decode', py.decode.find((v) => v.expected.type === 'SMS-SUBMIT' && v.expected.validity)!.pdu_hex])).stdout);
    assert.equal(sub.get('type'), 'SMS-SUBMIT');
    assert.equal(sub.get('recipient'), '+31628870634 (international)');
    assert.equal(sub.get('reference'), '13');
    assert.equal(sub.get('validity'), 'relative 3 days (TP-VP 0xA9)');
    assert.equal(sub.get('flags'), 'status-report-requested');
    const sr = fields((await vigil(['sms', 'decode', pduOf('test_pdu_not_stored')])).stdout);
    assert.equal(sr.get('type'), 'SMS-STATUS-REPORT');
    assert.equal(sr.get('recipient'), '639337937 (unknown)');
    assert.equal(sr.get('timestamp'), '2012-09-11T07:40:36+02:00');
    assert.equal(sr.get('discharged'), '2012-09-11T07:40:36+02:00');
    assert.equal(sr.get('status'), '0x30 still trying: service-centre specific (0x30)');
  });

  it('--json: the same information as one object, times as ISO strings, bytes as hex', async () => {
    const r = await vigil(['sms', 'decode', '--json', pduOf('test_pdu_udhi')]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.type, 'deliver');
    assert.deepEqual(j.smsc, { number: '+31653131316', type: 'international', toa: 0x91 });
    assert.deepEqual(j.sender, { number: '1002', type: 'unknown', toa: 0x85 });
    assert.equal(j.timestamp, '2011-06-29T23:32:19+02:00');
    assert.equal(j.tzOffsetMinutes, 120);
    assert.deepEqual(j.udh, { concat: { ref: 16, total: 2, seq: 1, refBits: 16 }, elements: [] });
    assert.equal(j.pid, 0x39);
    assert.equal(j.moreMessagesToSend, true);
    const data = JSON.parse((await vigil(['sms', 'decode', '--json', pduOf('test_pdu3_8bit')])).stdout);
    assert.equal(data.data, 'E8329BFD4697D9EC37DE');
    const abs = JSON.parse((await vigil(['sms', 'decode', '--json', py.decode.find((v) => typeof v.expected.validity === 'string')!.pdu_hex])).stdout);
    assert.equal(abs.smsc, null);
    assert.deepEqual(abs.validity, { kind: 'absolute', time: '2013-07-10T13:39:00+02:00', tzOffsetMinutes: 120 });
  });

  it('--no-smsc: a PDU as AT+CMGS takes it, starting at the first octet', async () => {
    const hex = pduOf('test_pdu3').slice(16); // drop 07 91 2143658709F1
    const r = await vigil(['sms', 'decode', '--no-smsc', hex]);
    assert.equal(r.code, 0, r.stderr);
    const f = fields(r.stdout);
    assert.equal(f.get('smsc'), '(none)');
    assert.equal(f.get('text'), 'hellohello');
    // The same bytes read as if they had an SMSC field do not decode.
    const wrong = await vigil(['sms', 'decode', hex]);
    assert.equal(wrong.code, 1);
  });

  it('whitespace inside the hex is fine, quoted or pasted as separate arguments', async () => {
    const groups = pduOf('test_pdu3').match(/.{1,2}/g)!;
    for (const args of [[groups.join(' ')], groups, [groups.slice(0, 5).join(''), groups.slice(5).join('\n')]]) {
      const r = await vigil(['sms', 'decode', ...args]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(fields(r.stdout).get('text'), 'hellohello');
    }
  });

  it('a bad PDU: exactly one line on stderr saying what is wrong, nothing on stdout, exit code 1', async () => {
    const r = await vigil(['sms', 'decode', mm.invalid.find((v) => v.test === 'test_pdu_insufficient_data')!.pdu_hex]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'vigil: sms decode: TP-UDL says 11 septets but only 9 bytes of user data follow (byte 26)\n');
    const notHex = await vigil(['sms', 'decode', 'hello']);
    assert.equal(notHex.code, 1);
    assert.equal(notHex.stderr, 'vigil: sms decode: PDU hex has "h" at position 0: expected hex digits 0-9 and A-F (whitespace is allowed)\n');
  });

  it('--help describes the command and its options; a missing argument is a usage error', async () => {
    const r = await vigil(['sms', 'decode', '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: vigil sms decode \[options\] <hex\.\.\.>/);
    assert.match(r.stdout, /--json\s+print the fields as one JSON object/);
    assert.match(r.stdout, /--no-smsc\s+the PDU starts at its first octet, without an SMSC field/);
    const missing = await vigil(['sms', 'decode']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /missing required argument 'hex'/);
  });
});
