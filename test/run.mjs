#!/usr/bin/env node
// Runs the test suite: every test/**/*.test.ts under node:test with tsx as the loader.
// test/lab (real kernel under QEMU) and test/bench (npm run bench) are run by their own commands.
// Usage: node test/run.mjs [FILTER…]   — only files whose path contains one of the filters.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const testDir = join(root, 'test');
const excluded = new Set(['lab', 'bench', 'fixtures']);

function collect(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!excluded.has(entry.name)) out.push(...collect(join(dir, entry.name)));
    } else if (entry.name.endsWith('.test.ts')) {
      out.push(join(dir, entry.name));
    }
  }
  return out;
}

const filters = process.argv.slice(2);
const files = collect(testDir)
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ') || '(all)'}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, FORCE_COLOR: process.stdout.isTTY ? '1' : '0' },
});
process.exit(result.status ?? 1);
