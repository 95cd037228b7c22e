import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseCfun, parseCsq } from '../drivers/modem/at/radio.js';
import { parseCopsQuery } from '../drivers/modem/at/cops.js';
import { parseFinal } from '../drivers/modem/at/final.js';
import { parseRegistration } from '../drivers/modem/at/registration.js';
import { parseCpin, parseImei, parseImsi } from '../drivers/modem/at/sim.js';
import { classifyUrc, isPacketDomainUrc, isVendorUrc, urcNames } from '../drivers/modem/at/urc.js';

interface Table<R> { rows: R[] }
const corpus = JSON.parse(readFileSync(new URL('../../shared/corpora/modemmanager_at_responses.json', import.meta.url), 'utf8')) as {
  creg_cgreg_cereg_c5greg: { test: string; line: string; expected: { mm_regex_index: number } }[];
  cds_urc: { line: string }[];
  cmgl_pdu_listing: { response: string }[];
  tables: { clip_urc_tests: Table<{ str: string }>; ccwa_urc_tests: Table<{ str: string }>; cgev_indication_tests: Table<{ str: string }>; test_ccwa: Table<{ response: string }> };
  at_serial_port_final_result_parsing: { parse_ok_tests: Table<{ response: string }> };
  fake_modem_transcript_gsm_port_conf: string;
};
const lines = (text: string) => text.split(/\r\n|\r|\n/).filter((l) => l.trim() !== '');

test('the URCs that follow OK in the corpus responses are all recognised', () => {
  const seen: string[] = [];
  for (const row of corpus.at_serial_port_final_result_parsing.parse_ok_tests.rows) {
    for (const line of lines(row.response)) {
      if (parseFinal(line) || line === 'UNKNOWN COMMAND') continue;
      const kind = classifyUrc(line);
      assert.ok(kind, line);
      seen.push(kind.name);
    }
  }
  assert.deepEqual(seen, ['+CMTI', '+CIEV', '+CRING', '+CLIP']);
});

test('registration lines are URCs only in the unsolicited form (no <n>)', () => {
  // MM regexes 0, 2, 5, 6, 9, 10 and 12 are the forms without <n> (see at-registration.test.ts).
  const withoutN = new Set([0, 2, 5, 6, 9, 10, 12]);
  let handled = 0;
  for (const row of corpus.creg_cgreg_cereg_c5greg) {
    const first = lines(row.line)[0] ?? '';
    const kind = classifyUrc(first);
    assert.equal(kind !== undefined, withoutN.has(row.expected.mm_regex_index), `${row.test}: ${JSON.stringify(first)}`);
    if (kind) assert.equal(kind.name, first.slice(0, first.indexOf(':')).trim(), row.test);
    handled++;
  }
  assert.equal(handled, 56);
});

test('+CLIP, +CCWA and +CGEV lines of the corpus are URCs; the AT+CCWA query answer is not', () => {
  for (const row of corpus.tables.clip_urc_tests.rows) assert.equal(classifyUrc(row.str.trim())?.name, '+CLIP', row.str);
  for (const row of corpus.tables.ccwa_urc_tests.rows) assert.equal(classifyUrc(row.str.trim())?.name, '+CCWA', row.str);
  let cgev = 0;
  for (const row of corpus.tables.cgev_indication_tests.rows) {
    if (!row.str.startsWith('+CGEV:')) continue; // the other rows are the text after the prefix
    assert.equal(classifyUrc(row.str)?.name, '+CGEV', row.str);
    cgev++;
  }
  assert.ok(cgev >= 20);
  for (const row of corpus.tables.test_ccwa.rows) for (const line of lines(row.response)) assert.equal(classifyUrc(line), undefined, line);
  assert.equal(classifyUrc('+CLIP: 0,1'), undefined);
});

test('+CMT, +CBM and PDU-mode +CDS take the next line as their body; text-mode +CDS does not', () => {
  const [header] = lines(corpus.cds_urc[0]?.line ?? '');
  assert.deepEqual(classifyUrc(header ?? ''), { name: '+CDS', bodyLines: 1 });
  assert.deepEqual(classifyUrc('+CMT: ,24'), { name: '+CMT', bodyLines: 1 });
  assert.deepEqual(classifyUrc('+CMT: "+15551234567",,"24/05/01,10:00:00+08"'), { name: '+CMT', bodyLines: 1 });
  assert.deepEqual(classifyUrc('+CBM: 88'), { name: '+CBM', bodyLines: 1 });
  assert.deepEqual(classifyUrc('+CDS: 6,90,"639335936",129,"12/09/11,07:40:36+08","12/09/11,07:40:36+08",0'), { name: '+CDS', bodyLines: 0 });
  assert.deepEqual(classifyUrc('+CMTI: "SM",3'), { name: '+CMTI', bodyLines: 0 });
  // A +CMGL header and its PDU are an answer, not URCs.
  for (const line of lines(corpus.cmgl_pdu_listing[0]?.response ?? '')) assert.equal(classifyUrc(line), undefined, line);
});

