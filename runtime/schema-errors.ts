/**
 * Turns a schema library's issue into the sentence a user needs: which field, what value it had,
 * what was expected. Shared by the config and manifest loaders so both speak the same way.
 */
import type { z } from 'zod';

export function issuePath(path: readonly PropertyKey[], root = ''): string {
  let out = root;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(top level)';
}

export function quote(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** "tasks[0].timeoutSec is -5: expected a number > 0" */
export function describeIssue(issue: z.core.$ZodIssue, root = ''): { field: string; text: string } {
  const field = issuePath(issue.path, root);
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const keys = issue.keys.map((k) => `"${k}"`).join(', ');
      const where = issue.path.length ? ` in ${field}` : '';
      return { field: issuePath([...issue.path, issue.keys[0] ?? ''], root), text: `unknown field ${keys}${where}: check the spelling` };
    }
    case 'invalid_type':
      if (input === undefined) return { field, text: `${field} is missing: expected ${issue.expected}` };
      return { field, text: `${field} is ${quote(input)}: expected ${issue.expected}` };
    case 'invalid_value':
      return { field, text: `${field} is ${quote(input)}: expected one of ${issue.values.map((v) => quote(v)).join(', ')}` };
    case 'too_small':
    case 'too_big': {
      const cmp = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const what = issue.origin === 'array' ? 'entries' : issue.origin === 'string' ? 'characters' : '';
      return { field, text: `${field} is ${quote(input)}: expected ${what ? `${what} ${cmp} ${String(bound)}` : `a number ${cmp} ${String(bound)}`}` };
    }
    default:
      return { field, text: `${field} is ${quote(input)}: ${issue.message}` };
  }
}
