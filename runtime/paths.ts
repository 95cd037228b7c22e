/**
 * Where things are, whether the code runs from the sources (tsx) or compiled (dist/): the
 * package root is found by walking up to vigil's package.json, not by counting `..`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'vigil') return (cachedRoot = dir);
      } catch {
        // an unreadable package.json on the way up is not ours; keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find vigil's package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The embedded default configuration: a simulated board running the example bundles. */
export function defaultConfigPath(): string {
  return join(packageRoot(), 'config', 'default.json');
}

/** The system-wide configuration a Pi install uses when no --config is given. */
export const SYSTEM_CONFIG_PATH = '/etc/vigil/config.json';

/** The file names inside a state directory. */
export function statePaths(stateDir: string) {
  return {
    dir: stateDir,
    socket: join(stateDir, 'vigil.sock'),
    logFile: join(stateDir, 'logs', 'vigil.log'),
  };
}