test('the URCs the engine must separate are all in the table', () => {
  const required = [
    '+CMTI', '+CMT', '+CDS', '+CDSI', '+CBM', '+CBMI', 'RING', '+CRING', '+CLIP', '+CCWA', 'NO CARRIER', '+CREG', '+CGREG', '+CEREG',
    '+C5GREG', '+CGEV', '+CUSD', '+CPIN', '+CFUN', '+CIEV', '+CTZV', '+CTZE', '+PACSP', '+QIND', '+QUSIM', '^MODE', '^RSSI', '^SYSSTART',
    '^HCSQ', '^SRVST', '^SIMST', '^BOOT', '^DSFLOWRPT', '^NDISSTAT', '*ECAV', '+SIMCARD', '+STIN', '+STKPCI', '+CUSATP', '+UUPSDA', '+UUSORD',
  ];
  const names = new Set(urcNames());
  for (const name of required) assert.ok(names.has(name), name);
  // Bare words and words with something after them.
  assert.equal(classifyUrc('RING')?.name, 'RING');
  assert.equal(classifyUrc('NO CARRIER')?.alsoResponseTo, 'ATD');
  assert.equal(classifyUrc('+PACSP1')?.name, '+PACSP');
  assert.equal(classifyUrc('^SYSSTART AIRPLANE MODE')?.name, '^SYSSTART');
  assert.equal(classifyUrc('SMS Ready')?.name, 'SMS READY');
  assert.equal(classifyUrc('+CTZU: "19/07/09,10:19:15",+08,1')?.name, '+CTZU');
  assert.equal(classifyUrc('+CTZU: 1'), undefined);
  for (const line of ['OK', '', '+CSQ: 17,99', '+COPS: 0,0,"Vodafone",7', 'RINGING', 'AT+CMTI', '0791443700']) assert.equal(classifyUrc(line), undefined, line);
});

test('vendor and SIM-toolkit URCs are told apart from the standard ones, and packet-domain ones flagged', () => {
  for (const name of ['^MODE', '+QIND', '+UUSORD', '#SRING', '^SIS', '+PACSP', '+STIN', '+CUSATP', '^STIN', '^NDISSTAT', '+UUPSDA']) assert.ok(isVendorUrc(name), name);
  for (const name of ['+CMTI', 'RING', '+CREG', '+CGREG', '+CGEV', '+CUSD', 'NO CARRIER', '+UNKNOWN']) assert.ok(!isVendorUrc(name), name);
  for (const name of ['+CGREG', '+CEREG', '+C5GREG', '+CGEV', '^NDISSTAT', '^DSFLOWRPT', '+UUPSDA', '+UUPSDD', '_OWANCALL', '%IPDPACT']) assert.ok(isPacketDomainUrc(name), name);
  for (const name of ['+CREG', '+CMTI', '^MODE', '+CUSATP', 'RING']) assert.ok(!isPacketDomainUrc(name), name);
});

/** The fake-modem transcript: one command and its reply per line, CR LF written as the four characters \r\n. */
function transcript(): { command: string; reply: string[] }[] {
  return corpus.fake_modem_transcript_gsm_port_conf
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\S+)\s+(.*)$/.exec(l);
      assert.ok(m, l);
      return { command: m[1] ?? '', reply: (m[2] ?? '').replaceAll('<CR><LF>', '\\r\\n').split('\\r\\n').filter((x) => x.trim() !== '') };
    });
}

test('no answer in the fake-modem transcript is taken for a URC unless its prefix is shared with that command', () => {
  const entries = transcript();
  assert.ok(entries.length >= 35);
  for (const { command, reply } of entries) {
    for (const line of reply) {
      if (parseFinal(line)) continue;
      const kind = classifyUrc(line);
      if (kind) assert.equal(kind.alsoResponseTo, command, `${command}: ${line}`);
    }
  }
});

test('the answers in the fake-modem transcript read with the parsers', () => {
  const answer = (command: string) => {
    const e = transcript().find((t) => t.command === command);
    assert.ok(e, command);
    return e.reply[0] ?? '';
  };
  assert.deepEqual(parseRegistration(answer('AT+CREG?')), { domain: 'cs', solicited: true, n: 2, state: 'home', stat: 1, lac: 0x1234, ci: 0x001122bb });
  assert.deepEqual(parseRegistration(answer('AT+CGREG?')), { domain: 'ps', solicited: true, n: 2, state: 'home', stat: 1, lac: 0x31c5, ci: 0x0083f7cd });
  assert.deepEqual(parseCopsQuery(answer('AT+COPS=3,2;+COPS?')), { mode: 0, format: 2, operator: '21401', act: 'umts' });
  assert.deepEqual(parseCopsQuery(answer('AT+COPS=3,0;+COPS?')), { mode: 0, format: 0, operator: 'vodafone ES' });
  assert.equal(parseCsq(answer('AT+CSQ'))?.dbm, -79);
  assert.equal(parseCpin(answer('AT+CPIN?')), 'READY');
  assert.deepEqual(parseCfun(answer('AT+CFUN?')), { fun: 1, state: 'on' });
  assert.equal(parseImei(answer('AT+CGSN')), '123456789012345');
  assert.equal(parseImsi(answer('AT+CIMI')), '998899889988997');
  const cnmi = parseFinal(answer('AT+CNMI=?'), 'AT+CNMI=?');
  assert.ok(cnmi && !cnmi.ok);
  assert.equal(cnmi.error.message, 'AT+CNMI failed: ERROR');
});
