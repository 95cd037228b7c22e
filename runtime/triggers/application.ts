/**
 * ApplicationTrigger: fired on request — `vigil trigger NAME --arg k=v`, the control socket, or
 * another task — with its arguments as trigger details. NAME is the trigger's `name`, or the
 * task's name when the trigger has none.
 */
import { z } from 'zod';
import type { TriggerDefinition } from '../broker.js';
import type { ApplicationTriggerData } from '../trigger.js';
import { parseTriggerData } from './parse.js';

const schema = z.strictObject({
  type: z.literal('ApplicationTrigger'),
  name: z.string().min(1).max(128).optional(),
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
