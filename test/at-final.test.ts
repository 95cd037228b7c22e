import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ModemError, type ModemErrorCode } from '../drivers/modem/errors.js';
import { cmeErrorText, cmsErrorText, parseFinal, stripEcho, type FinalResult } from '../drivers/modem/at/final.js';

interface ParseRow { response: string; found: boolean; expected_error: boolean }
interface Table<R> { rows: R[] }
const corpus = JSON.parse(readFileSync(new URL('../../shared/corpora/modemmanager_at_responses.json', import.meta.url), 'utf8')) as {
  at_serial_port_final_result_parsing: {
    echo_removal_tests: Table<{ original: string; without_echo: string }>;
    parse_ok_tests: Table<ParseRow>;
    parse_error_tests: Table<ParseRow>;
  };
};
const tables = corpus.at_serial_port_final_result_parsing;

/** The first final result in a response, reading it line by line as the engine does. */
function firstFinal(response: string): { line: string; result: FinalResult } | undefined {
  for (const line of response.split(/\r\n|\r|\n/)) {
    const result = parseFinal(line);
    if (result) return { line: line.trim(), result };
  }
  return undefined;
}

// Which ModemError code each failing final result must carry, by how the line starts.
const CODE_BY_START: [RegExp, ModemErrorCode][] = [
  [/^ERROR$/, 'AT_ERROR'], [/^\+CME ERROR:/, 'CME_ERROR'], [/^\+CMS ERROR:/, 'CMS_ERROR'], [/^MODEM ERROR:/, 'AT_ERROR'],
  [/^COMMAND NOT SUPPORT$/, 'AT_ERROR'], [/^NO CARRIER$/, 'NO_CARRIER'], [/^BUSY$/, 'BUSY'], [/^NO ANSWER$/, 'NO_ANSWER'],
  [/^NO DIALTONE$/, 'NO_DIALTONE'],
];

// MM's regexes need a space after "+CME ERROR:"/"+CMS ERROR:", so a bare prefix is "not found" there
// and the command would wait for its timeout. The prefix alone is the final result code (27.007
// §9.2); only the reason is missing, so we end the command with the error and an empty detail.
const BARE_PREFIX_FOUND = new Set(['\r\n+CME ERROR:\r\n', '\r\n+CMS ERROR:\r\n']);

test('echo is removed as ModemManager removes it: everything before the first CR LF', () => {
  let handled = 0;
  for (const row of tables.echo_removal_tests.rows) {
    assert.equal(stripEcho(row.original), row.without_echo, JSON.stringify(row.original));
    handled++;
  }
  assert.equal(handled, 15);
  assert.equal(stripEcho('AT+CSQ\r\r\n+CSQ: 17,99\r\n\r\nOK\r\n'), '\r\n+CSQ: 17,99\r\n\r\nOK\r\n');
});

test('OK and the failures of the corpus are found (or not) as ModemManager finds them', () => {
  let handled = 0;
  const differs: string[] = [];
  for (const row of [...tables.parse_ok_tests.rows, ...tables.parse_error_tests.rows]) {
    const what = JSON.stringify(row.response);
    const found = firstFinal(row.response);
    if ((found !== undefined) !== row.found) {
      differs.push(row.response);
      assert.ok(found && !found.result.ok, `${what}: only a bare error prefix may differ`);
      assert.equal(found.result.error.detail, '', what);
      assert.equal(found.result.error.number, undefined, what);
    } else if (found) {
      assert.equal(!found.result.ok, row.expected_error, what);
    }
    if (found && !found.result.ok) {
      const code = CODE_BY_START.find(([re]) => re.test(found.line))?.[1];
      assert.ok(code, `${what}: no expected code for ${found.line}`);
      assert.equal(found.result.error.code, code, what);
      assert.ok(found.result.error instanceof ModemError, what);
    }
    handled++;
  }
  assert.equal(handled, 29);
  assert.deepEqual(new Set(differs), BARE_PREFIX_FOUND);
});

