import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { swap16 } from '../drivers/i2c/bus.js';
import { tmp102Celsius, tmp102ConfigProblem } from '../drivers/i2c/chips/tmp102.js';
import { parseI2cDump } from '../drivers/i2c/i2cdump.js';
import { Bme280Sim } from '../drivers/i2c/sim/bme280.js';
import { SimI2cBus } from '../drivers/i2c/sim/bus.js';
import { sensorCorpus } from './helpers/i2c.js';

const corpus = sensorCorpus;
const example = corpus.bmx280.find((v: { id: string }) => v.id === 'bosch_bmp280_datasheet_worked_example');
const fixture = (name: string) => readFileSync(new URL(`./fixtures/i2cdump/${name}`, import.meta.url), 'utf8');
const bmeText = fixture('bme280-0x76.txt');

/**
 * Print registers the way i2cdump does (its printf formats, including the blanks outside `-r` and
 * the ASCII column), to make dumps of shapes the fixtures do not cover.
 */
function i2cdumpText(read: (register: number) => number | undefined, mode: 'b' | 'w', first = 0, last = 0xff): string {
  const out: string[] = [];
  if (mode === 'b') {
    out.push('     0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f    0123456789abcdef');
    for (let i = 0; i < 256; i += 16) {
      if (i / 16 < Math.floor(first / 16) || i / 16 > Math.floor(last / 16)) continue;
      let row = `${hex2(i)}: `;
      let ascii = '';
      for (let j = 0; j < 16; j++) {
        const r = i + j;
        const v = r < first || r > last ? null : read(r);
        row += v === null ? '   ' : v === undefined ? 'XX ' : `${hex2(v)} `;
        ascii += v === null ? ' ' : v === undefined ? 'X' : v === 0 || v === 0xff ? '.' : v < 32 || v >= 127 ? '?' : String.fromCharCode(v);
      }
      out.push(`${row}   ${ascii}`);
    }
  } else {
    out.push('     0,8  1,9  2,a  3,b  4,c  5,d  6,e  7,f');
    for (let i = 0; i < 256; i += 8) {
      if (i / 8 < Math.floor(first / 8) || i / 8 > Math.floor(last / 8)) continue;
      let row = `${hex2(i)}: `;
      for (let j = 0; j < 8; j++) {
        const r = i + j;
        const v = r < first || r > last ? null : read(r);
        row += v === null ? '     ' : v === undefined ? 'XXXX ' : `${v.toString(16).padStart(4, '0')} `;
      }
      out.push(row);
    }
  }
  return out.join('\n') + '\n';
}
const hex2 = (n: number) => n.toString(16).padStart(2, '0');

test('the BME280 fixture parses to the bytes of the datasheet example', () => {
  const dump = parseI2cDump(bmeText);
  assert.equal(dump.mode, 'byte');
  assert.equal(dump.words, undefined);
  assert.equal(dump.registers.size, 256);
  assert.equal(dump.registers.get(0xd0), 0x60);
  const bytes = (from: number, n: number) => Buffer.from(Array.from({ length: n }, (_, i) => dump.registers.get(from + i)!)).toString('hex');
  assert.equal(bytes(0x88, 24), example.calibration_regs_0x88_hex);
  assert.equal(bytes(0xf7, 6), example.data_regs_0xF7_hex);
});

test('CRLF, the preamble i2cdump prints, and the command line are tolerated', () => {
  const expected = parseI2cDump(bmeText).registers;
  const preamble = [
    'pi@raspberrypi:~ $ sudo i2cdump 1 0x76',
    'No size specified (using byte-data access)',
    'WARNING! This program can confuse your I2C bus, cause data loss and worse!',
    'I will probe file /dev/i2c-1, address 0x76, mode byte',
    'Continue? [Y/n] y',
    '',
  ].join('\n');
  const body = bmeText.split('\n').slice(1).join('\n');
  assert.deepEqual(parseI2cDump(preamble + '\n' + body).registers, expected);
  assert.deepEqual(parseI2cDump(bmeText.replace(/\n/g, '\r\n')).registers, expected);
  assert.deepEqual(parseI2cDump(body.trimEnd()).registers, expected, 'no preamble, no final newline');
  // Trailing spaces trimmed by an editor, and spacing collapsed by a web page.
  assert.deepEqual(parseI2cDump(body.replace(/ +$/gm, '')).registers, expected);
  assert.deepEqual(parseI2cDump(body.replace(/ {2,}/g, ' ')).registers, expected);
});

