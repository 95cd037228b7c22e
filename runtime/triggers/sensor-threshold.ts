/**
 * SensorDataThresholdTrigger. Two ways to fire:
 * - movement (the seed's): when a reading has moved by at least the threshold since the last
 *   report; the first reading after registering is the reference and fires nothing;
 * - level crossing (`above`/`below`): once when the value crosses the level, re-armed only when
 *   it comes back past `rearmBelow`/`rearmAbove` (hysteresis, so a reading that hovers around
 *   the level does not fire on every poll).
 * The reference values and the armed flag are kept in the trigger's persisted state, so a
 * restart neither loses a report nor repeats one.
 */
import * as v from 'valibot';
import type { ArmedRegistration, SourcePort, TriggerDefinition } from '../broker.js';
import type { Unsubscribe } from '../emitter.js';
import { RegistrationError } from '../errors.js';
import type { TriggerData } from '../trigger.js';
import { parseTriggerData } from './parse.js';
import { moved, THRESHOLD_KINDS, type KindField } from './sensor-kinds.js';

export interface SensorReadingEvent {
  sensor: string;
  type: string;
  time: number;
  values: Record<string, number>;
}

/** What the trigger needs from the sensors: their channels, and their readings. */
export interface SensorFeed {
  channels(sensor: string): string[] | undefined;
  names(): string[];
  onReading(sensor: string, listener: (reading: SensorReadingEvent) => void): Unsubscribe;
}

const schema = v.strictObject({
  type: v.literal('SensorDataThresholdTrigger'),
  sensor: v.pipe(v.string(), v.minLength(1)),
  threshold: v.looseObject({ kind: v.picklist(Object.keys(THRESHOLD_KINDS)) }),
});

export type SensorThresholdData = TriggerData & {
  sensor: string;
  threshold: { kind: string } & Record<string, unknown>;
};

interface Plan {
  /** Movement: fields with their thresholds. */
  deltas: { field: KindField; threshold: number }[];
  level?: { channel: string; above?: number; below?: number; rearm: number };
}

export function sensorThresholdTrigger(feed: SensorFeed): TriggerDefinition {
  return {
    id: 'SensorDataThresholdTrigger',
    parse: (data, ctx) => {
      const t = parseTriggerData(schema, data, ctx.field) as SensorThresholdData;
      const channels = feed.channels(t.sensor);
      if (!channels) {
        throw new RegistrationError('TRIGGER_INVALID', `${ctx.field}.sensor: no sensor named "${t.sensor}" on this device (sensors: ${feed.names().join(', ') || 'none'})`);
      }
      plan(t, channels, `${ctx.field}.threshold`);
      return t;
    },
    arm: (registration, port) => arm(feed, registration, port),
  };
}

const LEVEL_FIELDS = ['above', 'below', 'rearmBelow', 'rearmAbove', 'axis', 'channel'];

