/**
 * Pure parsers for the procfs files the linux system binding samples. They take the file's
 * text and throw a DriverError quoting what was wrong, so the binding can say which file it was
 * and the parsers can be tested on awkward input without a filesystem.
 */
import { DriverError } from '../../runtime/errors.js';

export interface MemInfo {
  memTotalKb: number;
  memAvailableKb: number;
}

/** `/proc/meminfo`: "MemTotal:  3884180 kB" lines; only the two fields the work cost needs. */
export function parseMeminfo(text: string): MemInfo {
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z0-9_()]+):\s*(\d+)(?:\s*kB)?\s*$/.exec(line);
    if (m) fields.set(m[1]!, Number(m[2]));
  }
  const memTotalKb = fields.get('MemTotal');
  const memAvailableKb = fields.get('MemAvailable');
  if (memTotalKb === undefined || memAvailableKb === undefined) {
    const missing = [memTotalKb === undefined ? 'MemTotal' : '', memAvailableKb === undefined ? 'MemAvailable' : '']
      .filter(Boolean)
      .join(' and ');
    throw new DriverError('system', `meminfo has no ${missing} line; expected "MemTotal: <n> kB" and "MemAvailable: <n> kB"`);
  }
  return { memTotalKb, memAvailableKb };
}

/**
 * `/proc/pressure/memory`: "some avg10=1.23 avg60=… total=…" and a "full …" line. Kernels before
 * 5.2 have no "full" line for cpu but always for memory; a missing "full" reads as 0 rather than
 * discarding the more useful "some" figure.
 */
export function parsePressure(text: string): { some10: number; full10: number } {
  let some10: number | undefined;
  let full10: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^\s*(some|full)\b.*?\bavg10=([0-9]+(?:\.[0-9]+)?)/.exec(line);
    if (!m) continue;
    if (m[1] === 'some') some10 = Number(m[2]);
    else full10 = Number(m[2]);
  }
  if (some10 === undefined) {
    throw new DriverError('system', `pressure file has no "some avg10=" line: ${JSON.stringify(text.slice(0, 80))}`);
  }
  return { some10, full10: full10 ?? 0 };
}

/** `/proc/loadavg`: "0.52 0.58 0.59 1/215 4242"; the first field is the one-minute average. */
export function parseLoadavg(text: string): number {
  const first = text.trim().split(/\s+/)[0] ?? '';
  const load = Number(first);
  if (first === '' || !Number.isFinite(load) || load < 0) {
    throw new DriverError('system', `loadavg first field ${JSON.stringify(first)} is not a load average; expected e.g. "0.52"`);
  }
  return load;
}

const RTF_UP = 0x1;

export interface DefaultRoute {
  iface: string;
  metric: number;
}

/**
 * `/proc/net/route`: a header naming the columns, then one tab-separated line per route with
 * hex addresses and flags. The default route is destination and mask 0.0.0.0, up, with the
 * lowest metric (what the kernel would pick). Columns are found by header name, not position.
 */
export function parseDefaultRoute(text: string): DefaultRoute | undefined {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines.shift()?.trim().split(/\s+/);
  if (!header) return undefined;
  const col = (name: string) => header.indexOf(name);
  const [iIf, iDest, iFlags, iMetric, iMask] = ['Iface', 'Destination', 'Flags', 'Metric', 'Mask'].map(col);
  if ([iIf, iDest, iFlags, iMetric, iMask].some((i) => i === undefined || i < 0)) {
    throw new DriverError('system', `route table header ${JSON.stringify(header.join(' '))} lacks Iface/Destination/Flags/Metric/Mask`);
  }
  let best: DefaultRoute | undefined;
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    const iface = f[iIf!];
    const metric = Number(f[iMetric!]);
    const flags = parseInt(f[iFlags!] ?? '', 16);
    // A line cut short (the file read mid-update) is skipped, not taken as a route.
    if (!iface || f.length < header.length || !Number.isFinite(metric) || Number.isNaN(flags)) continue;
    if (f[iDest!] !== '00000000' || f[iMask!] !== '00000000' || (flags & RTF_UP) === 0) continue;
    if (!best || metric < best.metric) best = { iface, metric };
  }
  return best;
}

/** The firmware's `get_throttled`: hex with or without "0x" ("50005", "0x50005"). */
export function parseThrottledHex(text: string): number {
  const s = text.trim();
  const m = /^(?:0x)?([0-9a-f]+)$/i.exec(s);
  if (!m) throw new DriverError('system', `get_throttled value ${JSON.stringify(s)} is not hex; expected e.g. "50005" or "0x50005"`);
  return parseInt(m[1]!, 16);
}
