/**
 * JSON Schemas of the device configuration and of bundle manifests, generated from the schemas
 * the runtime validates with, so editors can check and complete the files users write.
 * `npm run schema` writes them into config/; a test checks the committed ones are current.
 */
import { toJsonSchema } from '@valibot/to-json-schema';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSchema } from '../../runtime/config.js';
import { manifestSchema } from '../../runtime/manifest.js';

export const schemaFiles = {
  'config/schema.json': { schema: configSchema, title: 'vigil device configuration' },
  'config/manifest.schema.json': { schema: manifestSchema, title: 'vigil bundle manifest' },
} as const;

type Config = NonNullable<Parameters<typeof toJsonSchema>[1]>;

const config: Config = {
  typeMode: 'input',
  errorMode: 'ignore',
  // keyed() is a check (not an array) followed by a record; JSON Schema says the same with the
  // record alone, since an object type already excludes arrays there.
  // The converter hands a pipe over as its first item, so keyed() is recognised where it is
  // wrapped (as optional(keyed(…), default)).
  overrideSchema: (context) => {
    const outer = context.valibotSchema as { type: string; wrapped?: { pipe?: { type?: string }[] }; default?: unknown };
    const pipe = outer.type === 'optional' ? outer.wrapped?.pipe : undefined;
    const record = pipe?.find((item) => item.type === 'record');
    if (pipe?.[0]?.type !== 'custom' || !record) return undefined;
    const { $schema: _drop, ...rest } = toJsonSchema(record as Parameters<typeof toJsonSchema>[0], config);
    return outer.default === undefined ? rest : { ...rest, default: outer.default as never };
  },
};

export function renderSchema(file: keyof typeof schemaFiles): string {
  const { schema, title } = schemaFiles[file];
  return `${JSON.stringify({ title, ...toJsonSchema(schema, config) }, null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  for (const file of Object.keys(schemaFiles) as (keyof typeof schemaFiles)[]) {
    writeFileSync(join(root, file), renderSchema(file));
    process.stdout.write(`wrote ${file}\n`);
  }
}