/** Check a threshold against the sensor's channels and work out what to compare. */
function plan(t: SensorThresholdData, channels: readonly string[], field: string): Plan {
  const th = t.threshold;
  const kind = THRESHOLD_KINDS[th.kind]!;
  const bad = (what: string): never => {
    throw new RegistrationError('TRIGGER_INVALID', `${field}: ${what}`);
  };
  const known = new Set(['kind', ...kind.fields.map((f) => f.field), ...LEVEL_FIELDS]);
  for (const key of Object.keys(th)) if (!known.has(key)) bad(`unknown field "${key}" for ${th.kind}: expected ${[...known].filter((k) => k !== 'kind').join(', ')}`);
  for (const key of [...kind.fields.map((f) => f.field), 'above', 'below', 'rearmBelow', 'rearmAbove']) {
    if (th[key] !== undefined && (typeof th[key] !== 'number' || !Number.isFinite(th[key]))) bad(`${key} is ${JSON.stringify(th[key])}: expected a number`);
  }
  // Analog thresholds name their input; other kinds have fixed channels.
  const rename = (channel: string) => (th.kind === 'Analog' && typeof th.channel === 'string' ? th.channel : channel);
  const need = (channel: string) => {
    if (!channels.includes(channel)) bad(`sensor "${t.sensor}" has no ${channel} channel for a ${th.kind} threshold (its channels: ${channels.join(', ')})`);
    return channel;
  };
  const above = th.above as number | undefined;
  const below = th.below as number | undefined;
  if (above !== undefined || below !== undefined) {
    if (above !== undefined && below !== undefined) bad('give "above" or "below", not both (register two triggers for a band)');
    let channel: string;
    if (kind.axes) {
      const axis = th.axis;
      if (typeof axis !== 'string' || !(axis in kind.axes)) bad(`a level on a ${th.kind} needs "axis": one of ${Object.keys(kind.axes).join(', ')}`);
      channel = need(kind.axes[axis as string]!);
    } else {
      channel = need(rename(kind.fields[0]!.channel));
    }
    if (above !== undefined) {
      const rearm = (th.rearmBelow as number | undefined) ?? above;
      if (rearm > above) bad(`rearmBelow (${rearm}) is above "above" (${above}): expected rearmBelow <= above`);
      if (th.rearmAbove !== undefined) bad('"rearmAbove" goes with "below"; with "above" use "rearmBelow"');
      return { deltas: [], level: { channel, above, rearm } };
    }
    const rearm = (th.rearmAbove as number | undefined) ?? below!;
    if (rearm < below!) bad(`rearmAbove (${rearm}) is below "below" (${below}): expected rearmAbove >= below`);
    if (th.rearmBelow !== undefined) bad('"rearmBelow" goes with "above"; with "below" use "rearmAbove"');
    return { deltas: [], level: { channel, below: below!, rearm } };
  }
  const deltas = kind.fields
    .filter((f) => th[f.field] !== undefined)
    .map((f) => {
      const threshold = th[f.field] as number;
      if (threshold < 0) bad(`${f.field} is ${threshold}: expected a change of 0 or more`);
      return { field: { ...f, channel: need(rename(f.channel)) }, threshold };
    })
    .filter((d) => d.threshold > 0);
  if (deltas.length === 0) bad(`expected a change above 0 in ${kind.fields.map((f) => f.field).join(' or ')}, or a level ("above"/"below")`);
  return { deltas };
}

function arm(feed: SensorFeed, registration: ArmedRegistration, port: SourcePort): Unsubscribe {
  const t = registration.trigger as unknown as SensorThresholdData;
  const p = plan(t, feed.channels(t.sensor) ?? [], 'trigger.threshold');
  const state = registration.state;
  return feed.onReading(t.sensor, (reading) => {
    const details = { sensor: reading.sensor, type: reading.type, kind: t.threshold.kind, time: new Date(reading.time).toISOString(), values: reading.values };
    if (p.level) {
      const { channel, above, below, rearm } = p.level;
      const value = reading.values[channel];
      if (value === undefined) return;
      const armed = state.armed ?? true;
      const beyond = above !== undefined ? value > above : value < below!;
      const back = above !== undefined ? value < rearm : value > rearm;
      if (armed && beyond) {
        state.armed = false;
        registration.saveState();
        port.fire(registration.taskId, { ...details, crossed: { channel, value, ...(above !== undefined ? { above } : { below }), rearm } });
      } else if (!armed && back) {
        state.armed = true;
        registration.saveState();
      }
      return;
    }
    const base = state.baseline;
    const current: Record<string, number> = {};
    for (const d of p.deltas) {
      const value = reading.values[d.field.channel];
      if (value !== undefined) current[d.field.channel] = value;
    }
    if (!base) {
      state.baseline = current;
      registration.saveState();
      return;
    }
    const changed: Record<string, { from: number; to: number; by: number }> = {};
    for (const d of p.deltas) {
      const from = base[d.field.channel];
      const to = current[d.field.channel];
      if (from === undefined || to === undefined) continue;
      const by = moved(d.field, from, to);
      if (by >= d.threshold) changed[d.field.channel] = { from, to, by: d.field.relative ? round(by) : round(Math.abs(by)) };
    }
    if (Object.keys(changed).length === 0) return;
    state.baseline = { ...base, ...current };
    registration.saveState();
    port.fire(registration.taskId, { ...details, changed });
  });
}

function round(n: number): number {
  return Number.isFinite(n) ? Math.round(n * 1e6) / 1e6 : n;
}