test('+CME and +CMS errors carry the number, its meaning and the command', () => {
  const cms = parseFinal('+CMS ERROR: 330', 'AT+CMGS=23');
  assert.ok(cms && !cms.ok);
  assert.equal(cms.error.message, 'AT+CMGS failed: +CMS ERROR: 330 (SMSC address unknown)');
  assert.equal(cms.error.code, 'CMS_ERROR');
  assert.equal(cms.error.number, 330);
  assert.equal(cms.error.detail, '330');
  assert.equal(cms.error.command, 'AT+CMGS=23');
  const cme = parseFinal('+CME ERROR: 123');
  assert.ok(cme && !cme.ok);
  assert.equal(cme.error.message, 'AT command failed: +CME ERROR: 123');
  assert.equal(cme.error.number, 123);
  const fruit = parseFinal('+CME ERROR: raspberry', 'AT+CPIN?');
  assert.ok(fruit && !fruit.ok);
  assert.equal(fruit.error.detail, 'raspberry');
  assert.equal(fruit.error.number, undefined);
  assert.equal(fruit.error.message, 'AT+CPIN failed: +CME ERROR: raspberry');
});

test('text errors (AT+CMEE=2) map back to their numbers, however the modem words them', () => {
  const cases: [string, ModemErrorCode, number][] = [
    ['+CME ERROR: SIM PIN required', 'CME_ERROR', 11],
    ['+CME ERROR: SIM not inserted', 'CME_ERROR', 10],
    ['+CME ERROR: Incorrect Password', 'CME_ERROR', 16],
    ['+CME ERROR: no network service', 'CME_ERROR', 30],
    ['+CMS ERROR: SMSC address unknown', 'CMS_ERROR', 330],
    ['+CMS ERROR: (U)SIM busy', 'CMS_ERROR', 314],
    ['+CMS ERROR: invalid memory index', 'CMS_ERROR', 321],
  ];
  for (const [line, code, number] of cases) {
    const r = parseFinal(line);
    assert.ok(r && !r.ok, line);
    assert.equal(r.error.code, code, line);
    assert.equal(r.error.number, number, line);
    assert.equal(r.error.message, `AT command failed: ${line}`, line);
  }
});

test('the numbers 27.007 §9.2 and 27.005 §3.2.5 define have their meanings', () => {
  const cme: [number, string][] = [[10, 'SIM not inserted'], [11, 'SIM PIN required'], [12, 'SIM PUK required'], [13, 'SIM failure'], [14, 'SIM busy'], [16, 'incorrect password'], [30, 'no network service'], [100, 'unknown']];
  for (const [n, text] of cme) assert.equal(cmeErrorText(n), text, `CME ${n}`);
  const cms: [number, string][] = [
    [300, 'ME failure'], [301, 'SMS service reserved'], [302, 'operation not allowed'], [303, 'operation not supported'],
    [304, 'invalid PDU mode parameter'], [305, 'invalid text mode parameter'], [310, 'SIM not inserted'], [311, 'SIM PIN required'],
    [313, 'SIM failure'], [314, 'SIM busy'], [320, 'memory failure'], [321, 'invalid memory index'], [322, 'memory full'],
    [330, 'SMSC address unknown'], [331, 'no network service'], [332, 'network timeout'], [340, 'no +CNMA acknowledgement expected'], [500, 'unknown error'],
  ];
  for (const [n, text] of cms) assert.equal(cmsErrorText(n), text, `CMS ${n}`);
  assert.equal(cmeErrorText(9999), undefined);
});

test('OK, CONNECT with or without a rate, the call results and the vendor wordings of ERROR', () => {
  assert.deepEqual(parseFinal('OK'), { ok: true, text: 'OK' });
  assert.deepEqual(parseFinal('\r\nOK\r\n'), { ok: true, text: 'OK' });
  assert.deepEqual(parseFinal('CONNECT'), { ok: true, text: 'CONNECT' });
  assert.deepEqual(parseFinal('CONNECT 115200'), { ok: true, text: 'CONNECT', rate: '115200' });
  const tooMany = parseFinal('TOO MANY PARAMETERS', 'AT+CSQ=1,2');
  assert.ok(tooMany && !tooMany.ok);
  assert.equal(tooMany.error.code, 'AT_ERROR');
  assert.equal(tooMany.error.detail, 'TOO MANY PARAMETERS');
  const modem = parseFinal('MODEM ERROR: 5');
  assert.ok(modem && !modem.ok);
  assert.equal(modem.error.number, 5);
  for (const line of ['OKAY', '+CSQ: 17,99', 'RING', 'MODEM ERROR: apple', 'ERRORS', '']) assert.equal(parseFinal(line), undefined, line);
});
