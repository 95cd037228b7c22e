/** Trigger data checked against a schema, with errors that name the field the way manifests do. */
import type * as v from 'valibot';
import { RegistrationError } from '../errors.js';
import { check, describeIssue } from '../schema-errors.js';

export function parseTriggerData<S extends v.GenericSchema>(schema: S, data: unknown, field: string): v.InferOutput<S> {
  const result = check(schema, data);
  if (result.ok) return result.value;
  throw new RegistrationError('TRIGGER_INVALID', describeIssue(result.issue, field, schema).text);
}
