/**
 * A decoded SMS-DELIVER as tasks see it: plain JSON (it crosses the worker boundary and is
 * persisted), the timestamp in ISO 8601 with the sender's own offset, data as hex.
 */
import { isoWithOffset, type SmsDeliver } from '../drivers/modem/sms/index.js';
import type { SmsMessage } from './sms-ledger.js';

export function toSmsMessage(d: SmsDeliver, parts: number, missing: number[] | undefined, now: number): SmsMessage {
  return {
    messageId: '',
    from: d.sender.number,
    fromType: d.sender.type,
    ...(d.text !== undefined ? { text: d.text } : {}),
    ...(d.data !== undefined ? { data: Buffer.from(d.data).toString('hex') } : {}),
    encoding: d.encoding,
    timestamp: isoWithOffset(d.timestamp, d.tzOffsetMinutes),
    ...(d.smsc ? { smsc: d.smsc.number } : {}),
    ...(d.messageClass !== undefined ? { class: d.messageClass } : {}),
    parts,
    ...(missing && missing.length ? { partial: { missing } } : {}),
    ...(d.udh?.ports ? { ports: { dest: d.udh.ports.dest, src: d.udh.ports.src } } : {}),
    receivedAt: new Date(now).toISOString(),
  };
}
