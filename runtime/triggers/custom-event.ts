/**
 * CustomSystemEventTrigger: named device events — GPIO line edges declared in config,
 * `vigil emit ID`, scripted events of the simulated board, and tasks with the events.emit
 * capability. Recurrence Once fires a single time, ever; Always fires on every event.
 */
import * as v from 'valibot';
import type { TriggerDefinition } from '../broker.js';
import { EVENT_ID, type CustomSystemEventTriggerData } from '../trigger.js';
import { parseTriggerData } from './parse.js';

export { EVENT_ID };

const schema = v.strictObject({
  type: v.literal('CustomSystemEventTrigger'),
  triggerId: v.pipe(v.string(), v.regex(EVENT_ID, 'an event id such as "door.opened" (letters, digits, . _ : -)')),
  recurrence: v.optional(v.picklist(['Once', 'Always']), 'Always'),
});

export function customEventKey(id: string): string {
  return `CustomSystemEventTrigger:${id}`;
}

export const customSystemEventTrigger: TriggerDefinition = {
  id: 'CustomSystemEventTrigger',
  parse: (data, ctx) => parseTriggerData(schema, data, ctx.field),
  key: (t) => customEventKey((t as CustomSystemEventTriggerData).triggerId),
  oneShot: (t) => (t as CustomSystemEventTriggerData).recurrence === 'Once',
};
