import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseCcwa, parseCcwaQuery, parseClip } from '../drivers/modem/at/calls.js';
import { parseCgev, type CgevType } from '../drivers/modem/at/cgev.js';
import { parseCclk } from '../drivers/modem/at/clock.js';
import { parseCesq, parseCfun, parseCsq, type RadioState } from '../drivers/modem/at/radio.js';
import { parseCpin, parseIccid, parseImei, parseImsi, parsePinRetries, type SimLock } from '../drivers/modem/at/sim.js';
import { parseCdsHeader, parseCdsi, parseCmglPdu, parseCmgrPdu, parseCmti, parseCmtHeader, parseCnum, parseCpmsQuery, parseCpmsTest } from '../drivers/modem/at/sms-lines.js';
import { splitGroups, splitParams } from '../drivers/modem/at/tokens.js';
import { DriverError } from '../runtime/errors.js';

interface Table<R> { rows: R[] }
interface MiscTest { vars: Record<string, unknown>; calls: string[]; asserts: string[] }
interface Corpus {
  [group: string]: unknown;
  cmgl_pdu_listing: { test: string; response: string; expected: { index: number; status: number; pdu: string }[] }[];
  cmgr_pdu_read: { test: string; response: string; expected: { status: number; pdu: string } }[];
  cds_urc: { line: string; expected_length: number; expected_pdu: string }[];
  tables: Record<string, Table<Record<string, unknown>>>;
  misc_function_tests: Record<string, MiscTest>;
}
const corpus = JSON.parse(readFileSync(new URL('../../shared/corpora/modemmanager_at_responses.json', import.meta.url), 'utf8')) as Corpus;
function rowsOf<R>(name: string): R[] {
  const table = corpus.tables[name];
  assert.ok(table, `corpus table ${name} is missing`);
  return table.rows as R[];
}
const isBad = (err: unknown) => err instanceof DriverError && err.code === 'AT_BAD_RESPONSE';

test('+CPIN answers give the lock ModemManager reports (prefix optional, code quoted or not)', () => {
  const LOCK: Record<string, SimLock | undefined> = {
    MM_MODEM_LOCK_UNKNOWN: undefined, MM_MODEM_LOCK_NONE: 'READY', MM_MODEM_LOCK_SIM_PIN: 'SIM PIN', MM_MODEM_LOCK_SIM_PIN2: 'SIM PIN2',
    MM_MODEM_LOCK_SIM_PUK: 'SIM PUK', MM_MODEM_LOCK_SIM_PUK2: 'SIM PUK2', MM_MODEM_LOCK_PH_NET_PIN: 'PH-NET PIN', MM_MODEM_LOCK_PH_NET_PUK: 'PH-NET PUK',
    MM_MODEM_LOCK_PH_SIM_PIN: 'PH-SIM PIN', MM_MODEM_LOCK_PH_SP_PIN: 'PH-SP PIN', MM_MODEM_LOCK_PH_CORP_PIN: 'PH-CORP PIN', MM_MODEM_LOCK_PH_FSIM_PIN: 'PH-FSIM PIN',
  };
  const rows = rowsOf<{ str: string; expect_prefix: boolean; expected_lock: string }>('test_cpin_responses');
  // expect_prefix tells MM's helper whether to demand "+CPIN:"; ours accepts either, so it only documents the row.
  for (const row of rows) {
    assert.ok(row.expected_lock in LOCK, row.expected_lock);
    assert.equal(parseCpin(row.str), LOCK[row.expected_lock], row.str);
  }
  assert.equal(rows.length, 7);
  assert.equal(parseCpin('+CPIN: READY'), 'READY');
  assert.equal(parseCpin('+CPIN: PH-NETSUB PUK'), 'PH-NETSUB PUK');
  assert.equal(parseCpin('+CPIN: NOT READY'), undefined);
});

