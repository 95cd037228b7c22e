/**
 * `vigil logs --sensor NAME`: a sensor's readings from the log (the runtime's `evt: "sensor"`
 * records, logged on change) as a series per channel, a sparkline of each on a terminal, and
 * the SensorDataThresholdTrigger activations that named the sensor.
 */
import { BTHOME_BY_NAME } from '../../drivers/ble/adv/bthome-objects.js';
import { loadSensorType } from '../../drivers/i2c/types.js';
import { SENSOR_TYPES, type SensorTypeName } from '../../drivers/i2c/type-names.js';
import { formatRecord } from '../../runtime/log-format.js';
import type { LogRecord } from '../../runtime/log-record.js';

export interface ChannelSeries {
  count: number;
  min: number;
  max: number;
  first: number;
  last: number;
  firstAt: number;
  lastAt: number;
  unit?: string;
  points: { time: number; value: number }[];
}

export interface SensorSummary {
  sensor: string;
  /** The driver's type as logged ("bme280", "bthome"). */
  type?: string;
  channels: Record<string, ChannelSeries>;
  series: { time: number; values: Record<string, number> }[];
  /** The trigger records of SensorDataThresholdTrigger activations naming the sensor. */
  triggered: LogRecord[];
}

/** Whether a record is a reading of `sensor` (any sensor when undefined). */
export function isReading(record: LogRecord, sensor?: string): boolean {
  return record.evt === 'sensor' && typeof record.sensor === 'string' && (sensor === undefined || record.sensor === sensor) && isObject(record.values);
}

/** Whether a record is a SensorDataThresholdTrigger activation whose details name `sensor`. */
export function isSensorTrigger(record: LogRecord, sensor: string): boolean {
  return record.evt === 'trigger' && typeof record.trigger === 'string' && record.trigger.startsWith('SensorDataThresholdTrigger') && isObject(record.details) && record.details.sensor === sensor;
}

/** Gathers one sensor's readings and triggers from a stream of records, and which sensors there are. */
export class SensorCollector {
  readonly sensor: string;
  /** Every sensor with readings in the records seen, with how many. */
  readonly seen = new Map<string, number>();
  readonly #summary: SensorSummary;

  constructor(sensor: string) {
    this.sensor = sensor;
    this.#summary = { sensor, channels: {}, series: [], triggered: [] };
  }

  add(record: LogRecord, takeTrigger: (record: LogRecord) => boolean = () => true): void {
    if (isReading(record)) {
      const name = record.sensor as string;
      this.seen.set(name, (this.seen.get(name) ?? 0) + 1);
      if (name === this.sensor) this.#addReading(record);
    } else if (isSensorTrigger(record, this.sensor) && takeTrigger(record)) {
      this.#summary.triggered.push(record);
    }
  }

