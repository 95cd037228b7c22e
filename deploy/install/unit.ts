/**
 * The systemd unit as installed: deploy/vigil.service with its two placeholders, @NODE@ and
 * @VIGIL@, replaced by absolute paths. Everything else stays as shipped, so the installed file
 * reads like the one in the package.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { packageRoot } from '../../runtime/paths.js';
import { InstallError } from './errors.js';

export const NODE_PLACEHOLDER = '@NODE@';
export const VIGIL_PLACEHOLDER = '@VIGIL@';

export function unitTemplatePath(): string {
  return join(packageRoot(), 'deploy', 'vigil.service');
}

export function polkitRulePath(): string {
  return join(packageRoot(), 'deploy', '50-vigil-networkmanager.rules');
}

export interface UnitPaths {
  /** The node binary. */
  node: string;
  /** vigil's compiled entry script (dist/bin/vigil.js). */
  vigil: string;
}

/**
 * Directories the service cannot see: ProtectHome= hides the first three, PrivateTmp= gives it
 * its own /tmp and /var/tmp. node or vigil under one of them (nvm, a checkout in ~) would make
 * every start fail with 203/EXEC or "cannot find module".
 */
const HIDDEN = ['/home', '/root', '/run/user', '/tmp', '/var/tmp'];

/**
 * A path systemd will run: absolute, visible to the service, and in characters that need no
 * quoting in ExecStart= (where spaces split words, % starts a specifier and $ a variable).
 */
export function checkServicePath(path: string, what: string): void {
  if (!isAbsolute(path)) {
    throw new InstallError('INSTALL_PATH_INVALID', `${what} ${JSON.stringify(path)} is not an absolute path: expected one starting with /`);
  }
  if (!/^[A-Za-z0-9_@+=:,./-]+$/.test(path)) {
    throw new InstallError('INSTALL_PATH_INVALID', `${what} ${JSON.stringify(path)} has characters systemd would read specially (spaces, %, $, quotes …): expected letters, digits and _@+=:,./- only`);
  }
  const hidden = HIDDEN.find((dir) => path === dir || path.startsWith(`${dir}/`));
  if (hidden) {
    throw new InstallError(
      'INSTALL_PATH_HIDDEN',
      `${what} ${path} is under ${hidden}, which the service cannot see (ProtectHome=yes, PrivateTmp=yes): install it system-wide (node from apt or NodeSource in /usr/bin, vigil with npm install --global)`,
    );
  }
}

export function renderUnit(paths: UnitPaths, template = readFileSync(unitTemplatePath(), 'utf8')): string {
  checkServicePath(paths.node, 'node');
  checkServicePath(paths.vigil, 'the vigil script');
  // Settings only: the header comment names the placeholders and keeps naming them.
  const lines = template.split('\n');
  const settings = lines.filter((line) => !/^\s*[#;]/.test(line)).join('\n');
  for (const placeholder of [NODE_PLACEHOLDER, VIGIL_PLACEHOLDER]) {
    if (!settings.includes(placeholder)) throw new InstallError('INSTALL_UNIT_TEMPLATE', `the unit template has no ${placeholder}: expected deploy/vigil.service as shipped`);
  }
  return lines
    .map((line) => (/^\s*[#;]/.test(line) ? line : line.replaceAll(NODE_PLACEHOLDER, paths.node).replaceAll(VIGIL_PLACEHOLDER, paths.vigil)))
    .join('\n');
}
