import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { accessTechFromAct, parseRegistration, type AccessTech, type RegistrationDomain, type RegistrationState } from '../drivers/modem/at/registration.js';
import { DriverError } from '../runtime/errors.js';

interface RegRow {
  test: string;
  solicited: boolean;
  line: string;
  expected: { state: string; lac: number; ci: number; act: string; mm_regex_index: number; is_cgreg: boolean; is_cereg: boolean; is_c5greg: boolean };
}
const corpus = JSON.parse(readFileSync(new URL('../../shared/corpora/modemmanager_at_responses.json', import.meta.url), 'utf8')) as { creg_cgreg_cereg_c5greg: RegRow[] };
const rows = corpus.creg_cgreg_cereg_c5greg;

const STATE: Record<string, RegistrationState> = {
  MM_MODEM_3GPP_REGISTRATION_STATE_IDLE: 'idle',
  MM_MODEM_3GPP_REGISTRATION_STATE_HOME: 'home',
  MM_MODEM_3GPP_REGISTRATION_STATE_SEARCHING: 'searching',
  MM_MODEM_3GPP_REGISTRATION_STATE_DENIED: 'denied',
  MM_MODEM_3GPP_REGISTRATION_STATE_UNKNOWN: 'unknown',
  MM_MODEM_3GPP_REGISTRATION_STATE_ROAMING: 'roaming',
  MM_MODEM_3GPP_REGISTRATION_STATE_HOME_SMS_ONLY: 'home-sms-only',
  MM_MODEM_3GPP_REGISTRATION_STATE_ROAMING_SMS_ONLY: 'roaming-sms-only',
  MM_MODEM_3GPP_REGISTRATION_STATE_EMERGENCY_ONLY: 'emergency-only',
  MM_MODEM_3GPP_REGISTRATION_STATE_HOME_CSFB_NOT_PREFERRED: 'home-csfb-not-preferred',
  MM_MODEM_3GPP_REGISTRATION_STATE_ROAMING_CSFB_NOT_PREFERRED: 'roaming-csfb-not-preferred',
  MM_MODEM_3GPP_REGISTRATION_STATE_ATTACHED_RLOS: 'attached-rlos',
};

// MM says UNKNOWN where the line has no <AcT>; we leave `act` out.
const ACT: Record<string, AccessTech | undefined> = {
  MM_MODEM_ACCESS_TECHNOLOGY_UNKNOWN: undefined,
  MM_MODEM_ACCESS_TECHNOLOGY_GSM: 'gsm',
  MM_MODEM_ACCESS_TECHNOLOGY_GSM_COMPACT: 'gsm-compact',
  MM_MODEM_ACCESS_TECHNOLOGY_UMTS: 'umts',
  MM_MODEM_ACCESS_TECHNOLOGY_EDGE: 'edge',
  MM_MODEM_ACCESS_TECHNOLOGY_HSDPA: 'hsdpa',
  MM_MODEM_ACCESS_TECHNOLOGY_HSUPA: 'hsupa',
  MM_MODEM_ACCESS_TECHNOLOGY_HSPA: 'hspa',
  MM_MODEM_ACCESS_TECHNOLOGY_LTE: 'lte',
  MM_MODEM_ACCESS_TECHNOLOGY_LTE_CAT_M: 'lte-cat-m',
  MM_MODEM_ACCESS_TECHNOLOGY_LTE_NB_IOT: 'lte-nb-iot',
  MM_MODEM_ACCESS_TECHNOLOGY_5GNR: '5gnr',
};

