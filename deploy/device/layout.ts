/**
 * Where a deployed bundle lives on the device. The bundles directory keeps one entry per bundle,
 * as the runtime expects; a deployed bundle's entry is a symlink into `.vigil/versions/NAME/`,
 * whose directories are the versions kept, named `SEQ-VERSION-SHA12`. The sequence number orders
 * them. `.vigil/NAME.history.json` lists the versions in the order they went live and passed
 * their health check, the current one last: a rollback goes back to the one before it, not to
 * whichever is newest (that may be the one rolled back from). The runtime skips names starting
 * with "." so nothing in `.vigil/` is ever loaded as a bundle.
 */
import { join } from 'node:path';
import { existsSync, readdirSync, readFileSync, readlinkSync, lstatSync, realpathSync } from 'node:fs';

export const META_DIR = '.vigil';

export interface VersionDir {
  seq: number;
  version: string;
  sha12: string;
  /** The directory's name inside versions/NAME/. */
  entry: string;
  path: string;
}

export interface Current {
  /** How the bundle is installed now: a deployed version, a plain directory put there by hand, or nothing. */
  kind: 'version' | 'directory' | 'none';
  version?: VersionDir;
  path?: string;
}

const VERSION_DIR = /^(\d{4,})-(.+)-([0-9a-f]{12})$/;

export class DeviceLayout {
  constructor(readonly bundlesDir: string) {}

  get meta(): string {
    return join(this.bundlesDir, META_DIR);
  }
  get staging(): string {
    return join(this.meta, 'staging');
  }
  versionsOf(name: string): string {
    return join(this.meta, 'versions', name);
  }
  entry(name: string): string {
    return join(this.bundlesDir, name);
  }
  lockFile(name: string): string {
    return join(this.meta, `${name}.lock`);
  }
  historyFile(name: string): string {
    return join(this.meta, `${name}.history.json`);
  }
  /** Version entries in the order they went live, the current one last; only those still on disk. */
  history(name: string): string[] {
    let list: unknown;
    try {
      list = JSON.parse(readFileSync(this.historyFile(name), 'utf8'));
    } catch {
      return [];
    }
    if (!Array.isArray(list)) return [];
    return list.filter((e): e is string => typeof e === 'string' && existsSync(join(this.versionsOf(name), e)));
  }
  pendingFile(name: string): string {
    return join(this.meta, `${name}.pending.json`);
  }
  /** The symlink's target, relative so the bundles directory can move (or be seen from a chroot). */
  linkTarget(name: string, entry: string): string {
    return join(META_DIR, 'versions', name, entry);
  }

  /** The versions kept for `name`, oldest first. */
  versions(name: string): VersionDir[] {
    let entries: string[];
    try {
      entries = readdirSync(this.versionsOf(name));
    } catch {
      return [];
    }
    const out: VersionDir[] = [];
    for (const entry of entries) {
      const m = VERSION_DIR.exec(entry);
      if (m) out.push({ seq: Number(m[1]), version: m[2]!, sha12: m[3]!, entry, path: join(this.versionsOf(name), entry) });
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  current(name: string): Current {
    const at = this.entry(name);
    let st;
    try {
      st = lstatSync(at);
    } catch {
      return { kind: 'none' };
    }
    if (st.isDirectory()) return { kind: 'directory', path: at };
    if (!st.isSymbolicLink()) return { kind: 'none' };
    const target = readlinkSync(at);
    let real: string;
    try {
      real = realpathSync(at);
    } catch {
      // A link to a version that is gone: nothing is installed that the runtime could load.
      return { kind: 'none', path: target };
    }
    const version = this.versions(name).find((v) => realpathSync(v.path) === real);
    return version ? { kind: 'version', version, path: real } : { kind: 'directory', path: real };
  }

  nextSeq(name: string): number {
    const versions = this.versions(name);
    return (versions.at(-1)?.seq ?? 0) + 1;
  }
}

export function versionEntry(seq: number, version: string, sha256: string): string {
  // Versions are checked by the manifest schema; anything odd left is made harmless for a file name.
  return `${String(seq).padStart(4, '0')}-${version.replace(/[^A-Za-z0-9._+-]/g, '_')}-${sha256.slice(0, 12)}`;
}
