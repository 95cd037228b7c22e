/**
 * Which first-boot mechanism an image uses, from what it holds. Raspberry Pi OS images from 2025
 * on (Trixie) configure themselves with cloud-init, whose NoCloud seed — user-data, meta-data,
 * network-config — ships in the boot partition; earlier ones (Bookworm and before) run a
 * firstrun.sh named on the kernel command line. When the boot partition does not settle it, the
 * ext4 root is read with debugfs (no mount, no root needed for an image file): /usr/bin/cloud-init
 * there means cloud-init. The root's fstab also says where the boot partition is mounted on the
 * device (/boot/firmware from Bookworm on, /boot before), which firstrun.sh's path depends on.
 */
import { errorMessage } from '../../runtime/errors.js';
import { findTool, run } from './fat-tools.js';
import type { Partition } from './partition-table.js';

export type Mode = 'cloud-init' | 'firstrun';
export type BootDir = '/boot/firmware' | '/boot';

export const CLOUD_INIT_SEED = ['user-data', 'meta-data', 'network-config'] as const;

export interface RootInfo {
  /** Why the root could not be read, when it could not. */
  unreadable?: string;
  osRelease?: Record<string, string>;
  cloudInit?: boolean;
  /** Where /etc/fstab mounts the FAT boot partition. */
  bootMount?: BootDir;
}

export interface Detection {
  mode: Mode;
  /** In words, for the progress line: what decided it. */
  reason: string;
  bootDir: BootDir;
  /** VERSION_CODENAME from the root's os-release ("bookworm", "trixie"), when known. */
  codename?: string;
}

/** Reads what detection needs from the ext4 root at `partition` of `target`, without mounting it. */
export async function readRoot(target: string, partition: Partition | undefined, signal?: AbortSignal): Promise<RootInfo> {
  if (!partition) return { unreadable: 'the image has no Linux root partition' };
  if (!findTool('debugfs')) return { unreadable: "debugfs is not installed (apt-get install e2fsprogs)" };
  // debugfs takes io options after a "?"; a target whose name has one cannot be addressed that way.
  if (target.includes('?')) return { unreadable: `its path contains "?", which debugfs cannot take` };
  const device = `${target}?offset=${partition.offset}`;
  const debugfs = async (request: string) => {
    const result = await run('debugfs', ['-R', request, device], signal ? { signal } : {});
    if (/Bad magic number|Couldn't find valid filesystem superblock/i.test(result.stderr)) {
      throw new Error(`partition ${partition.index} is not an ext2/3/4 filesystem`);
    }
    const open = /^debugfs: (.*while (?:trying to open|opening filesystem).*)$/m.exec(result.stderr);
    if (open) throw new Error(`debugfs: ${open[1]}`);
    return result;
  };
  const cat = async (path: string) => {
    const result = await debugfs(`cat ${path}`);
    return /File not found|not a regular file/i.test(result.stderr) || result.stdout.length === 0 ? undefined : result.stdout.toString('utf8');
  };
  const exists = async (path: string) => (await debugfs(`stat ${path}`)).stdout.toString('utf8').includes('Inode:');
  try {
    // Debian's /etc/os-release is a link to /usr/lib/os-release; debugfs does not follow links.
    const osText = (await cat('/usr/lib/os-release')) ?? (await cat('/etc/os-release'));
    const info: RootInfo = { cloudInit: await exists('/usr/bin/cloud-init') };
    if (osText) info.osRelease = parseOsRelease(osText);
    const fstab = await cat('/etc/fstab');
    const bootMount = fstab ? fstabBootMount(fstab) : undefined;
    if (bootMount) info.bootMount = bootMount;
    return info;
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    return { unreadable: errorMessage(err) };
  }
}

export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^(["'])(.*)\1$/, '$2');
  }
  return out;
}

export function fstabBootMount(fstab: string): BootDir | undefined {
  for (const line of fstab.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[0]?.startsWith('#')) continue;
    if (fields[1] === '/boot/firmware') return '/boot/firmware';
    if (fields[1] === '/boot' && fields[2] === 'vfat') return '/boot';
  }
  return undefined;
}

/** Codenames before Bookworm mount the boot partition at /boot. */
const PRE_BOOKWORM = new Set(['jessie', 'stretch', 'buster', 'bullseye']);

/** `bootFiles` are the lower-cased names in the boot partition's root directory. */
export function detectMode(bootFiles: ReadonlySet<string>, root: RootInfo): Detection {
  const codename = root.osRelease?.VERSION_CODENAME;
  const bootDir: BootDir = root.bootMount ?? (codename && PRE_BOOKWORM.has(codename) ? '/boot' : '/boot/firmware');
  const base = { bootDir, ...(codename ? { codename } : {}) };
  const seed = CLOUD_INIT_SEED.filter((name) => bootFiles.has(name));
  if (seed.length) return { mode: 'cloud-init', reason: `the boot partition holds ${seed.join(', ')}`, ...base };
  if (root.cloudInit) return { mode: 'cloud-init', reason: 'the root filesystem has /usr/bin/cloud-init', ...base };
  const why = root.unreadable ? `no cloud-init seed in the boot partition; the root filesystem was not read (${root.unreadable})` : 'no cloud-init in the boot partition or the root filesystem';
  return { mode: 'firstrun', reason: why, ...base };
}
