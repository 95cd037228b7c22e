/**
 * The modem's real-time clock, +CCLK (3GPP TS 27.007 §8.15): "yy/MM/dd,hh:mm:ss±zz", where zz is
 * the zone in quarter hours (the network's NITZ unit, so +40 is UTC+10:00 and -32 is UTC-08:00).
 */
import { badResponse, stripPrefix, unquote } from './tokens.js';

export interface ModemClock {
  /** The instant the clock shows. */
  date: Date;
  /**
   * The zone the modem reports, in minutes east of UTC; `undefined` when the answer carries none,
   * in which case `date` reads the wall time as if it were UTC — nothing better is known.
   */
  tzOffsetMinutes: number | undefined;
}

const CCLK = /^(\d{2}|\d{4})\/(\d{1,2})\/(\d{1,2}),(\d{1,2}):(\d{1,2}):(\d{1,2})(?:([+-])(\d{1,2}))?$/;

/**
 * Reads a `+CCLK: "…"` answer (quoted or not: some firmware drops the quotes). Returns `undefined`
 * for another line; throws when the time is not a real one, such as the "XX/XX/XX" a modem reports
 * before the network has set its clock.
 */
export function parseCclk(line: string): ModemClock | undefined {
  const body = stripPrefix(line, '+CCLK:');
  if (body === undefined) return undefined;
  const text = unquote(body);
  const shown = JSON.stringify(line.trim());
  const m = CCLK.exec(text);
  if (!m) throw badResponse(`+CCLK answer ${shown} is not "yy/MM/dd,hh:mm:ss±zz"`);
  const [yy, mo, d, h, mi, s] = m.slice(1, 7).map((v) => Number.parseInt(v ?? '', 10)) as [number, number, number, number, number, number];
  const year = yy < 100 ? 2000 + yy : yy;
  const wall = Date.UTC(year, mo - 1, d, h, mi, s);
  const check = new Date(wall);
  // Date.UTC rolls 31 April over into 1 May; a clock that says 31 April is broken, not early May.
  if (h > 23 || mi > 59 || s > 59 || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) {
    throw badResponse(`+CCLK answer ${shown} is not a valid date and time`);
  }
  let tz: number | undefined;
  if (m[7] !== undefined) {
    const quarters = Number.parseInt(m[8] ?? '', 10);
    if (quarters > 96) throw badResponse(`time zone of +CCLK answer ${shown} is ${m[7]}${quarters} quarter hours: expected at most 96 (24 h)`);
    tz = m[7] === '-' && quarters !== 0 ? -quarters * 15 : quarters * 15;
  }
  return { date: new Date(wall - (tz ?? 0) * 60_000), tzOffsetMinutes: tz };
}