test('XX (unreadable) registers and registers outside -r are absent', () => {
  const values = new Map([[0x10, 0x12], [0x11, 0x34], [0x13, 0xff]]);
  const text = i2cdumpText((r) => values.get(r), 'b', 0x10, 0x13);
  assert.equal(text.split('\n')[1], `10: 12 34 XX ff ${' '.repeat(36)}   ?4X.${' '.repeat(12)}`);
  const dump = parseI2cDump(text);
  assert.deepEqual([...dump.registers], [[0x10, 0x12], [0x11, 0x34], [0x13, 0xff]]);
  const late = parseI2cDump(i2cdumpText((r) => r, 'b', 0x3c, 0x43));
  assert.deepEqual([...late.registers.keys()], [0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x41, 0x42, 0x43]);
  assert.equal(late.registers.get(0x41), 0x41);
});

test('the TMP102 word dump keeps every word; bytes follow i2cdump\'s W-mode convention', () => {
  const dump = parseI2cDump(fixture('tmp102-0x48-words.txt'));
  assert.equal(dump.mode, 'word');
  assert.deepEqual([...dump.words!], [[0, 0x9019], [1, 0xa060], [2, 0x004b], [3, 0x0050]]);
  // SMBus words are little-endian and the TMP102 sends its MSB first: swap to get the register.
  assert.equal(tmp102Celsius(swap16(dump.words!.get(0)!)), 25.5625);
  assert.equal(tmp102ConfigProblem(swap16(dump.words!.get(1)!)), undefined);
  assert.equal(swap16(dump.words!.get(2)!), 0x4b00);
  // Each register's byte is the word's low byte (what a byte read returns); the last word's high
  // byte lands on the register after it, as i2cdump's W mode does.
  assert.deepEqual([...dump.registers], [[0, 0x19], [1, 0x60], [2, 0x4b], [3, 0x50], [4, 0x00]]);
});

test('a word dump of a byte-register chip gives the same bytes as a byte dump', async () => {
  const bus = new SimI2cBus();
  bus.attach(0x76, new Bme280Sim());
  const words = new Map<number, number>();
  const bytes = new Map<number, number>();
  for (let r = 0; r < 256; r++) {
    words.set(r, await bus.readWord(0x76, r));
    bytes.set(r, await bus.readByte(0x76, r));
  }
  const fromWords = parseI2cDump(i2cdumpText((r) => words.get(r), 'w'));
  const fromBytes = parseI2cDump(i2cdumpText((r) => bytes.get(r), 'b'));
  assert.equal(fromWords.words!.size, 256);
  assert.deepEqual(fromWords.registers, fromBytes.registers);
  // Even registers only (as `-r` with W-like gaps would give): high bytes fill the odd ones.
  const even = parseI2cDump(i2cdumpText((r) => (r % 2 === 0 ? words.get(r) : undefined), 'w', 0x88, 0x9f));
  assert.deepEqual([...even.registers.values()], [...Array(24).keys()].map((i) => bytes.get(0x88 + i)));
});

test('errors name the line and what was expected', () => {
  assert.throws(() => parseI2cDump('hello\n'), { message: /^line 1: expected i2cdump's column header .* found "hello"/ });
  assert.throws(() => parseI2cDump(''), { message: /no table found/ });
  const lines = bmeText.split('\n');
  const withBad = (i: number, line: string) => lines.map((l, j) => (j === i ? line : l)).join('\n');
  assert.throws(() => parseI2cDump(withBad(4, '20: 00 zz 00 00 00 00 00 00 00 00 00 00 00 00 00 00    ................')), {
    message: /^line 5: expected a row "00: 60 00 XX …" \(16 two-digit hex bytes\), but cell 2 is "zz"/,
  });
  assert.throws(() => parseI2cDump(withBad(4, '20: 00 00')), { message: /^line 5: expected a row .* but it has 2 cells/ });
  assert.throws(() => parseI2cDump(withBad(4, '05: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00')), { message: /^line 5: row label 05 is not a multiple of 0x10/ });
  assert.throws(() => parseI2cDump(withBad(4, lines[3]!)), { message: /^line 5: row 10 comes after row 10: expected rows in increasing order/ });
  assert.throws(() => parseI2cDump(withBad(4, 'Error: Read failed')), { message: /^line 5: expected a row/ });
  assert.throws(() => parseI2cDump(bmeText + '\nroot@pi:~# \n'), { message: /^line 20: expected nothing after the end of the table, found "root@pi:~# "/ });
  const wordText = fixture('tmp102-0x48-words.txt');
  assert.throws(() => parseI2cDump(wordText.replace('a060', 'a06')), { message: /^line 2: expected a row "00: a060 …" \(8 four-digit hex words\)/ });
});
