/** Trigger data checked against a schema, with errors that name the field the way manifests do. */
import type { z } from 'zod';
import { RegistrationError } from '../errors.js';
import { describeIssue } from '../schema-errors.js';

export function parseTriggerData<S extends z.ZodType>(schema: S, data: unknown, field: string): z.output<S> {
  const result = schema.safeParse(data, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new RegistrationError('TRIGGER_INVALID', describeIssue(issue, field).text);
}
