/**
 * ApplicationTrigger: fired on request — `vigil trigger NAME --arg k=v`, the control socket, or
 * another task — with its arguments as trigger details. NAME is the trigger's `name`, or the
 * task's name when the trigger has none.
 */
import * as v from 'valibot';
import type { TriggerDefinition } from '../broker.js';
import type { ApplicationTriggerData } from '../trigger.js';
import { parseTriggerData } from './parse.js';

const schema = v.strictObject({
  type: v.literal('ApplicationTrigger'),
  name: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(128))),
});

export function applicationTriggerKey(name: string): string {
  return `ApplicationTrigger:${name}`;
}

export const applicationTrigger: TriggerDefinition = {
  id: 'ApplicationTrigger',
  longRunning: true,
  parse: (data, ctx) => parseTriggerData(schema, data, ctx.field),
  // The name is filled in from the task name when the registration is made.
  key: (t) => applicationTriggerKey((t as ApplicationTriggerData).name ?? ''),
};
