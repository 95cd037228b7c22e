/** Starting one task worker thread, from the compiled entry or (tests, development) from sources. */
import { Worker } from 'node:worker_threads';

const entryUrl = new URL(`./worker-entry${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export function spawnWorker(heapCapMb: number): Worker {
  const options = {
    resourceLimits: { maxOldGenerationSizeMb: heapCapMb, maxYoungGenerationSizeMb: Math.min(16, Math.max(4, heapCapMb >> 3)) },
    stdout: true,
    stderr: true,
    execArgv: [] as string[],
  };
  if (entryUrl.pathname.endsWith('.ts')) {
    // Running from sources: workers do not inherit --import hooks on Node 20, so the
    // TypeScript loader is registered inside the worker before the entry is imported.
    const tsx = import.meta.resolve('tsx/esm/api');
    const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entryUrl.href)}); })`;
    return new Worker(code, { ...options, eval: true });
  }
  return new Worker(entryUrl, options);
}