test('PIN and PUK attempts left, from the standard and the vendor commands', () => {
  assert.deepEqual(parsePinRetries('+CPINR: SIM PIN,3,10\r\n+CPINR: SIM PUK,10,10\r\n+CPINR: "SIM PIN2",2,3'), { pin: 3, puk: 10, pin2: 2 });
  assert.deepEqual(parsePinRetries('^CPIN: SIM PIN,,10,3,10,3'), { puk: 10, pin: 3, puk2: 10, pin2: 3 });
  assert.deepEqual(parsePinRetries('+QPINC: "SC",3,10\r\n+QPINC: "P2",2,10'), { pin: 3, puk: 10, pin2: 2, puk2: 10 });
  assert.deepEqual(parsePinRetries('+SPIC: 3,10,3,10'), { pin: 3, puk: 10, pin2: 3, puk2: 10 });
  assert.deepEqual(parsePinRetries('+UPINCNT: 2,3,9,10'), { pin: 2, pin2: 3, puk: 9, puk2: 10 });
  assert.equal(parsePinRetries('+CPIN: SIM PIN'), undefined);
  assert.equal(parsePinRetries('+CPINR: PH-NET PIN,3,3'), undefined);
});

test('ICCIDs: quoted or not, swapped or not, F-padded, hex account digits, MII 89 — as ModemManager rules', () => {
  const cases = Object.entries(corpus.misc_function_tests).filter(([name]) => name.startsWith('test_iccid_parse_'));
  for (const [name, t] of cases) {
    const raw = t.vars.raw_iccid;
    assert.equal(typeof raw, 'string', name);
    const fails = t.asserts.some((a) => a.includes('parsed == NULL'));
    if (fails) assert.throws(() => parseIccid(raw as string), isBad, name);
    else assert.equal(parseIccid(raw as string), t.vars.expected, name);
  }
  assert.equal(cases.length, 11);
  assert.equal(parseIccid('+CCID: 89441000301641313004'), '89441000301641313004');
  assert.throws(() => parseIccid('98231420326pl9614067'), (err: unknown) => isBad(err) && /"98231420326pl9614067".*19 or 20/.test((err as Error).message));
});

test('IMSI and IMEI are digits of the right length; anything else is an error quoting it', () => {
  assert.equal(parseImsi('998899889988997'), '998899889988997');
  assert.equal(parseImsi('+CIMI: 262011234567890'), '262011234567890');
  assert.equal(parseImei('123456789012345'), '123456789012345');
  assert.equal(parseImei('+CGSN: "490154203237518"'), '490154203237518');
  assert.equal(parseImei('IMEI: 3542370650822271'), '3542370650822271');
  assert.throws(() => parseImsi('ERROR'), (err: unknown) => isBad(err) && /"ERROR"/.test((err as Error).message));
  assert.throws(() => parseImsi('1234567890123456'), isBad);
  assert.throws(() => parseImei('35423706508222'), isBad);
  assert.throws(() => parseImei('35423706508222x'), isBad);
});

test('+CFUN answers give <fun> and the radio state (corpus cfun tables)', () => {
  const raw = rowsOf<{ str: string; state: number }>('cfun_query_tests');
  for (const row of raw) assert.equal(parseCfun(row.str)?.fun, row.state, row.str);
  // MM's generic power states: ON is full functionality, OFF is <fun> 0, LOW is <fun> 4 ("flight").
  const POWER: Record<string, RadioState> = { MM_MODEM_POWER_STATE_ON: 'on', MM_MODEM_POWER_STATE_OFF: 'off', MM_MODEM_POWER_STATE_LOW: 'flight' };
  const generic = rowsOf<{ str: string; state: string }>('cfun_query_generic_tests');
  for (const row of generic) {
    assert.ok(row.state in POWER, row.state);
    assert.equal(parseCfun(row.str)?.state, POWER[row.state], row.str);
  }
  assert.equal(raw.length + generic.length, 12);
  assert.deepEqual(parseCfun('+CFUN: 19'), { fun: 19, state: 'vendor' });
  assert.deepEqual(parseCfun('+CFUN: 2'), { fun: 2, state: 'tx-off' });
  assert.equal(parseCfun('+CSQ: 1,2'), undefined);
  assert.throws(() => parseCfun('+CFUN: on'), isBad);
});

