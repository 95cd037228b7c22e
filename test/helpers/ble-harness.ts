/**
 * A runtime on the simulated Bluetooth radio with one bundle whose tasks record their details
 * (`rec.js`, appending to `out`); `files` may be made from `out` for tasks that record more.
 */
import { join } from 'node:path';
import type { SimRadio } from '../../drivers/ble/sim/radio.js';
import { startHarness, tempDir, type BundleSpec, type Harness, type HarnessOptions } from './harness.js';
import { recorder } from './recorder.js';

export async function startBleHarness(ble: Record<string, unknown>, bundle: Omit<BundleSpec, 'files'> & { files?: BundleSpec['files'] | ((out: string) => BundleSpec['files']) }, options: HarnessOptions = {}): Promise<{ h: Harness; out: string; radio: SimRadio }> {
  const root = tempDir();
  const out = join(root, 'details.jsonl');
  const h = await startHarness({
    ...options,
    root,
    config: { drivers: { ble: { binding: 'sim', ...ble } } },
    bundles: [{ ...bundle, files: { 'rec.js': recorder(out), ...(typeof bundle.files === 'function' ? bundle.files(out) : bundle.files) } }],
  });
  return { h, out, radio: h.board.sim!.radio! };
}
