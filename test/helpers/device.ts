/** A device for deploy tests: a real `vigil run` with its own directories, and bundles to send it. */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shellQuote } from '../../deploy/ssh/quote.js';
import { repoRoot, startRun, vigilArgs } from './cli.js';
import { tempDir, writeBundle } from './harness.js';

/** A task that fails when run as a smoke test by a 9.x version, and succeeds otherwise. */
export const SMOKE_AWARE = (version: string) => `export default function run(instance) {
  if (instance.triggerDetails && instance.triggerDetails.smoke && ${JSON.stringify(version)}.startsWith('9')) throw new Error('no sensor answers on the bus');
  instance.progress = 100;
}
`;

export interface Device {
  root: string;
  config: string;
  bundles: string;
  /** Stop the runtime (the device keeps its directories). */
  stop(): Promise<void>;
  /** Start the runtime again on the same directories. */
  start(): Promise<void>;
  /** Stop it and delete its directories. */
  close(): Promise<void>;
}

/** A runtime on a simulated board with its own directories: what a Pi runs as the vigil service. */
export async function startDevice(): Promise<Device> {
  const root = tempDir('vigil-device-');
  const config = join(root, 'config.json');
  writeFileSync(config, JSON.stringify({ stateDir: 'state', bundlesDir: 'bundles', policy: { cancelGraceMs: 200 }, drivers: { system: { binding: 'sim' } } }));
  mkdirSync(join(root, 'bundles'));
  let run: Awaited<ReturnType<typeof startRun>> | undefined;
  const device: Device = {
    root,
    config,
    bundles: join(root, 'bundles'),
    async stop() {
      if (!run) return;
      run.child.kill('SIGTERM');
      await run.exited;
      run = undefined;
    },
    async start() {
      run = await startRun(['--config', config]);
    },
    async close() {
      await device.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
  await device.start();
  return device;
}

/** How the device runs vigil: from this checkout, as `vigil` would be on PATH on a Pi. */
export const deviceVigil = `cd ${shellQuote([repoRoot])} && ${shellQuote([process.execPath, ...vigilArgs([])])}`;

export function source(version: string, files: Record<string, string> = {}): string {
  const src = tempDir('vigil-src-');
  return writeBundle(src, {
    name: 'door',
    version,
    tasks: [{ name: 'check', entry: 'check.js', trigger: { type: 'ApplicationTrigger', name: 'door-check' } }],
    files: { 'check.js': SMOKE_AWARE(version), ...files },
  });
}