test('+CSQ gives rssi, dBm, BER and a quality; 99 means not known', () => {
  assert.deepEqual(parseCsq('+CSQ: 17,99'), { rssi: 17, dbm: -79, ber: undefined, quality: 55 });
  assert.deepEqual(parseCsq('+CSQ: 31,0'), { rssi: 31, dbm: -51, ber: 0, quality: 100 });
  assert.deepEqual(parseCsq('+CSQ: 99,99'), { rssi: undefined, dbm: undefined, ber: undefined, quality: undefined });
  assert.throws(() => parseCsq('+CSQ: 40,0'), (err: unknown) => isBad(err) && /40: expected 0 to 31, or 99/.test((err as Error).message));
});

test('+CESQ levels convert to dBm and dB as ModemManager converts them (corpus cesq table)', () => {
  const rows = rowsOf<Record<string, number | boolean | string>>('cesq_response_tests');
  for (const row of rows) {
    const str = row.str as string;
    const c = parseCesq(str);
    assert.ok(c, str);
    assert.equal(c.gsm !== undefined, row.gsm_info, `${str} gsm`);
    assert.equal(c.umts !== undefined, row.umts_info, `${str} umts`);
    assert.equal(c.lte !== undefined, row.lte_info, `${str} lte`);
    if (c.gsm) assert.deepEqual([c.gsm.rxlev, c.gsm.rssi, c.gsm.ber], [row.rxlev, row.rssi, row.ber], str);
    if (c.umts) assert.deepEqual([c.umts.rscpLevel, c.umts.rscp, c.umts.ecn0Level, c.umts.ecio], [row.rscp_level, row.rscp, row.ecn0_level, row.ecio], str);
    if (c.lte) assert.deepEqual([c.lte.rsrqLevel, c.lte.rsrq, c.lte.rsrpLevel, c.lte.rsrp], [row.rsrq_level, row.rsrq, row.rsrp_level, row.rsrp], str);
  }
  assert.equal(rows.length, 4);
  assert.deepEqual(parseCesq('+CESQ: 99,99,255,255,255,255,40,60,50')?.nr, { ssRsrqLevel: 40, ssRsrq: -23.5, ssRsrpLevel: 60, ssRsrp: -97, ssSinrLevel: 50, ssSinr: 1.5 });
  assert.throws(() => parseCesq('+CESQ: 99,99'), isBad);
});

test('+CLIP and +CCWA URCs give number, type and class (corpus clip/ccwa tables)', () => {
  const clips = rowsOf<{ str: string; number: string; type: number }>('clip_urc_tests');
  for (const row of clips) {
    const c = parseClip(row.str);
    assert.deepEqual([c?.number, c?.type], [row.number, row.type], row.str);
  }
  const ccwas = rowsOf<{ str: string; number: string; type: number; class: number }>('ccwa_urc_tests');
  for (const row of ccwas) {
    const c = parseCcwa(row.str);
    assert.deepEqual([c?.number, c?.type, c?.class], [row.number, row.type, row.class], row.str);
  }
  assert.equal(clips.length + ccwas.length, 5);
  assert.deepEqual(parseClip('+CLIP: "15551234567",145,,,"Alice",0'), { number: '+15551234567', type: 145, alpha: 'Alice', validity: 'valid' });
  assert.deepEqual(parseClip('+CLIP: "",128,,,,1'), { number: '', type: 128, validity: 'withheld' });
  assert.deepEqual(parseClip('+CLIP: "",128,,,,2')?.validity, 'unavailable');
});

test('the AT+CCWA=1,2 answer says whether voice call waiting is on (corpus test_ccwa)', () => {
  const rows = rowsOf<{ response: string; expected_status: boolean; expected_error: boolean }>('test_ccwa');
  for (const row of rows) {
    if (row.expected_error) assert.throws(() => parseCcwaQuery(row.response), isBad, row.response);
    else assert.equal(parseCcwaQuery(row.response), row.expected_status, row.response);
  }
  assert.equal(rows.length, 7);
});