// Which of MM's registration regexes (mm_regex_index) carry <n> first, i.e. the AT+CxREG? form:
// 0 <stat>; 1 <n>,<stat>; 2 <stat>,<lac>,<ci>; 3/4 <n>,<stat>,<lac>,<ci>; 5/6 <stat>,<lac>,<ci>,<AcT>;
// 7 <n>,<stat>,<lac>,<ci>,<AcT>; 8 Samsung S8500 <n>,<stat>,<lac>,<ci>,junk; 9 <stat>,<lac>,<ci>,<AcT>,<rac>;
// 10 Novatel <stat>,<tac>,<rac>,<ci>,<AcT>; 11 the same with <n>; 12/13 C5GREG without/with <n>.
const HAS_N: Record<number, boolean> = {
  0: false, 1: true, 2: false, 3: true, 4: true, 5: false, 6: false, 7: true, 8: true, 9: false, 10: false, 11: true, 12: false, 13: true,
};

// Rows whose `solicited` flag (how MM's test feeds the line) disagrees with the form of the line:
// these firmwares put <n> in their URCs. Our `solicited` reports the form, so it says true here.
const N_IN_URC = new Set([
  'test_creg2_md400_unsolicited',
  'test_cgreg2_x220_unsolicited',
  'test_creg2_s8500_wave_unsolicited',
  'test_creg2_s8500_wave_multidigit_stat_unsolicited',
  'test_cereg2_altair_lte_solicited',
]);

function domainOf(e: RegRow['expected']): RegistrationDomain {
  if (e.is_cgreg) return 'ps';
  if (e.is_cereg) return 'eps';
  if (e.is_c5greg) return '5gs';
  return 'cs';
}

const lines = (text: string) => text.split('\r\n').filter((l) => l.trim() !== '');

test('every +CREG/+CGREG/+CEREG/+C5GREG row of the corpus reads as ModemManager reads it', () => {
  let handled = 0;
  const formDiffers: string[] = [];
  for (const row of rows) {
    const e = row.expected;
    const [first, ...more] = lines(row.line);
    assert.ok(first !== undefined, row.test);
    // Multi-line rows ("+CREG: 5\r\n\r\n+CGREG: 0"): MM reports the first match; every line must still read.
    for (const other of more) assert.ok(parseRegistration(other), `${row.test}: ${JSON.stringify(other)}`);
    const reg = parseRegistration(first);
    assert.ok(reg, `${row.test}: ${JSON.stringify(first)} not read`);
    const msg = `${row.test}: ${JSON.stringify(first)}`;
    assert.equal(reg.domain, domainOf(e), msg);
    assert.equal(reg.state, STATE[e.state], msg);
    assert.ok(e.state in STATE, `${row.test}: unmapped state ${e.state}`);
    assert.ok(e.act in ACT, `${row.test}: unmapped act ${e.act}`);
    assert.equal(reg.act, ACT[e.act], msg);
    const hasN = HAS_N[e.mm_regex_index];
    assert.ok(hasN !== undefined, `${row.test}: unmapped regex index ${e.mm_regex_index}`);
    assert.equal(reg.solicited, hasN, msg);
    assert.equal(reg.n !== undefined, hasN, msg);
    if (reg.solicited !== row.solicited) formDiffers.push(row.test);
    // MM writes 0 for "not given"; we leave the field out. The CEREG/C5GREG area code is a TAC.
    const area = reg.domain === 'eps' || reg.domain === '5gs' ? reg.tac : reg.lac;
    assert.equal(area ?? 0, e.lac, msg);
    assert.equal(reg.ci ?? 0, e.ci, msg);
    if (reg.domain === 'eps' || reg.domain === '5gs') assert.equal(reg.lac, undefined, msg);
    else assert.equal(reg.tac, undefined, msg);
    // Lines without location fields must not invent a 0 for them.
    if (e.mm_regex_index <= 1) assert.deepEqual([reg.lac, reg.tac, reg.ci], [undefined, undefined, undefined], msg);
    handled++;
  }
  assert.equal(handled, 56);
  assert.deepEqual(new Set(formDiffers), N_IN_URC);
});

