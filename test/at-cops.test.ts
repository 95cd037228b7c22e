import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseCopsQuery, parseCopsTest, type NetworkStatus } from '../drivers/modem/at/cops.js';
import type { AccessTech } from '../drivers/modem/at/registration.js';
import { decodeTeString, type TeCharset } from '../drivers/modem/at/tokens.js';
import { DriverError } from '../runtime/errors.js';

interface CopsTestRow {
  test: string;
  charset: string;
  line: string;
  expected: { status: string; long: string | null; short: string | null; code: string; act: string }[];
}
interface Table<R> { rows: R[] }
const corpus = JSON.parse(readFileSync(new URL('../../shared/corpora/modemmanager_at_responses.json', import.meta.url), 'utf8')) as {
  cops_test_response: CopsTestRow[];
  tables: {
    cops_query_data: Table<{ str: string; mode: number; format: number; operator: string; act: string }>;
    normalize_operator_tests: Table<{ input: string; charset: string; normalized: string }>;
  };
};

const STATUS: Record<string, NetworkStatus> = {
  MM_MODEM_3GPP_NETWORK_AVAILABILITY_UNKNOWN: 'unknown',
  MM_MODEM_3GPP_NETWORK_AVAILABILITY_AVAILABLE: 'available',
  MM_MODEM_3GPP_NETWORK_AVAILABILITY_CURRENT: 'current',
  MM_MODEM_3GPP_NETWORK_AVAILABILITY_FORBIDDEN: 'forbidden',
};
const ACT: Record<string, AccessTech | undefined> = {
  MM_MODEM_ACCESS_TECHNOLOGY_UNKNOWN: undefined,
  MM_MODEM_ACCESS_TECHNOLOGY_GSM: 'gsm',
  MM_MODEM_ACCESS_TECHNOLOGY_UMTS: 'umts',
  MM_MODEM_ACCESS_TECHNOLOGY_LTE: 'lte',
  MM_MODEM_ACCESS_TECHNOLOGY_5GNR: '5gnr',
};
// MM's UNKNOWN charset means "no conversion", which is what IRA gets.
const CHARSET: Record<string, TeCharset> = {
  MM_MODEM_CHARSET_UNKNOWN: 'IRA',
  MM_MODEM_CHARSET_IRA: 'IRA',
  MM_MODEM_CHARSET_GSM: 'GSM',
  MM_MODEM_CHARSET_UCS2: 'UCS2',
};

// Answers from firmware that predates <AcT>: MM fills in GSM for them; we say nothing we were not told.
const NO_ACT = new Set(['test_cops_response_motoc', 'test_cops_response_n80', 'test_cops_response_sek600i']);

test('every AT+COPS=? answer of the corpus lists the networks ModemManager lists, in order', () => {
  let handled = 0;
  for (const row of corpus.cops_test_response) {
    const charset = CHARSET[row.charset];
    assert.ok(charset, `${row.test}: unmapped charset ${row.charset}`);
    const networks = parseCopsTest(row.line, charset);
    assert.ok(networks, row.test);
    assert.equal(networks.length, row.expected.length, `${row.test}: ${JSON.stringify(networks)}`);
    row.expected.forEach((e, i) => {
      const n = networks[i];
      const msg = `${row.test} #${i}`;
      assert.ok(n, msg);
      assert.ok(e.status in STATUS && e.act in ACT, `${msg}: unmapped ${e.status} / ${e.act}`);
      assert.equal(n.status, STATUS[e.status], msg);
      assert.equal(n.long, e.long ?? undefined, msg);
      assert.equal(n.short, e.short ?? undefined, msg);
      assert.equal(n.numeric, e.code, msg);
      assert.equal(n.act, NO_ACT.has(row.test) ? undefined : ACT[e.act], msg);
      if (NO_ACT.has(row.test)) assert.equal(e.act, 'MM_MODEM_ACCESS_TECHNOLOGY_GSM', msg);
    });
    handled++;
  }
  assert.equal(handled, 29);
});

test('the quirks are read where they are: a stray ")" before <AcT>, commas in quotes, a line break anywhere', () => {
  // TM-506: the second and third entries close before their <AcT>.
  const tm506 = parseCopsTest('+COPS: (2,"","T-Mobile","31026",0),(2,"T - Mobile","T - Mobile","310260"),2),(1,"AT&T","AT&T","310410"),0)');
  assert.deepEqual(tm506?.map((n) => n.act), ['gsm', 'umts', 'gsm']);
  // A name with a comma and a parenthesis inside the quotes is one field.
  assert.deepEqual(parseCopsTest('+COPS: (1,"Foo, (Bar)","FB","00101",7),,(0-4),(0-2)'), [{ status: 'available', long: 'Foo, (Bar)', short: 'FB', numeric: '00101', act: 'lte' }]);
  // The line break inside the Nokia 2720 answer may come as CR LF, LF or not at all.
  const n2720 = corpus.cops_test_response.find((r) => r.test === 'test_cops_response_n2720');
  assert.ok(n2720);
  const expected = parseCopsTest(n2720.line);
  assert.equal(expected?.length, 2);
  assert.deepEqual(parseCopsTest(n2720.line.replace('\r\n', '\n')), expected);
  assert.deepEqual(parseCopsTest(n2720.line.replace('\r\n', '')), expected);
  assert.equal(parseCopsTest('+CSQ: 17,99'), undefined);
  assert.deepEqual(parseCopsTest('+COPS: ,,(0-4),(0-2)'), []);
});

test('AT+COPS? answers of the corpus give mode, format, operator and <AcT>', () => {
  let handled = 0;
  for (const row of corpus.tables.cops_query_data.rows) {
    const q = parseCopsQuery(row.str);
    assert.ok(q, row.str);
    assert.ok(row.act in ACT, row.act);
    assert.deepEqual(q, { mode: row.mode, format: row.format, operator: row.operator, ...(ACT[row.act] ? { act: ACT[row.act] } : {}) }, row.str);
    handled++;
  }
  assert.equal(handled, 4);
  assert.deepEqual(parseCopsQuery('+COPS: 0'), { mode: 0 });
  assert.deepEqual(parseCopsQuery('+COPS: 0,0,"0076006F006400610066006F006E0065002000450053",7', 'UCS2'), { mode: 0, format: 0, operator: 'vodafone ES', act: 'lte' });
  assert.equal(parseCopsQuery('+COPS: (1,"A","B","00101",7)'), undefined);
  assert.equal(parseCopsQuery('+CREG: 0,1'), undefined);
  assert.throws(() => parseCopsQuery('+COPS: x,0,"A"'), (err: unknown) => err instanceof DriverError && /<mode> of \+COPS answer "\+COPS: x,0,\\"A\\""/.test(err.message));
});

test('operator names are converted from the modem character set as ModemManager normalises them', () => {
  let handled = 0;
  for (const row of corpus.tables.normalize_operator_tests.rows) {
    const charset = CHARSET[row.charset];
    assert.ok(charset, row.charset);
    assert.equal(decodeTeString(row.input, charset), row.normalized, `${row.input} in ${row.charset}`);
    handled++;
  }
  assert.equal(handled, 10);
  // GSM 03.38: '@' (0x40) is '¡', 0x00 is '@', and ESC 'e' is the euro sign.
  assert.equal(decodeTeString('AT&T@', 'GSM'), 'AT&T¡');
  assert.equal(decodeTeString('\u0000\u001be', 'GSM'), '@€');
});