test('+CGEV events of the corpus give type, PDP type, address and context ids (all 43 rows)', () => {
  const TYPE: Record<string, CgevType> = {
    MM_3GPP_CGEV_REJECT: 'REJECT', MM_3GPP_CGEV_NW_REACT: 'NW_REACT', MM_3GPP_CGEV_NW_DEACT_PDP: 'NW_DEACT_PDP', MM_3GPP_CGEV_ME_DEACT_PDP: 'ME_DEACT_PDP',
    MM_3GPP_CGEV_NW_ACT_PRIMARY: 'NW_ACT_PRIMARY', MM_3GPP_CGEV_ME_ACT_PRIMARY: 'ME_ACT_PRIMARY', MM_3GPP_CGEV_NW_ACT_SECONDARY: 'NW_ACT_SECONDARY',
    MM_3GPP_CGEV_ME_ACT_SECONDARY: 'ME_ACT_SECONDARY', MM_3GPP_CGEV_NW_DEACT_PRIMARY: 'NW_DEACT_PRIMARY', MM_3GPP_CGEV_ME_DEACT_PRIMARY: 'ME_DEACT_PRIMARY',
    MM_3GPP_CGEV_NW_DEACT_SECONDARY: 'NW_DEACT_SECONDARY', MM_3GPP_CGEV_ME_DEACT_SECONDARY: 'ME_DEACT_SECONDARY', MM_3GPP_CGEV_NW_DETACH: 'NW_DETACH',
    MM_3GPP_CGEV_ME_DETACH: 'ME_DETACH', MM_3GPP_CGEV_NW_CLASS: 'NW_CLASS', MM_3GPP_CGEV_ME_CLASS: 'ME_CLASS',
  };
  type Row = { str: string; expected_type: string; expected_pdp_type: string | null; expected_pdp_addr: string | null; expected_cid: number; expected_parent_cid: number; expected_event_type: number };
  const rows = rowsOf<Row>('cgev_indication_tests');
  for (const row of rows) {
    const e = parseCgev(row.str);
    assert.ok(e, row.str);
    assert.ok(row.expected_type in TYPE, row.expected_type);
    assert.equal(e.type, TYPE[row.expected_type], row.str);
    assert.ok(row.str.replace(/^\+CGEV:\s*/, '').startsWith(e.event), `${row.str}: event ${e.event}`);
    assert.equal(e.pdpType, row.expected_pdp_type ?? undefined, row.str);
    assert.equal(e.address, row.expected_pdp_addr ?? undefined, row.str);
    // MM writes 0 for an id the line does not carry; we leave it out.
    assert.deepEqual([e.cid ?? 0, e.parentCid ?? 0, e.eventType ?? 0], [row.expected_cid, row.expected_parent_cid, row.expected_event_type], row.str);
  }
  assert.equal(rows.length, 43);
  assert.deepEqual(parseCgev('+CGEV: ME PDN ACT 2, 3, 4'), { event: 'ME PDN ACT', type: 'ME_ACT_PRIMARY', cid: 2, reason: 3, otherCid: 4 });
  assert.deepEqual(parseCgev('+CGEV: NW DETACH'), { event: 'NW DETACH', type: 'NW_DETACH' });
  assert.deepEqual(parseCgev('+CGEV: NW CLASS "B"'), { event: 'NW CLASS', type: 'NW_CLASS', class: 'B' });
  assert.deepEqual(parseCgev('+CGEV: NW MODIFY 1, 2, 0'), { event: 'NW MODIFY', type: 'NW_MODIFY', cid: 1, changeReason: 2, eventType: 0 });
  assert.equal(parseCgev('+CREG: 1'), undefined);
  assert.throws(() => parseCgev('+CGEV: SOMETHING NEW 1'), (err: unknown) => isBad(err) && /"SOMETHING NEW 1"/.test((err as Error).message));
});

test('+CCLK times become instants with the zone in minutes (quarter hours in the line)', () => {
  const rows = rowsOf<{ str: string | null; ret: boolean; iso8601: string | null; offset: number | string }>('cclk_tests');
  let read = 0;
  let refused = 0;
  let absent = 0;
  for (const row of rows) {
    // A null input is MM's NULL-pointer check; our signature does not admit one.
    if (row.str === null) { absent++; continue; }
    if (!row.ret) {
      assert.throws(() => parseCclk(row.str as string), isBad, row.str);
      refused++;
      continue;
    }
    const c = parseCclk(row.str);
    assert.ok(c && row.iso8601, row.str);
    // The corpus writes "+10" and "+10:00" for the same zone: compare instants.
    const iso = row.iso8601.replace(/([+-]\d{2})$/, '$1:00');
    assert.equal(c.date.getTime(), Date.parse(iso), `${row.str} → ${c.date.toISOString()}`);
    // Without a zone in the line MM says 0 (UTC); we say the zone is not known.
    const hasZone = /[+-]\d+"?$/.test(row.str);
    assert.equal(c.tzOffsetMinutes, hasZone ? row.offset : undefined, row.str);
    assert.equal(c.tzOffsetMinutes ?? 0, row.offset, row.str);
    read++;
  }
  assert.deepEqual([read, refused, absent], [18, 1, 1]);
  assert.throws(() => parseCclk('+CCLK: "14/02/30,04:00:21+00"'), isBad);
  assert.equal(parseCclk('+CCLK: "14/08/05,04:00:21-00"')?.tzOffsetMinutes, 0);
  assert.equal(parseCclk('+CSQ: 1,2'), undefined);
});

