/**
 * The cellular modem's triggers. SMS triggers are armed with the inbox (which owns delivery and
 * its at-least-once bookkeeping); state triggers (SIM lock, radio, registration, operator, calls,
 * pass-through URCs) are raised by key with their details, and a few take a filter in their data.
 */
import * as v from 'valibot';
import type { ArmedRegistration, SourcePort, TriggerDefinition } from '../broker.js';
import type { Unsubscribe } from '../emitter.js';
import type { TriggerData } from '../trigger.js';
import { parseTriggerData } from './parse.js';

/** What SMS registrations are armed with: returns the disarm. */
export interface SmsTargets {
  add(registration: ArmedRegistration, accept?: (from: string) => boolean): Unsubscribe;
  addFilter(registration: ArmedRegistration): Unsubscribe;
}

export const NETWORK_OPERATOR_MESSAGE_TYPES = ['OperatorChanged', 'RegisteredHome', 'RegisteredRoaming', 'RegistrationLost', 'SignalLow', 'SignalRecovered'] as const;
export const PHONE_TRIGGER_TYPES = ['IncomingCallNotification', 'IncomingCallDismissed', 'CallHistoryChanged'] as const;

const smsSchema = v.strictObject({
  type: v.literal('SmsMessageReceivedTrigger'),
  /** Only messages from these senders ("+447700900123", or an alphanumeric sender); all when absent. */
  senders: v.optional(v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.minLength(1, 'at least one sender'))),
});

const plain = (type: string) => v.strictObject({ type: v.literal(type) });

const operatorSchema = v.strictObject({
  type: v.literal('NetworkOperatorNotificationTrigger'),
  /** Which notifications; all when absent. */
  messageTypes: v.optional(v.pipe(v.array(v.picklist(NETWORK_OPERATOR_MESSAGE_TYPES)), v.minLength(1, 'at least one message type'))),
});

const phoneSchema = v.strictObject({
  type: v.literal('PhoneTrigger'),
  triggerType: v.picklist(PHONE_TRIGGER_TYPES),
  oneShot: v.optional(v.boolean(), false),
});

const dataUsageSchema = v.strictObject({
  type: v.literal('NetworkOperatorDataUsageTrigger'),
  /** Fires each time this many more megabytes have crossed the cellular interface. */
  thresholdMb: v.pipe(v.number(), v.minValue(0.001), v.maxValue(1_000_000)),
});

