/** The shape of a clear error, and the assertion that an error has it. */
import assert from 'node:assert/strict';

/** What every clear error must say: the bad value (or the missing thing), the field, what was expected. */
export interface Clear {
  code: string;
  /** Substrings the message must contain: the bad value as quoted, or the name of what is missing. */
  quotes: string[];
  /** The field, as the message should name it ("tasks[0].memoryMb"). */
  field?: string;
  expected: RegExp;
}

export function assertClear(err: { code: string; message: string }, c: Clear, what: string): void {
  assert.equal(err.code, c.code, `${what}: code (message: ${err.message})`);
  for (const q of c.quotes) assert.ok(err.message.includes(q), `${what}: the message should quote ${q}: ${err.message}`);
  assert.match(err.message, c.expected, `${what}: the message should say what was expected`);
  if (c.field !== undefined) assert.ok(err.message.includes(c.field), `${what}: the message should name the field ${c.field}: ${err.message}`);
}