test('+CMGL and +CMGR listings in PDU mode give index, status, length and PDU (corpus listings)', () => {
  let handled = 0;
  for (const row of corpus.cmgl_pdu_listing) {
    const got = parseCmglPdu(row.response);
    assert.deepEqual(got.map((m) => ({ index: m.index, status: m.stat, pdu: m.pdu })), row.expected, row.test);
    for (const m of got) assert.ok(Number.isInteger(m.length) && m.length > 0, row.test);
    // The same listing handed over as lines, or with bare LF line ends, reads the same.
    assert.deepEqual(parseCmglPdu(row.response.split('\r\n')), got, row.test);
    assert.deepEqual(parseCmglPdu(row.response.replaceAll('\r\n', '\n')), got, row.test);
    handled++;
  }
  for (const row of corpus.cmgr_pdu_read) {
    const got = parseCmgrPdu(row.response);
    assert.ok(got, row.test);
    assert.deepEqual({ status: got.stat, pdu: got.pdu }, row.expected, row.test);
    handled++;
  }
  assert.equal(handled, 6);
  assert.equal(parseCmglPdu(corpus.cmgl_pdu_listing[0]?.response ?? '')[0]?.length, 147);
  assert.deepEqual(parseCmgrPdu('+CMGR: 0,"Bob",5\r\n0011223344'), { stat: 0, alpha: 'Bob', length: 5, pdu: '0011223344' });
  assert.equal(parseCmgrPdu('OK'), undefined);
  assert.deepEqual(parseCmglPdu(''), []);
  assert.throws(() => parseCmglPdu('+CMGL: 1,1,,20\r\n+CMGL: 2,1,,20'), (err: unknown) => isBad(err) && /followed by "\+CMGL: 2,1,,20"/.test((err as Error).message));
});

test('+CDS status reports give the length and the PDU that follows (corpus cds_urc and test_parse_cds)', () => {
  const calls = corpus.misc_function_tests.test_parse_cds?.calls ?? [];
  const fromCalls = calls.map((c) => {
    const m = /^common_parse_cds \("(.*)", (\d+), "([0-9A-F]+)"\);$/.exec(c);
    assert.ok(m, c);
    return { line: (m[1] ?? '').replaceAll('\\r', '\r').replaceAll('\\n', '\n'), expected_length: Number(m[2]), expected_pdu: m[3] ?? '' };
  });
  const rows = [...corpus.cds_urc, ...fromCalls];
  for (const row of rows) {
    const [header, pdu, ...rest] = row.line.split('\r\n').filter((l) => l !== '');
    assert.deepEqual(parseCdsHeader(header ?? ''), { mode: 'pdu', length: row.expected_length }, row.line);
    assert.equal(pdu, row.expected_pdu);
    assert.deepEqual(rest, []);
  }
  assert.equal(rows.length, 2);
  assert.deepEqual(parseCdsHeader('+CDS: 6,90,"639335936",129,"12/09/11,07:40:36+08","12/09/11,07:40:36+08",0'), {
    mode: 'text', fo: 6, mr: 90, recipient: '639335936', scts: '12/09/11,07:40:36+08', dt: '12/09/11,07:40:36+08', st: 0,
  });
  assert.throws(() => parseCdsHeader('+CDS: 6,90'), isBad);
});