const deviceServiceSchema = v.strictObject({
  type: v.literal('MobileBroadbandDeviceServiceNotificationTrigger'),
  /** URC names to pass ("+QIND", "^MODE", "+STIN"); all vendor and SIM-toolkit URCs when absent. */
  urcs: v.optional(v.pipe(v.array(v.pipe(v.string(), v.regex(/^[+^#$*%][A-Z0-9]+$/i, 'a URC name such as "+QIND"'))), v.minLength(1))),
});

function keyed(id: string, schema: v.GenericSchema, key: (t: TriggerData) => string = () => id, extra: Partial<TriggerDefinition> = {}): TriggerDefinition {
  return { id, parse: (data, ctx) => parseTriggerData(schema, data, ctx.field) as TriggerData, key, ...extra };
}

export function operatorKey(messageType: string): string {
  return `NetworkOperatorNotificationTrigger:${messageType}`;
}

export function phoneKey(type: (typeof PHONE_TRIGGER_TYPES)[number]): string {
  return `PhoneTrigger:${type}`;
}

export interface ModemTriggers {
  definitions: TriggerDefinition[];
  raiseOperatorNotification(messageType: (typeof NETWORK_OPERATOR_MESSAGE_TYPES)[number], details: Record<string, unknown>): number;
  raiseDeviceService(name: string, details: Record<string, unknown>): number;
}

export function modemTriggers(sms: SmsTargets, dataUsage: (registration: ArmedRegistration, port: SourcePort) => Unsubscribe): ModemTriggers {
  const operatorListeners = new Listeners<string[]>();
  const deviceServiceListeners = new Listeners<string[] | undefined>();
  const definitions: TriggerDefinition[] = [
    {
      id: 'SmsMessageReceivedTrigger',
      parse: (data, ctx) => parseTriggerData(smsSchema, data, ctx.field) as TriggerData,
      arm: (r) => {
        const senders = (r.trigger as { senders?: string[] }).senders;
        return sms.add(r, senders ? (from) => senders.includes(from) : undefined);
      },
    },
    { id: 'ChatMessageNotificationTrigger', parse: (data, ctx) => parseTriggerData(plain('ChatMessageNotificationTrigger'), data, ctx.field) as TriggerData, arm: (r) => sms.add(r) },
    { id: 'ChatMessageReceivedNotificationTrigger', parse: (data, ctx) => parseTriggerData(plain('ChatMessageReceivedNotificationTrigger'), data, ctx.field) as TriggerData, arm: (r) => sms.addFilter(r) },
    keyed('CommunicationBlockingAppSetAsActiveTrigger', plain('CommunicationBlockingAppSetAsActiveTrigger')),
    keyed('MobileBroadbandPinLockStateChangeTrigger', plain('MobileBroadbandPinLockStateChangeTrigger')),
    keyed('MobileBroadbandRadioStateChangeTrigger', plain('MobileBroadbandRadioStateChangeTrigger')),
    keyed('MobileBroadbandRegistrationStateChangeTrigger', plain('MobileBroadbandRegistrationStateChangeTrigger')),
    keyed('MobileBroadbandPcoDataChangeTrigger', plain('MobileBroadbandPcoDataChangeTrigger')),
    {
      id: 'NetworkOperatorNotificationTrigger',
      parse: (data, ctx) => parseTriggerData(operatorSchema, data, ctx.field) as TriggerData,
      // One registration listens to every type it asked for; the source raises per type.
      arm: (r, port) => {
        const wanted = (r.trigger as { messageTypes?: string[] }).messageTypes ?? [...NETWORK_OPERATOR_MESSAGE_TYPES];
        return operatorListeners.add(r.taskId, wanted, port);
      },
    },
    {
      id: 'PhoneTrigger',
      parse: (data, ctx) => parseTriggerData(phoneSchema, data, ctx.field) as TriggerData,
      key: (t) => phoneKey((t as unknown as { triggerType: (typeof PHONE_TRIGGER_TYPES)[number] }).triggerType),
      oneShot: (t) => (t as { oneShot?: boolean }).oneShot === true,
    },
    { id: 'NetworkOperatorDataUsageTrigger', parse: (data, ctx) => parseTriggerData(dataUsageSchema, data, ctx.field) as TriggerData, arm: dataUsage },
    {
      id: 'MobileBroadbandDeviceServiceNotificationTrigger',
      parse: (data, ctx) => parseTriggerData(deviceServiceSchema, data, ctx.field) as TriggerData,
      arm: (r, port) => deviceServiceListeners.add(r.taskId, (r.trigger as { urcs?: string[] }).urcs, port),
    },
  ];
  return {
    definitions,
    raiseOperatorNotification: (messageType, details) => operatorListeners.fire((types) => types.includes(messageType), { messageType, ...details }),
    raiseDeviceService: (name, details) =>
      deviceServiceListeners.fire((urcs) => urcs === undefined || urcs.some((u) => u.toUpperCase() === name.toUpperCase()), details),
  };
}

/** Registrations by what they listen to, for the triggers whose data narrows what they get. */
class Listeners<F> {
  readonly #by = new Map<string, { filter: F; port: SourcePort }>();
  add(taskId: string, filter: F, port: SourcePort): Unsubscribe {
    this.#by.set(taskId, { filter, port });
    return () => this.#by.delete(taskId);
  }
  fire(match: (filter: F) => boolean, details: unknown): number {
    let n = 0;
    for (const [taskId, { filter, port }] of this.#by) {
      if (!match(filter)) continue;
      port.fire(taskId, details);
      n++;
    }
    return n;
  }
}
