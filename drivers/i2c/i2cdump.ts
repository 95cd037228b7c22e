/**
 * Parse what `i2cdump` (i2c-tools) prints, so a simulated chip can be loaded with the registers of
 * a real one. Two layouts exist:
 *
 * - byte layout (modes b, c, i, s and W): a header `     0  1  2 … f    0123456789abcdef`, then rows
 *   `00: 60 00 XX …` of 16 cells, each `hh` or `XX` (the read failed) or blank (outside `-r`),
 *   followed by an ASCII rendering that is ignored here;
 * - word layout (mode w): a header `     0,8  1,9 … 7,f`, then rows `00: a060 …` of 8 cells, each the
 *   SMBus word read at that register (`XXXX` failed, blank outside `-r`). SMBus words are
 *   little-endian: the low byte is the first the chip sent.
 *
 * `registers` maps a register to a byte. For a word dump it holds, like i2cdump's own W mode,
 * the low byte of the word at r as register r and its high byte as register r + 1 — unless the
 * dump has a word of its own at r + 1, whose low byte is then what a byte read of r + 1 returns.
 * That is exact for chips with auto-incrementing byte registers; for chips with 16-bit registers
 * (TMP102, MCP9808) `words` keeps every word as printed.
 *
 * The lines i2cdump writes before the table (its warning, "No size specified …", "I will probe
 * …", "Continue? [Y/n]") and the command line itself are skipped; so are blank lines and CRLF.
 */
export interface I2cDump {
  mode: 'byte' | 'word';
  /** Register → byte; registers the dump did not read, or could not (XX), are absent. */
  registers: Map<number, number>;
  /** Word layout only: register → the 16-bit SMBus word as printed. */
  words?: Map<number, number>;
}

const BYTE_HEADER = /^\s*0\s+1\s+2\s+3\s+4\s+5\s+6\s+7\s+8\s+9\s+a\s+b\s+c\s+d\s+e\s+f(\s+0123456789abcdef)?\s*$/i;
const WORD_HEADER = /^\s*0,8\s+1,9\s+2,a\s+3,b\s+4,c\s+5,d\s+6,e\s+7,f\s*$/i;
const PREAMBLE = [
  /^WARNING! This program can confuse your I2C bus/,
  /^I will probe file /,
  /^No size specified/,
  /^PEC checking enabled/,
  /^Only probing even register addresses/,
  /^Probing bank /,
  /^Using command /,
  /^Probe range limited to /,
  /^Continue\? \[Y\/n\]/,
  /\bi2cdump\b/, // the command as typed, with or without a shell prompt
];

interface Layout {
  mode: 'byte' | 'word';
  cells: number;
  width: number;
  failed: string;
  example: string;
}
const LAYOUTS: Record<'byte' | 'word', Layout> = {
  byte: { mode: 'byte', cells: 16, width: 2, failed: 'XX', example: '"00: 60 00 XX …" (16 two-digit hex bytes)' },
  word: { mode: 'word', cells: 8, width: 4, failed: 'XXXX', example: '"00: a060 …" (8 four-digit hex words)' },
};

export function parseI2cDump(text: string): I2cDump {
  const lines = text.split(/\r?\n/);
  let layout: Layout | undefined;
  let next = 0; // the lowest row label still allowed
  let ended = false;
  let short: { where: string; cells: number } | undefined; // a row ending in blanks: only the last may
  const cells = new Map<number, number>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    const where = `line ${i + 1}`;
    if (!layout) {
      if (BYTE_HEADER.test(line)) layout = LAYOUTS.byte;
      else if (WORD_HEADER.test(line)) layout = LAYOUTS.word;
      else if (line.trim() !== '' && !PREAMBLE.some((p) => p.test(line.trim()))) {
        throw new Error(`${where}: expected i2cdump's column header ("     0  1  2  3 …" for bytes, "     0,8  1,9 …" for words), found ${JSON.stringify(line)}`);
      }
      continue;
    }
    if (line.trim() === '') {
      ended = next > 0;
      continue;
    }
    if (ended) throw new Error(`${where}: expected nothing after the end of the table, found ${JSON.stringify(line)}`);
    const label = /^([0-9a-f]{2}): /i.exec(line);
    if (!label) throw new Error(`${where}: expected a row ${layout.example}, found ${JSON.stringify(line)}`);
    if (short) throw truncated(short, layout);
    const base = parseInt(label[1]!, 16);
    if (base % layout.cells !== 0) throw new Error(`${where}: row label ${label[1]} is not a multiple of 0x${layout.cells.toString(16)}, as i2cdump's ${layout.mode} rows are`);
    if (base < next) throw new Error(`${where}: row ${label[1]} comes after row ${(next - layout.cells).toString(16).padStart(2, '0')}: expected rows in increasing order`);
    // Blank cells are registers outside `-r first-last`: they lead the first row and trail the last.
    const row = parseRow(line, layout, where);
    if (row.lead > 0 && next > 0) throw new Error(`${where}: expected a row ${layout.example}, but it starts with ${row.lead} blank cells, which only the first row of a dump limited with -r has`);
    if (row.trail > 0) short = { where, cells: layout.cells - row.trail };
    next = base + layout.cells;
    for (const [j, value] of row.values) cells.set(base + j, value);
  }
  if (!layout) throw new Error(`line ${lines.length}: expected i2cdump's column header before the end of the text; no table found`);
  if (layout.mode === 'byte') return { mode: 'byte', registers: cells };
  return { mode: 'word', registers: wordsToBytes(cells), words: cells };
}