test('a garbled area code is left out rather than guessed (Qualcomm Gobi 1000 "  0 5")', () => {
  // MM reports lac 0, which is its "unknown"; "0 5" could as well be 5 or 0x05: we do not say.
  const row = rows.find((r) => r.test === 'test_creg2_gobi_weird_solicited');
  assert.ok(row);
  const reg = parseRegistration(row.line);
  assert.equal(reg?.lac, undefined);
  assert.equal(reg?.ci, 0x2715);
  assert.equal(reg?.state, 'home');
});

test('leading zeros, multi-digit <stat>, spaces and <n> are read, not guessed', () => {
  assert.deepEqual(parseRegistration('+CREG:002,001,"18d8","ffff"'), { domain: 'cs', solicited: true, n: 2, state: 'home', stat: 1, lac: 0x18d8, ci: 0xffff });
  assert.deepEqual(parseRegistration('+CGREG: 11,"B092","00000697",3,"00"'), { domain: 'ps', solicited: false, state: 'attached-rlos', stat: 11, lac: 0xb092, ci: 0x697, act: 'edge', rac: 0 });
  assert.deepEqual(parseRegistration('\r\n+CEREG: 1, 1F00, 20 ,79D903 ,7\r\n'), { domain: 'eps', solicited: false, state: 'home', stat: 1, tac: 0x1f00, rac: 0x20, ci: 0x79d903, act: 'lte' });
  assert.deepEqual(parseRegistration('+C5GREG: 2,1,1F00,79D903,11,6,ABCDEF'), { domain: '5gs', solicited: true, n: 2, state: 'home', stat: 1, tac: 0x1f00, ci: 0x79d903, act: '5gnr' });
});

test('the n=3 reject cause and the n=4/5 power-saving fields of +CEREG are read', () => {
  assert.deepEqual(parseRegistration('+CEREG: 3,3,"1F00","079D9031",7,0,15'), {
    domain: 'eps', solicited: true, n: 3, state: 'denied', stat: 3, tac: 0x1f00, ci: 0x079d9031, act: 'lte', causeType: 0, rejectCause: 15,
  });
  const psm = parseRegistration('+CEREG: 4,1,"1F00","079D9031",7,,,"00100001","00101010"');
  assert.equal(psm?.state, 'home');
  assert.equal(psm?.act, 'lte');
  assert.equal(psm?.rejectCause, undefined);
  assert.deepEqual(parseRegistration('+CGREG: 2,1,"1422","00000142",3,"2A"')?.rac, 0x2a);
});

test('other lines are not registration lines; an impossible <stat> is an error that quotes the line', () => {
  assert.equal(parseRegistration('+COPS: 0,0,"Vodafone",7'), undefined);
  assert.equal(parseRegistration('OK'), undefined);
  assert.equal(parseRegistration('+CREGX: 1'), undefined);
  assert.throws(() => parseRegistration('+CREG: 12'), (err: unknown) => err instanceof DriverError && err.code === 'AT_BAD_RESPONSE' && /"\+CREG: 12".*0 to 11/.test(err.message));
  assert.throws(() => parseRegistration('+CEREG: 2,x'), (err: unknown) => err instanceof DriverError && /<stat>/.test(err.message));
});

test('<AcT> numbers follow 27.007 §7.3; Cat-M modules that report it as 8 can say so', () => {
  const expected: [number, AccessTech | undefined][] = [
    [0, 'gsm'], [1, 'gsm-compact'], [2, 'umts'], [3, 'edge'], [4, 'hsdpa'], [5, 'hsupa'], [6, 'hspa'], [7, 'lte'],
    [8, 'ec-gsm-iot'], [9, 'lte-nb-iot'], [10, 'lte-5gcn'], [11, '5gnr'], [12, '5gnr'], [13, 'lte-nr'], [14, undefined],
  ];
  for (const [act, tech] of expected) assert.equal(accessTechFromAct(act), tech, String(act));
  assert.equal(accessTechFromAct(8, 'lte-cat-m'), 'lte-cat-m');
  assert.equal(accessTechFromAct(7, 'lte-cat-m'), 'lte');
});
