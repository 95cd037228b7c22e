/**
 * What must hold before `vigil install` changes anything: root (on a live system), systemd
 * running, a node new enough, and node and vigil where the service can run them.
 */
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../runtime/paths.js';
import { InstallError } from './errors.js';
import { mustRun, type CommandRunner } from './runner.js';
import { checkServicePath } from './unit.js';

/** Where npm install --global puts vigil: NodeSource's prefix (/usr), then Debian's npm (/usr/local). */
export const GLOBAL_ENTRIES = ['/usr/lib/node_modules/vigil/dist/bin/vigil.js', '/usr/local/lib/node_modules/vigil/dist/bin/vigil.js'];
/** node on Raspberry Pi OS, from apt or NodeSource alike. */
export const DEVICE_NODE = '/usr/bin/node';

export function checkPrivileges(options: { offline: boolean; dryRun: boolean; uid: number; systemdRunning: boolean }): void {
  if (options.offline) return;
  if (options.uid !== 0 && !options.dryRun) {
    throw new InstallError(
      'INSTALL_NOT_ROOT',
      `vigil install must run as root (uid 0, not ${options.uid}): it creates the system user vigil and writes /etc; run it with sudo, add --dry-run to only see what it would do, or --root DIR to install into a file tree`,
    );
  }
  if (!options.systemdRunning) {
    throw new InstallError(
      'INSTALL_NO_SYSTEMD',
      'systemd is not running here (no /run/systemd/system): vigil install sets up a systemd service; run `vigil run --config /etc/vigil/config.json` from your init system instead, or prepare an image with --root DIR',
    );
  }
}

/** The lowest Node.js version vigil supports, from package.json's engines (">=20.19"). */
export function minimumNode(): [number, number] {
  const engines = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { engines?: { node?: string } }).engines?.node ?? '';
  const m = /^>=\s*(\d+)(?:\.(\d+))?/.exec(engines);
  return m ? [Number(m[1]), Number(m[2] ?? 0)] : [20, 0];
}

export function checkNodeVersion(version: string, nodePath: string): void {
  const [min, minMinor] = minimumNode();
  const m = /^v?(\d+)\.(\d+)/.exec(version.trim());
  if (!m) throw new InstallError('INSTALL_NODE_TOO_OLD', `${nodePath} reports version ${JSON.stringify(version.trim())}: expected Node.js ${min}.${minMinor} or later`);
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major < min || (major === min && minor < minMinor)) {
    throw new InstallError(
      'INSTALL_NODE_TOO_OLD',
      `node ${version.trim().replace(/^v?/, 'v')} at ${nodePath} is too old: vigil needs Node.js ${min}.${minMinor} or later (Trixie: apt install nodejs; Bookworm: NodeSource's nodejs 22)`,
    );
  }
}

/** The version of a node other than the one running this: asked, as it is on this machine. */
export async function nodeVersionOf(runner: CommandRunner, nodePath: string): Promise<string> {
  return (await mustRun(runner, nodePath, ['-p', 'process.versions.node'])).stdout.trim();
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** node: a path the service can run, present under root (as a link too: an image's links point inside the image). */
export function checkNode(root: string, node: string): void {
  checkServicePath(node, 'node');
  const at = join(root, node);
  if (!exists(at)) {
    throw new InstallError('INSTALL_NODE_MISSING', `node ${node} does not exist${root === '/' ? '' : ` under ${root}`}: give --node with the path of node on the device`);
  }
  const info = lstatSync(at);
  if (info.isFile() && (info.mode & 0o111) === 0) throw new InstallError('INSTALL_NODE_MISSING', `node ${node} is not executable (mode ${(info.mode & 0o777).toString(8)}): expected the node binary`);
}

/** The vigil script the unit runs: given, this installation's own, or (under --root) where npm puts a global install. */
export function resolveEntry(root: string, offline: boolean, given: string | undefined): string {
  if (given !== undefined) {
    checkServicePath(given, 'the vigil script');
    if (!exists(join(root, given))) throw new InstallError('INSTALL_ENTRY_MISSING', `the vigil script ${given} does not exist${offline ? ` under ${root}` : ''}: expected vigil's dist/bin/vigil.js`);
    return given;
  }
  if (offline) {
    const found = GLOBAL_ENTRIES.find((entry) => exists(join(root, entry)));
    if (!found) {
      throw new InstallError('INSTALL_ENTRY_MISSING', `vigil is not installed under ${root} (looked for ${GLOBAL_ENTRIES.join(' and ')}): install it there first, or give --entry with its path on the device`);
    }
    return found;
  }
  const own = join(packageRoot(), 'dist', 'bin', 'vigil.js');
  checkServicePath(own, 'the vigil script');
  if (!exists(own)) {
    throw new InstallError('INSTALL_NOT_BUILT', `vigil is not built: ${own} is missing (run \`npm run build\` in ${packageRoot()}, or install the package with npm install --global)`);
  }
  return own;
}