interface Row {
  /** (column, value) of the cells that were read; failed (XX) cells are left out. */
  values: Array<[number, number]>;
  /** Blank cells before the first and after the last printed one. */
  lead: number;
  trail: number;
}

/**
 * The cells of one row. i2cdump prints fixed-width columns, which is what tells a blank cell
 * (outside `-r`) from a missing one; a row whose spacing was collapsed (pasted through a web page)
 * is read as whitespace-separated cells if it has all of them.
 */
function parseRow(line: string, layout: Layout, where: string): Row {
  const step = layout.width + 1;
  const body = line.slice(4).padEnd(layout.cells * step);
  const kinds: Array<'blank' | 'failed' | number> = [];
  for (let j = 0; j < layout.cells; j++) {
    const cell = body.slice(j * step, j * step + layout.width);
    const sep = body[j * step + layout.width];
    if (sep !== ' ' && sep !== undefined) break;
    if (new RegExp(`^[0-9a-f]{${layout.width}}$`, 'i').test(cell)) kinds.push(parseInt(cell, 16));
    else if (cell === layout.failed) kinds.push('failed');
    else if (cell.trim() === '') kinds.push('blank');
    else break;
  }
  const printed = kinds.flatMap((k, j) => (k === 'blank' ? [] : [j]));
  const lead = printed[0] ?? layout.cells;
  const trail = layout.cells - 1 - (printed.at(-1) ?? -1);
  if (kinds.length === layout.cells && printed.length > 0 && printed.length === layout.cells - lead - trail) {
    return { values: kinds.flatMap((k, j): Array<[number, number]> => (typeof k === 'number' ? [[j, k]] : [])), lead, trail };
  }
  const tokens = line.slice(4).trim().split(/\s+/).slice(0, layout.cells);
  const cellPattern = new RegExp(`^(?:[0-9a-f]{${layout.width}}|${layout.failed})$`, 'i');
  const bad = tokens.findIndex((t) => !cellPattern.test(t));
  if (bad >= 0) throw new Error(`${where}: expected a row ${layout.example}, but cell ${bad + 1} is ${JSON.stringify(tokens[bad])}: ${JSON.stringify(line)}`);
  if (tokens.length < layout.cells) {
    // Too few cells in collapsed spacing: where the blanks were cannot be known.
    throw new Error(`${where}: expected a row ${layout.example}, but it has ${tokens.length} cells and its columns are not where i2cdump prints them: ${JSON.stringify(line)}`);
  }
  return { values: tokens.flatMap((t, j): Array<[number, number]> => (t === layout.failed ? [] : [[j, parseInt(t, 16)]])), lead: 0, trail: 0 };
}

function truncated(short: { where: string; cells: number }, layout: Layout): Error {
  return new Error(`${short.where}: expected a row ${layout.example}, but it has ${short.cells} cells and is not the last row; only the last row of a dump limited with -r ends early`);
}

/** Word at r → low byte at r, high byte at r + 1 where the dump has no word at r + 1. */
function wordsToBytes(words: ReadonlyMap<number, number>): Map<number, number> {
  const bytes = new Map<number, number>();
  for (const [register, word] of words) {
    bytes.set(register, word & 0xff);
    if (register < 0xff && !words.has(register + 1) && !bytes.has(register + 1)) bytes.set(register + 1, word >> 8);
  }
  return bytes;
}
