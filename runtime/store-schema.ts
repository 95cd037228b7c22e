/**
 * The store's shape, checked when it is read (strict about the containers, lenient inside
 * records), and the migrations that carry an older schema version forward.
 */
import * as v from 'valibot';
import type { Validation } from './durable-file.js';
import { StoreError, errorMessage } from './errors.js';
import { describeIssue, keyed } from './schema-errors.js';
import type { StoreData } from './store-types.js';

/** Upgrades store data by one schema version; `schemaVersion` is set by the caller. */
export type Migration = (data: Record<string, unknown>) => Record<string, unknown>;

/** Keyed by the version a migration upgrades *from* (entry 1 turns version 1 into 2). */
export type MigrationTable = Readonly<Record<number, Migration>>;

/** The migrations this build knows. Empty while there has only been one schema version. */
export const migrations: MigrationTable = {};

const looseRecord = v.looseObject({});
// Strict about the containers, lenient inside records: a field added by a newer minor version
// must not make the file "corrupt"; only what identifies a registration is required.
const storeSchema = v.looseObject({
  schemaVersion: v.pipe(v.number(), v.integer(), v.minValue(1)),
  registrations: keyed(v.looseObject({ taskId: v.string(), name: v.string(), trigger: v.looseObject({ type: v.string() }) })),
  groups: keyed(looseRecord),
  triggerState: keyed(looseRecord),
  throttle: keyed(looseRecord),
  runs: keyed(v.array(looseRecord)),
  access: keyed(looseRecord),
});

/** Runs the migrations from `data.schemaVersion` up to `target`, then checks the result. */
export function migrateStore(
  data: Record<string, unknown>,
  table: MigrationTable,
  target: number,
  fileName = 'store.json',
): StoreData {
  let version = data.schemaVersion as number;
  let current = data;
  while (version < target) {
    const step = table[version];
    if (!step) {
      throw new StoreError(
        'STORE_MIGRATION_FAILED',
        `${fileName} has schema version ${version}, and this vigil has no migration from ${version} to ${version + 1}`,
      );
    }
    try {
      current = { ...step(current), schemaVersion: version + 1 };
    } catch (err) {
      throw new StoreError(
        'STORE_MIGRATION_FAILED',
        `migrating ${fileName} from schema version ${version} to ${version + 1} failed: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    version += 1;
  }
  const checked = v.safeParse(storeSchema, current);
  if (!checked.success) {
    throw new StoreError(
      'STORE_MIGRATION_FAILED',
      `${fileName} migrated to schema version ${target} does not match the store schema (${describeIssues(checked.issues)})`,
    );
  }
  return current as unknown as StoreData;
}

/**
 * The validator DurableFile applies to parsed JSON. A newer schema throws (it is not corruption,
 * and falling back to an older backup would silently lose data); an older one is only checked
 * for its envelope here, since its shape is the one its own version defined.
 */
export function checkStore(value: unknown, version: number, fileName: string): Validation<StoreData> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: `is not a JSON object (found ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value})` };
  }
  const found = (value as { schemaVersion?: unknown }).schemaVersion;
  if (typeof found !== 'number' || !Number.isInteger(found) || found < 1) {
    return { ok: false, problem: `has no valid schemaVersion (found ${JSON.stringify(found) ?? 'none'}; expected a positive integer)` };
  }
  if (found > version) {
    throw new StoreError(
      'STORE_TOO_NEW',
      `${fileName} has schema version ${found}, newer than version ${version} that this vigil understands; ` +
        `upgrade vigil, or restore a store written by this version`,
    );
  }
  if (found < version) return { ok: true, data: value as StoreData };
  const checked = v.safeParse(storeSchema, value);
  if (!checked.success) return { ok: false, problem: `does not match the store schema (${describeIssues(checked.issues)})` };
  return { ok: true, data: value as StoreData };
}

/** The first issues on one line: "registrations.t1.name is missing: expected string". */
function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  const shown = issues.slice(0, 3).map((issue) => describeIssue(issue, '', storeSchema).text);
  const more = issues.length - shown.length;
  return shown.join('; ') + (more > 0 ? `; and ${more} more` : '');
}
