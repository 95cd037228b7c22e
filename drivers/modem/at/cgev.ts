/**
 * Packet-domain event reports, +CGEV (3GPP TS 27.007 §10.1.19): a PDN connection or bearer that
 * the network or the modem activated, modified or tore down, a detach, a class change. These are
 * how a data connection learns it was dropped without anyone asking.
 */
import { badResponse, parseIntField, parseOptionalInt, splitParams, stripPrefix, unquote } from './tokens.js';

/** The event, named as ModemManager names it (MM_3GPP_CGEV_…), so logs of the two line up. */
export type CgevType =
  | 'REJECT' | 'NW_REACT' | 'NW_DEACT_PDP' | 'ME_DEACT_PDP' | 'NW_ACT_PRIMARY' | 'ME_ACT_PRIMARY'
  | 'NW_ACT_SECONDARY' | 'ME_ACT_SECONDARY' | 'NW_DEACT_PRIMARY' | 'ME_DEACT_PRIMARY'
  | 'NW_DEACT_SECONDARY' | 'ME_DEACT_SECONDARY' | 'NW_MODIFY' | 'ME_MODIFY' | 'NW_DETACH'
  | 'ME_DETACH' | 'NW_CLASS' | 'ME_CLASS';

export interface Cgev {
  /** The event words as 27.007 writes them: "NW DETACH", "ME PDN ACT", "NW DEACT". */
  event: string;
  type: CgevType;
  pdpType?: string;
  address?: string;
  cid?: number;
  /** The primary context of a secondary one (<p_cid>). */
  parentCid?: number;
  /** <event_type>: 0 informational, 1 the modem must answer with +CGANS. */
  eventType?: number;
  /** ME PDN ACT <reason>: why the bearer is not the requested type (0 IPv4 only allowed, 1 IPv6 only, …). */
  reason?: number;
  /** ME PDN ACT <cid_other>: the context made for the other IP version. */
  otherCid?: number;
  /** NW/ME MODIFY <change_reason> bit set: 1 TFT, 2 QoS, 4 WLAN offload. */
  changeReason?: number;
  /** NW CLASS / ME CLASS <class>: "A", "B", "CG", "CC". */
  class?: string;
}

// Longest words first, so "NW PDN DEACT" is not read as "NW PDN" something.
const EVENTS = [
  'NW PDN DEACT', 'ME PDN DEACT', 'NW PDN ACT', 'ME PDN ACT', 'NW REACT', 'NW DEACT', 'ME DEACT',
  'NW ACT', 'ME ACT', 'NW MODIFY', 'ME MODIFY', 'NW DETACH', 'ME DETACH', 'NW CLASS', 'ME CLASS', 'REJECT',
] as const;
type Event = (typeof EVENTS)[number];

// The forms that take no PDP type/address, by event words.
const SIMPLE: Record<Exclude<Event, 'REJECT' | 'NW REACT' | 'NW DEACT' | 'ME DEACT'>, CgevType> = {
  'NW PDN ACT': 'NW_ACT_PRIMARY', 'ME PDN ACT': 'ME_ACT_PRIMARY', 'NW PDN DEACT': 'NW_DEACT_PRIMARY',
  'ME PDN DEACT': 'ME_DEACT_PRIMARY', 'NW ACT': 'NW_ACT_SECONDARY', 'ME ACT': 'ME_ACT_SECONDARY',
  'NW MODIFY': 'NW_MODIFY', 'ME MODIFY': 'ME_MODIFY', 'NW DETACH': 'NW_DETACH', 'ME DETACH': 'ME_DETACH',
  'NW CLASS': 'NW_CLASS', 'ME CLASS': 'ME_CLASS',
};

function drop<T extends object>(o: T): T {
  for (const key of Object.keys(o) as (keyof T)[]) if (o[key] === undefined) delete o[key];
  return o;
}

/**
 * Reads a +CGEV line; the "+CGEV: " prefix may be left off. Returns `undefined` for a line that is
 * neither prefixed nor starts with a known event, and throws for a +CGEV line whose event or
 * parameters 27.007 does not define.
 */
export function parseCgev(line: string): Cgev | undefined {
  const prefixed = stripPrefix(line, '+CGEV:');
  const text = (prefixed ?? line).trim();
  const event = EVENTS.find((e) => text === e || text.startsWith(`${e} `) || text.startsWith(`${e},`));
  if (event === undefined) {
    if (prefixed === undefined) return undefined;
    throw badResponse(`+CGEV event ${JSON.stringify(text)} is not one 27.007 §10.1.19 defines (NW DETACH, ME PDN ACT, …)`);
  }
  const what = JSON.stringify(line.trim());
  const params = text.slice(event.length).replace(/^\s*,?/, '').trim();
  const f = params === '' ? [] : splitParams(params);
  const int = (i: number, name: string) => parseOptionalInt(f[i], `<${name}> of ${what}`);
  // REJECT, NW REACT, and the old NW/ME DEACT form: <PDP_type>,<PDP_addr>[,<cid>]. The new
  // NW/ME DEACT form starts with a number (<p_cid>) instead of a PDP type.
  const pdpForm = event === 'REJECT' || event === 'NW REACT' || ((event === 'NW DEACT' || event === 'ME DEACT') && !/^\d+$/.test(unquote(f[0] ?? '')));
  if (pdpForm) {
    const type: CgevType = event === 'REJECT' ? 'REJECT' : event === 'NW REACT' ? 'NW_REACT' : event === 'NW DEACT' ? 'NW_DEACT_PDP' : 'ME_DEACT_PDP';
    const pdpType = unquote(f[0] ?? '');
    if (pdpType === '') throw badResponse(`${what} has no <PDP_type>: expected e.g. "IP" after ${event}`);
    return drop({ event, type, pdpType, address: unquote(f[1] ?? '') || undefined, cid: int(2, 'cid') });
  }
  if (event === 'NW DEACT' || event === 'ME DEACT') {
    const type: CgevType = event === 'NW DEACT' ? 'NW_DEACT_SECONDARY' : 'ME_DEACT_SECONDARY';
    return drop({ event, type, parentCid: parseIntField(f[0], `<p_cid> of ${what}`), cid: int(1, 'cid'), eventType: int(2, 'event_type') });
  }
  const type = SIMPLE[event];
  switch (event) {
    case 'NW ACT':
    case 'ME ACT':
      return drop({ event, type, parentCid: parseIntField(f[0], `<p_cid> of ${what}`), cid: int(1, 'cid'), eventType: int(2, 'event_type') });
    case 'ME PDN ACT':
      return drop({ event, type, cid: parseIntField(f[0], `<cid> of ${what}`), reason: int(1, 'reason'), otherCid: int(2, 'cid_other') });
    case 'NW PDN ACT':
    case 'NW PDN DEACT':
    case 'ME PDN DEACT':
      return drop({ event, type, cid: parseIntField(f[0], `<cid> of ${what}`) });
    case 'NW MODIFY':
    case 'ME MODIFY':
      return drop({ event, type, cid: parseIntField(f[0], `<cid> of ${what}`), changeReason: int(1, 'change_reason'), eventType: int(2, 'event_type') });
    case 'NW CLASS':
    case 'ME CLASS':
      return drop({ event, type, class: unquote(f[0] ?? '') || undefined });
    default:
      return { event, type };
  }
}
