/**
 * CustomSystemEventTrigger: named device events — GPIO line edges declared in config,
 * `vigil emit ID`, scripted events of the simulated board, and tasks with the events.emit
 * capability. Recurrence Once fires a single time, ever; Always fires on every event.
 */
import { z } from 'zod';
import type { TriggerDefinition } from '../broker.js';
import type { CustomSystemEventTriggerData } from '../trigger.js';
import { parseTriggerData } from './parse.js';

/** Event ids are dotted names ("door.opened"): they appear in CLIs, logs and capability names. */
export const EVENT_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

const schema = z.strictObject({
  type: z.literal('CustomSystemEventTrigger'),
  triggerId: z.string().regex(EVENT_ID, 'expected an event id such as "door.opened" (letters, digits, . _ : -)'),
  recurrence: z.enum(['Once', 'Always']).default('Always'),
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
