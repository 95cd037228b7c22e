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
  let archive: Buffer;
  if (isDir) archive = buildBundle(path).archive;
  else {
    archive = readFileSync(path);
    readBundle(archive);
  }
  const { manifest } = readBundle(archive);
  return { archive, sha256: createHash('sha256').update(archive).digest('hex'), name: manifest.name, version: manifest.version };
}
