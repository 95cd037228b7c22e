/**
 * A deploy handed straight to the running runtime (the `bundle.apply` control method, reached
 * over SSH through the control socket): the same staging, checks, switch and health check as
 * `vigil apply`, without starting a Node.js process on the device for it. The archive arrives as
 * the request's payload; a connection cut before it is whole never gets here.
 */
import { rmSync } from 'node:fs';
import { VigilError } from '../../runtime/errors.js';
import type { Runtime } from '../../runtime/runtime.js';
import { applyArchive, type ApplyResult, type ApplyOptions } from './apply.js';
import { DeviceLayout } from './layout.js';
import { inProcessLink } from './runtime-link.js';
import { stage } from './staging.js';

export async function applyUpload(runtime: Runtime, params: Record<string, unknown>): Promise<ApplyResult> {
  const payload = params.payload;
  if (!Buffer.isBuffer(payload)) throw new VigilError('BAD_REQUEST', '"bundle.apply" needs the archive as the payload after the request line ("bytes": its length)');
  const sha256 = params.sha256;
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(sha256)) throw new VigilError('BAD_REQUEST', `"sha256" is ${JSON.stringify(sha256)}: expected the archive's sha256 in hex`);
  const keep = params.keep ?? 3;
  if (typeof keep !== 'number' || !Number.isInteger(keep) || keep < 2 || keep > 100) throw new VigilError('BAD_REQUEST', `"keep" is ${JSON.stringify(keep)}: expected a whole number from 2 to 100`);
  const timeoutMs = typeof params.timeoutMs === 'number' && params.timeoutMs > 0 ? params.timeoutMs : 60_000;
  const options: ApplyOptions = { layout: new DeviceLayout(runtime.config.bundlesDir), link: inProcessLink(runtime), keep, timeoutMs };
  if (typeof params.smoke === 'string') options.smoke = params.smoke;
  const staged = await stage([payload], options.layout);
  try {
    return await applyArchive(staged.data, sha256, options);
  } finally {
    rmSync(staged.file, { force: true });
  }
}