test('new-message URCs: +CMTI, +CDSI and the +CMT header in PDU and text mode', () => {
  assert.deepEqual(parseCmti('+CMTI: "SM",3'), { storage: 'SM', index: 3 });
  assert.deepEqual(parseCmti('\r\n+CMTI: "ME",1\r\n'), { storage: 'ME', index: 1 });
  assert.deepEqual(parseCdsi('+CDSI: "SR",12'), { storage: 'SR', index: 12 });
  assert.deepEqual(parseCmtHeader('+CMT: ,24'), { mode: 'pdu', length: 24 });
  assert.deepEqual(parseCmtHeader('+CMT: "Alice",24'), { mode: 'pdu', alpha: 'Alice', length: 24 });
  assert.deepEqual(parseCmtHeader('+CMT: "+15551234567",,"24/05/01,10:00:00+08"'), { mode: 'text', originator: '+15551234567', timestamp: '24/05/01,10:00:00+08' });
  assert.equal(parseCmti('+CMT: ,24'), undefined);
  assert.throws(() => parseCmti('+CMTI: "SM",x'), isBad);
});

test('+CPMS=? storages per memory, with groups, bare names, spaces and empty lists (corpus cpms tests)', () => {
  const cases = Object.entries(corpus.misc_function_tests).filter(([name]) => name.startsWith('test_cpms_response_'));
  for (const [name, t] of cases) {
    const got = parseCpmsTest(t.vars.reply as string);
    assert.ok(got, name);
    let understood = 0;
    for (const a of t.asserts) {
      const len = /^g_assert_cmpuint \((mem[123])->len, ==, (\d+)\);$/.exec(a);
      const has = /^g_assert \(is_storage_supported \((mem[123]), MM_SMS_STORAGE_(\w+)\)\);$/.exec(a);
      if (len) assert.equal(got[len[1] as 'mem1'].length, Number(len[2]), `${name}: ${a}`);
      else if (has) assert.ok(got[has[1] as 'mem1'].includes(has[2] ?? ''), `${name}: ${a}`);
      else if (!/parse_cpms_test_response|g_assert_no_error/.test(a)) assert.fail(`${name}: assertion not understood: ${a}`);
      understood++;
    }
    assert.equal(understood, t.asserts.length);
  }
  assert.equal(cases.length, 6);
  assert.deepEqual(parseCpmsQuery('+CPMS: "SM",3,30,"SM",3,30,"ME",0,100'), [
    { storage: 'SM', used: 3, total: 30 }, { storage: 'SM', used: 3, total: 30 }, { storage: 'ME', used: 0, total: 100 },
  ]);
  assert.throws(() => parseCpmsQuery('+CPMS: "SM",3'), isBad);
});

test('+CNUM answers list the subscriber numbers (corpus cnum tests)', () => {
  const cases = Object.entries(corpus.misc_function_tests).filter(([name]) => name.startsWith('test_cnum_response_'));
  for (const [name, t] of cases) {
    const expected = (t.vars.expected as (string | null)[]).filter((n): n is string => n !== null);
    const reply = t.vars.reply as string;
    assert.deepEqual(parseCnum(reply).map((n) => n.number), expected, name);
    assert.deepEqual(parseCnum(reply.split('\r\n')), parseCnum(reply), name);
  }
  assert.equal(cases.length, 5);
  assert.deepEqual(parseCnum('+CNUM: "Me","+34600000001",145'), [{ alpha: 'Me', number: '+34600000001', type: 145 }]);
});

test('parameter lists split at top-level commas; groups lose one level of parentheses (corpus test_groups)', () => {
  const rows = rowsOf<{ response: string | null; expected_groups: (string | null)[] }>('test_groups');
  let handled = 0;
  for (const row of rows) {
    // A null input is MM's NULL-pointer check; our signature does not admit one.
    if (row.response === null) continue;
    assert.deepEqual(splitGroups(row.response), row.expected_groups.filter((g) => g !== null), row.response);
    handled++;
  }
  assert.equal(handled, rows.length - 1);
  assert.deepEqual(splitParams('1,"a,b",(1-3,5),,"x(y"'), ['1', '"a,b"', '(1-3,5)', '', '"x(y"']);
  assert.deepEqual(splitParams(''), ['']);
});

