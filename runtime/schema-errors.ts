/**
 * Turns a schema library's issue into the sentence a user needs: which field, what value it had,
 * what was expected. Shared by the config, manifest and trigger loaders so all speak the same way.
 */
import * as v from 'valibot';

export type Issue = v.BaseIssue<unknown>;

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

function keysOf(issue: Issue): PropertyKey[] {
  return (issue.path ?? []).map((item) => item.key as PropertyKey);
}

/** `("a" | "b")` → `one of "a", "b"`; `>=1` → `a number >= 1`. */
function expectedText(issue: Issue): string {
  const expected = issue.expected ?? '';
  switch (issue.type) {
    case 'picklist':
    case 'enum':
    case 'literal':
      return expected.includes('|') ? `one of ${expected.replace(/^\(|\)$/g, '').split(' | ').join(', ')}` : expected;
    case 'min_value':
    case 'max_value':
    case 'gt_value':
    case 'lt_value':
      return `a number ${expected.replace(/^(>=|<=|>|<)/, '$1 ')}`;
    case 'integer':
      return 'a whole number';
    case 'min_length':
    case 'max_length':
      return `${Array.isArray(issue.input) ? 'entries' : 'characters'} ${expected.replace(/^(>=|<=)/, '$1 ')}`;
    case 'regex':
    case 'custom':
    case 'check':
      // These checks carry their own message saying what was expected.
      return issue.message;
    default:
      return expected === 'Object' ? 'an object' : expected === 'Array' ? 'an array' : expected;
  }
}

/** What the schema at `path` inside `schema` expects ("string", "Array", …), to say what a missing field should be. */
interface SchemaNode {
  kind?: string;
  expects?: string;
  entries?: Record<string, unknown>;
  item?: unknown;
  value?: unknown;
  wrapped?: unknown;
  pipe?: SchemaNode[];
}

/** Past optional() wrappers, and from a pipe to the last schema in it (the record after a check). */
function unwrap(node: SchemaNode | undefined): SchemaNode | undefined {
  let at = node;
  for (;;) {
    if (at?.wrapped) at = at.wrapped as SchemaNode;
    else if (at?.pipe) at = [...at.pipe].reverse().find((p) => p.kind === 'schema' && p !== at);
    else return at;
  }
}

function expectsAt(schema: unknown, path: PropertyKey[]): string | undefined {
  let at = schema as SchemaNode | undefined;
  for (const key of path) {
    at = unwrap(at);
    at = (typeof key === 'number' ? at?.item : (at?.entries?.[String(key)] ?? at?.value)) as SchemaNode | undefined;
  }
  const expects = unwrap(at)?.expects;
  return expects === 'Object' ? 'an object' : expects === 'Array' ? 'an array' : expects;
}

/** "tasks[0].timeoutSec is -5: expected a number > 0"; `schema` lets a missing field say what it should be. */
export function describeIssue(issue: Issue, root = '', schema?: unknown): { field: string; text: string } {
  const path = keysOf(issue);
  const field = issuePath(path, root);
  if ((issue.type === 'strict_object' || issue.type === 'object' || issue.type === 'loose_object') && issue.kind === 'schema') {
    if (issue.expected === 'never') {
      // An unknown key: the path ends with it.
      const where = path.length > 1 || root ? ` in ${issuePath(path.slice(0, -1), root)}` : '';
      return { field, text: `unknown field ${quote(issue.input)}${where}: check the spelling` };
    }
    if (issue.received === 'undefined' && path.length > 0) {
      return { field, text: `${field} is missing: expected ${expectsAt(schema, path) ?? 'it to be set'}` };
    }
  }
  if (issue.input === undefined && issue.kind === 'schema') return { field, text: `${field} is missing: expected ${expectedText(issue)}` };
  return { field, text: `${field} is ${quote(issue.input)}: expected ${expectedText(issue)}` };
}

/** Parse or describe the first problem. */
export function check<S extends v.GenericSchema>(schema: S, input: unknown): { ok: true; value: v.InferOutput<S> } | { ok: false; issue: Issue; count: number } {
  const result = v.safeParse(schema, input);
  if (result.success) return { ok: true, value: result.output };
  return { ok: false, issue: result.issues[0] as Issue, count: result.issues.length };
}

/** A JSON object keyed by name or id. (A record schema alone would also accept an array.) */
export function keyed<S extends v.GenericSchema>(item: S) {
  return v.pipe(
    v.custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), 'an object keyed by name, not an array'),
    v.record(v.string(), item),
  );
}
