/**
 * A bundle's manifest.json: the bundle's name and version and its tasks (entry, trigger,
 * conditions, isolation, budgets, capabilities). The shape is checked here; triggers,
 * conditions and capabilities are checked by the registry exactly as register() checks them,
 * so a manifest and the builder cannot disagree.
 */
import { readFileSync, statSync } from 'node:fs';
import { extname, isAbsolute, join, normalize, sep } from 'node:path';
import * as v from 'valibot';
import { ManifestError, errorMessage } from './errors.js';
import { check, describeIssue } from './schema-errors.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const TASK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const VERSION = /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/;

const taskSchema = v.strictObject({
  name: v.pipe(v.string(), v.regex(TASK_NAME, 'letters, digits, "_", "." or "-" (at most 128)')),
  description: v.optional(v.string()),
  entry: v.pipe(v.string(), v.minLength(1)),
  export: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z_$][\w$]*$/, 'a JavaScript export name')), 'default'),
  trigger: v.looseObject({ type: v.string() }),
  conditions: v.optional(v.array(v.union([v.string(), v.looseObject({})])), []),
  cancelOnConditionLoss: v.optional(v.boolean(), false),
  isNetworkRequested: v.optional(v.boolean(), false),
  group: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(64))),
  isolation: v.optional(v.picklist(['worker', 'inprocess']), 'worker'),
  memoryMb: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(4096))),
  timeoutSec: v.optional(v.pipe(v.number(), v.gtValue(0), v.maxValue(86_400))),
  capabilities: v.optional(v.array(v.string()), []),
});

export const manifestSchema = v.strictObject({
  $schema: v.optional(v.string()),
  name: v.pipe(v.string(), v.regex(NAME, 'lower-case letters, digits, ".", "_" or "-" (at most 64), starting with a letter or digit')),
  version: v.pipe(v.string(), v.regex(VERSION, 'a version such as "1.0.0"')),
  description: v.optional(v.string()),
  tasks: v.pipe(v.array(taskSchema), v.minLength(1)),
});

export type Manifest = v.InferOutput<typeof manifestSchema>;
export type ManifestTask = v.InferOutput<typeof taskSchema>;

const JS_EXTENSIONS = new Set(['.js', '.mjs', '.cjs']);

/** Read and check `dir/manifest.json`. `expectedName` is the bundle's directory name. */
export function loadManifest(dir: string, expectedName?: string): Manifest {
  const file = join(dir, 'manifest.json');
  const bundle = expectedName;
  const fail = (message: string, field?: string, code?: string): never => {
    throw new ManifestError(`${file}: ${message}`, { ...(field ? { field } : {}), ...(bundle ? { bundle } : {}), ...(code ? { code } : {}) });
  };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(code === 'ENOENT' ? 'missing: a bundle directory needs a manifest.json' : `cannot be read: ${errorMessage(err)}`, undefined, 'MANIFEST_UNREADABLE');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return fail(`is not valid JSON: ${errorMessage(err)}`, undefined, 'MANIFEST_NOT_JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail(`must be a JSON object, got ${Array.isArray(raw) ? 'an array' : JSON.stringify(raw)}`);
  const parsed = check(manifestSchema, raw);
  if (!parsed.ok) {
    const { field, text: why } = describeIssue(parsed.issue, '', manifestSchema);
    return fail(why, field);
  }
  const manifest = parsed.value;
  if (expectedName !== undefined && manifest.name !== expectedName) {
    fail(`name is "${manifest.name}" but the bundle's directory is "${expectedName}": expected them to match`, 'name');
  }
  const seen = new Set<string>();
  manifest.tasks.forEach((task, i) => {
    if (seen.has(task.name)) fail(`tasks[${i}].name "${task.name}" is used by an earlier task: expected task names to be unique in a bundle`, `tasks[${i}].name`);
    seen.add(task.name);
    checkEntry(dir, task.entry, `tasks[${i}].entry`, fail);
  });
  return manifest;
}

function checkEntry(dir: string, entry: string, field: string, fail: (message: string, field?: string) => never): void {
  const normal = normalize(entry);
  if (isAbsolute(entry) || normal === '..' || normal.startsWith(`..${sep}`)) {
    fail(`${field} is ${JSON.stringify(entry)}: expected a path inside the bundle`, field);
  }
  if (!JS_EXTENSIONS.has(extname(entry))) {
    fail(`${field} is ${JSON.stringify(entry)}: expected compiled JavaScript (.js, .mjs or .cjs)`, field);
  }
  let isFile = false;
  try {
    isFile = statSync(join(dir, normal)).isFile();
  } catch {
    fail(`${field} is ${JSON.stringify(entry)}, which does not exist in the bundle`, field);
  }
  if (!isFile) fail(`${field} is ${JSON.stringify(entry)}, which is not a file`, field);
}
