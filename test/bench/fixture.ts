/** The bundles and configuration the benchmarks run against, written to a temporary directory. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const taskCode = `
function nowMs() { const [s, ns] = process.hrtime(); return s * 1000 + ns / 1e6; }
export function inproc(instance) { globalThis.benchLatency?.push(nowMs() - instance.triggerDetails.t0); }
export async function isolated(instance) { await instance.call('bench.record', nowMs() - instance.triggerDetails.t0); }
export function noop() {}
`;

export interface BenchFixture {
  root: string;
  configFile: string;
}

/** `extraTasks` idle registrations are added (the RSS measurement wants 100 of them). */
export function writeFixture(options: { extraTasks?: number; warm?: number; keepWarmSec?: number } = {}): BenchFixture {
  const root = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  const bundle = join(root, 'bundles', 'bench');
  mkdirSync(bundle, { recursive: true });
  writeFileSync(join(bundle, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(bundle, 'tasks.js'), taskCode);
  // The same task in a second module: alternating the two keeps any worker from being reused,
  // so every run lands on a fresh warm worker.
  writeFileSync(join(bundle, 'tasks2.js'), taskCode);
  const tasks: Record<string, unknown>[] = [
    { name: 'inproc', entry: 'tasks.js', export: 'inproc', isolation: 'inprocess', trigger: { type: 'CustomSystemEventTrigger', triggerId: 'bench.inproc' } },
    { name: 'isolated', entry: 'tasks.js', export: 'isolated', trigger: { type: 'CustomSystemEventTrigger', triggerId: 'bench.isolated' }, capabilities: ['bench.record'] },
    { name: 'isolated2', entry: 'tasks2.js', export: 'isolated', trigger: { type: 'CustomSystemEventTrigger', triggerId: 'bench.isolated2' }, capabilities: ['bench.record'] },
    { name: 'noop', entry: 'tasks.js', export: 'noop', isolation: 'inprocess', trigger: { type: 'CustomSystemEventTrigger', triggerId: 'bench.noop' } },
  ];
  for (let i = 0; i < (options.extraTasks ?? 0); i++) {
    // A realistic mix: periodic jobs, device events, requests on demand.
    const trigger =
      i % 3 === 0
        ? { type: 'TimeTrigger', freshnessTime: 15 + (i % 45) }
        : i % 3 === 1
          ? { type: 'CustomSystemEventTrigger', triggerId: `idle.${i}` }
          : { type: 'ApplicationTrigger', name: `idle-${i}` };
    tasks.push({ name: `idle-${i}`, entry: 'tasks.js', export: 'noop', trigger, conditions: i % 4 === 0 ? ['InternetAvailable'] : [] });
  }
  writeFileSync(join(bundle, 'manifest.json'), JSON.stringify({ name: 'bench', version: '1.0.0', tasks }, null, 2));
  const configFile = join(root, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      stateDir: 'state',
      bundlesDir: 'bundles',
      drivers: { system: { binding: 'sim' } },
      policy: { pool: { warm: options.warm ?? 1, maxWorkers: 4, ...(options.keepWarmSec !== undefined ? { keepWarmSec: options.keepWarmSec } : {}) }, maxQueued: 100_000 },
      logging: { level: 'info' },
    }),
  );
  return { root, configFile };
}
