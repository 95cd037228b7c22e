/** What trigger tests share: tasks that record their trigger details, and waiting for a condition. */
import { existsSync, readFileSync } from 'node:fs';
import { tick } from './harness.js';

/** A task module that appends {task, details} to `out`, one JSON line per run. */
export const recorder = (out: string) => `import { appendFileSync } from 'node:fs';
export default function run(instance) { appendFileSync(${JSON.stringify(out)}, JSON.stringify({ task: instance.task.name, details: instance.triggerDetails }) + '\\n'); }`;

export function recorded(out: string, task?: string): Record<string, any>[] {
  if (!existsSync(out)) return [];
  return readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { task: string; details: Record<string, unknown> })
    .filter((r) => task === undefined || r.task === task)
    .map((r) => r.details);
}

export async function until(what: string, check: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await tick(20);
  }
}