  #addReading(record: LogRecord): void {
    const time = typeof record.time === 'number' ? record.time : NaN;
    if (!Number.isFinite(time)) return;
    const values: Record<string, number> = {};
    for (const [name, value] of Object.entries(record.values as Record<string, unknown>)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      values[name] = value;
      const c = this.#summary.channels[name];
      if (!c) {
        this.#summary.channels[name] = { count: 1, min: value, max: value, first: value, last: value, firstAt: time, lastAt: time, points: [{ time, value }] };
        continue;
      }
      c.count++;
      c.min = Math.min(c.min, value);
      c.max = Math.max(c.max, value);
      c.last = value;
      c.lastAt = time;
      c.points.push({ time, value });
    }
    if (typeof record.type === 'string') this.#summary.type = record.type;
    this.#summary.series.push({ time, values });
  }

  get found(): boolean {
    return this.#summary.series.length > 0 || this.#summary.triggered.length > 0;
  }

  /** The summary, with each channel's unit where the sensor's type tells it. */
  async summary(): Promise<SensorSummary> {
    const units = await unitsOf(this.#summary.type);
    for (const [name, c] of Object.entries(this.#summary.channels)) {
      const unit = units(name);
      if (unit) c.unit = unit;
    }
    return this.#summary;
  }
}

/** Channel → unit for a logged sensor type: the I2C chip's own channel table, or BTHome's object table. */
async function unitsOf(type: string | undefined): Promise<(channel: string) => string | undefined> {
  try {
    if (type === 'bthome') return (channel) => BTHOME_BY_NAME.get(channel)?.[0]?.unit || undefined;
    if (type && (SENSOR_TYPES as readonly string[]).includes(type)) {
      // Options only change which inputs an ADC has, never a channel's unit; without them the ADC's single-ended inputs are listed.
      const table = (await loadSensorType(type as SensorTypeName)).channels({});
      return (channel) => table[channel]?.unit ?? (/^ain\d/.test(channel) ? 'V' : undefined);
    }
  } catch {
    // A unit is a nicety: a type this version cannot load simply shows none.
  }
  return () => undefined;
}

/** The `--json` form: times as ISO strings, the triggers as time, task and what crossed. */
export function summaryJson(s: SensorSummary): unknown {
  const channels: Record<string, unknown> = {};
  for (const [name, c] of Object.entries(s.channels)) {
    channels[name] = { count: c.count, min: c.min, max: c.max, last: c.last, ...(c.unit ? { unit: c.unit } : {}), first: c.first, firstAt: iso(c.firstAt), lastAt: iso(c.lastAt) };
  }
  return {
    sensor: s.sensor,
    ...(s.type ? { type: s.type } : {}),
    channels,
    series: s.series.map((p) => ({ time: iso(p.time), values: p.values })),
    triggered: s.triggered.map((r) => ({
      time: typeof r.time === 'number' ? iso(r.time) : null,
      task: r.task ?? null,
      ...(typeof r.bundle === 'string' ? { bundle: r.bundle } : {}),
      trigger: r.trigger,
      details: r.details,
    })),
  };
}

export interface SummaryTextOptions {
  color: boolean;
  /** Columns for the sparklines, including the channel name; no charts when undefined (piped output). */
  chartWidth?: number;
  timeZone?: string;
}

/** The readable summary: a line for the sensor, a table of channels, sparklines, then the triggers. */
export function formatSummary(s: SensorSummary, options: SummaryTextOptions): string {
  const paint = (code: string, text: string) => (options.color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const lines: string[] = [];
  const times = s.series.map((p) => p.time);
  const withDate = times.length > 0 && dayOf(times[0]!) !== dayOf(times[times.length - 1]!);
  const when = (t: number) => stamp(t, withDate);
  const head = `sensor ${s.sensor}${s.type ? ` (${s.type})` : ''}`;
  if (times.length === 0) lines.push(`${paint('1', head)}: no readings logged`);
  else lines.push(`${paint('1', head)}: ${plural(times.length, 'reading')} from ${when(times[0]!)} to ${when(times[times.length - 1]!)}`);

  const names = Object.keys(s.channels);
  if (names.length > 0) {
    const rows = names.map((name) => {
      const c = s.channels[name]!;
      return [name, c.unit ?? '', String(c.count), num(c.min), num(c.max), num(c.last), when(c.firstAt), when(c.lastAt)];
    });
    const header = ['CHANNEL', 'UNIT', 'COUNT', 'MIN', 'MAX', 'LAST', 'FIRST AT', 'LAST AT'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const right = new Set([2, 3, 4, 5]);
    const fmt = (row: string[]) => `  ${row.map((cell, i) => (right.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd()}`;
    lines.push(paint('2', fmt(header)));
    for (const row of rows) lines.push(fmt(row));
    if (options.chartWidth !== undefined) {
      const label = Math.max(...names.map((n) => n.length));
      const legends = names.map((name) => {
        const c = s.channels[name]!;
        return `${num(c.min)} … ${num(c.max)}${c.unit ? ` ${c.unit}` : ''}`;
      });
      // One width for every chart, so that a column is the same moment in each.
      const width = Math.max(8, options.chartWidth - label - 5 - Math.max(...legends.map((l) => l.length)));
      lines.push('');
      names.forEach((name, i) => {
        const c = s.channels[name]!;
        lines.push(`  ${name.padEnd(label)}  ${paint('36', sparkline(c.points, width))} ${paint('2', legends[i]!)}`);
      });
    }
  }

  if (s.triggered.length === 0) lines.push('set off no SensorDataThresholdTrigger tasks');
  else {
    const tasks = [...new Set(s.triggered.map((r) => String(r.task ?? '?')))];
    lines.push(`set off ${plural(s.triggered.length, 'run')} of ${tasks.join(', ')}:`);
    const format = options.timeZone === undefined ? { color: options.color } : { color: options.color, timeZone: options.timeZone };
    for (const r of s.triggered) lines.push(formatRecord(r, format));
  }
  return `${lines.join('\n')}\n`;
}

const BARS = '▁▂▃▄▅▆▇█';

/**
 * `points` (in time order) as `width` bars over their time span. Readings are logged on change,
 * so a value holds until the next one: a column with no reading repeats the one before, and a
 * column with several shows their mean.
 */
export function sparkline(points: { time: number; value: number }[], width: number): string {
  if (points.length === 0 || width <= 0) return '';
  const t0 = points[0]!.time;
  const span = points[points.length - 1]!.time - t0;
  let columns: number[];
  if (span <= 0 || points.length === 1) {
    // No time to spread over: one bar per reading, as many as fit (the latest).
    columns = points.slice(-width).map((p) => p.value);
  } else {
    columns = [];
    let i = 0;
    let held = points[0]!.value;
    for (let col = 0; col < width; col++) {
      const end = col === width - 1 ? Infinity : t0 + ((col + 1) * span) / width;
      let sum = 0;
      let n = 0;
      while (i < points.length && points[i]!.time < end) {
        sum += points[i]!.value;
        n++;
        held = points[i]!.value;
        i++;
      }
      columns.push(n > 0 ? sum / n : held);
    }
  }
  const min = Math.min(...columns);
  const max = Math.max(...columns);
  if (max - min < 1e-12) return BARS[3]!.repeat(columns.length);
  return columns.map((v) => BARS[Math.min(7, Math.max(0, Math.round(((v - min) / (max - min)) * 7)))]!).join('');
}

/** Two decimals, or as many as three significant digits need for a small value (0.0012 g). */
function num(v: number): string {
  const magnitude = Math.abs(v);
  const decimals = magnitude >= 1 || magnitude === 0 ? 2 : Math.min(8, 2 - Math.floor(Math.log10(magnitude)));
  return String(Number(v.toFixed(decimals)));
}

function stamp(time: number, withDate: boolean): string {
  const d = new Date(time);
  const clock = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  return withDate ? `${dayOf(time)} ${clock}` : clock;
}

function dayOf(time: number): string {
  const d = new Date(time);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

function iso(time: number): string {
  return new Date(time).toISOString();
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
