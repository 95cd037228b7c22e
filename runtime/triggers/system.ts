/**
 * SystemTrigger: one seed type with many kinds, each served by whichever part of the device
 * knows about it. The core serves TimeZoneChange, BackgroundWorkCostChange, ServicingComplete
 * and SessionConnected; drivers define the others ("SystemTrigger:SmsReceived", …).
 */
import * as v from 'valibot';
import type { TriggerDefinition } from '../broker.js';
import { SystemTriggerType } from '../enums.js';
import type { SystemTriggerData, TriggerData } from '../trigger.js';
import { parseTriggerData } from './parse.js';

const schema = v.strictObject({
  type: v.literal('SystemTrigger'),
  triggerType: v.picklist(SystemTriggerType.all),
  oneShot: v.optional(v.boolean(), false),
});

export function parseSystemTrigger(data: Record<string, unknown>, ctx: { field: string }): SystemTriggerData {
  return parseTriggerData(schema, data, ctx.field);
}

/** The key a SystemTrigger kind is raised with. */
export function systemTriggerKey(triggerType: SystemTriggerType): string {
  return `SystemTrigger:${triggerType}`;
}

/** A definition for one SystemTrigger kind; sources raise `systemTriggerKey(kind)`. */
export function systemTriggerDefinition(triggerType: SystemTriggerType, extra?: Partial<TriggerDefinition>): TriggerDefinition {
  return {
    id: systemTriggerKey(triggerType),
    key: () => systemTriggerKey(triggerType),
    oneShot: (t: TriggerData) => (t as SystemTriggerData).oneShot,
    ...extra,
  };
}
