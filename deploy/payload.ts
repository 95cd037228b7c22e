/**
 * What `vigil deploy` sends: a bundle archive, built here from a directory or read from a file,
 * and verified before any device is contacted, so a broken bundle fails once, not fifty times.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { buildBundle, readBundle } from './bundle.js';
import type { Payload } from './deploy-host.js';
import { DeployError } from './device/errors.js';
import { errorMessage } from '../runtime/errors.js';

export function loadPayload(path: string): Payload {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    throw new DeployError('BUNDLE_NOT_FOUND', `cannot read bundle ${path}: ${errorMessage(err)}; expected a bundle directory or a .vigil.tgz from \`vigil bundle\``);
  }
  if (isDir) {
    // Built here: checked as the runtime will check it, entries parsed, sums made.
    const built = buildBundle(path);
    return { archive: built.archive, sha256: built.sha256, name: built.manifest.name, version: built.manifest.version };
  }
  const archive = readFileSync(path);
  // Read back and verified once here, so a damaged file fails before any device is contacted.
  const { manifest } = readBundle(archive);
  return { archive, sha256: createHash('sha256').update(archive).digest('hex'), name: manifest.name, version: manifest.version };
}