// Where each part of the corpus is exercised. A group added to the corpus fails the test below
// until it is given a home here or a reason in SKIPPED.
const USED: [RegExp, string][] = [
  [/^creg_cgreg_cereg_c5greg$/, 'at-registration, at-urc'],
  [/^cops_test_response$|^tables\.(cops_query_data|normalize_operator_tests)$/, 'at-cops'],
  [/^at_serial_port_final_result_parsing\.(echo_removal_tests|parse_ok_tests|parse_error_tests)$/, 'at-final'],
  [/^fake_modem_transcript_gsm_port_conf$/, 'at-urc'],
  [/^(cmgl_pdu_listing|cmgr_pdu_read|cds_urc)$/, 'at-misc'],
  [/^tables\.(test_cpin_responses|cfun_query_tests|cfun_query_generic_tests|cesq_response_tests|clip_urc_tests|ccwa_urc_tests|test_ccwa|cgev_indication_tests|cclk_tests|test_groups)$/, 'at-misc'],
  [/^misc_function_tests\.(test_iccid_parse_\w+|test_cpms_response_\w+|test_cnum_response_\w+|test_parse_cds)$/, 'at-misc'],
];

// Deliberately not used, one reason each.
const SKIPPED: [RegExp, string][] = [
  [/^_source$/, 'provenance of the corpus, not test data'],
  [/^tables\.crsm_tests$/, 'AT+CRSM reads SIM files: the SIM driver (drivers/modem/sim) decodes those'],
  [/^tables\.csim_response_test_list$/, 'AT+CSIM APDU status words: the SIM driver'],
  [/^tables\.(bcd_to_string_tests|test_spn_data|test_mnc_data|emergency_numbers_tests)$/, 'contents of SIM files (BCD, EF_SPN, EF_AD, EF_ECC): the SIM driver'],
  [/^tables\.test_cpol$/, 'preferred-operator list (+CPOL): vigil does not edit it'],
  [/^tables\.test_cscb$/, 'cell-broadcast channel selection (+CSCB): vigil does not use cell broadcast'],
  [/^tables\.cgcontrdp_response_tests$/, 'PDP context addresses (+CGCONTRDP): belongs with data-connection setup, not these parsers'],
  [/^tables\.test_act_data$/, 'vendor access-technology words (*CNTI, ^SYSINFOEX): no vendor status report is decoded here'],
  [/^misc_function_tests\.test_ifc_\w+$/, 'AT+IFC=? flow-control capabilities: the serial port is configured, not negotiated'],
  [/^misc_function_tests\.test_ws46_\w+$/, 'AT+WS46=? radio-mode lists: mode selection is not part of this parser set'],
  [/^misc_function_tests\.test_cscs_\w+$/, 'AT+CSCS=? lists: the driver sets the character set instead of probing'],
  [/^misc_function_tests\.test_(cmer|cind)_\w+$/, 'AT+CMER=?/AT+CIND=? indicator set-up: +CIEV is passed on uninterpreted'],
  [/^misc_function_tests\.test_cgerep_\w+$/, 'AT+CGEREP=? modes: the driver sets +CGEREP=2,1 and reads the +CGEV that follow'],
  [/^misc_function_tests\.test_(cgdcont|cgact)_\w+$/, 'PDP context definition and activation: data-connection setup'],
  [/^misc_function_tests\.test_cdma_parse_gsn$/, 'CDMA ESN/MEID: vigil drives 3GPP modems only'],
];

test('every group of the corpus is exercised by one of the at-* tests or skipped for a stated reason', () => {
  const groups: string[] = [];
  for (const [key, value] of Object.entries(corpus)) {
    if (key === 'tables' || key === 'misc_function_tests' || key === 'at_serial_port_final_result_parsing') {
      for (const inner of Object.keys(value as object)) groups.push(`${key}.${inner}`);
    } else groups.push(key);
  }
  assert.ok(groups.length > 100);
  for (const group of groups) {
    const used = USED.filter(([re]) => re.test(group));
    const skipped = SKIPPED.filter(([re]) => re.test(group));
    assert.equal(used.length + skipped.length, 1, `${group}: used by ${used.length}, skipped by ${skipped.length}`);
  }
  for (const [re, where] of [...USED, ...SKIPPED]) assert.ok(groups.some((g) => re.test(g)), `${re} (${where}) matches no corpus group`);
});
