/**
 * Whether a block device may be written: a whole disk (not one of its partitions), not
 * write-protected, and nothing on it in use — no partition mounted (directly or through a
 * device-mapper or other holder stacked on it), none used as swap. The disk that holds / or /boot
 * is named as the system disk. Everything is read from /proc/self/mountinfo, /proc/swaps and
 * /sys/class/block, whose roots are parameters so tests can give made-up trees.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FlashError } from './errors.js';

export interface SystemRoots {
  proc: string;
  sys: string;
}

export const SYSTEM_ROOTS: SystemRoots = { proc: '/proc', sys: '/sys' };

export interface DiskInfo {
  /** Kernel name ("sdb", "mmcblk0", "loop3"). */
  name: string;
  sectorSize: number;
  /** In bytes. */
  size: number;
}

interface Member {
  name: string;
  dev: string;
}

export interface Mount {
  dev: string;
  mountPoint: string;
  source: string;
}

const SYSTEM_MOUNTS = new Set(['/', '/boot', '/boot/firmware', '/boot/efi', '/usr', '/var', '/home']);

const read = (path: string) => readFileSync(path, 'utf8').trim();

/** The kernel's name for the block device at `path`, through its device number. */
export function kernelName(path: string, roots: SystemRoots = SYSTEM_ROOTS): string {
  const rdev = statSync(path, { bigint: true }).rdev;
  // glibc's dev_t layout: major in bits 8–19 and 32–43, minor in bits 0–7 and 12–31.
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  const link = join(roots.sys, 'dev', 'block', `${major}:${minor}`);
  if (!existsSync(link)) throw new FlashError('FLASH_NOT_DEVICE', `${path} (device ${major}:${minor}) is not a block device the kernel lists in ${dirname(link)}`);
  return basename(realpathSync(link));
}

/** Mountinfo escapes space, tab, newline and backslash as octal. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash < 6 || fields.length < dash + 3) continue;
    mounts.push({ dev: fields[2]!, mountPoint: unescape(fields[4]!), source: unescape(fields[dash + 2]!) });
  }
  return mounts;
}

/** Checks that the disk `name` may be written; `label` is what the user gave ("/dev/sdb"). */
export function checkDisk(name: string, label: string, roots: SystemRoots = SYSTEM_ROOTS): DiskInfo {
  const classBlock = join(roots.sys, 'class', 'block');
  const dir = join(classBlock, name);
  if (!existsSync(dir)) throw new FlashError('FLASH_NOT_DEVICE', `${label} is not a block device the kernel knows (no ${dir})`);
  const real = realpathSync(dir);
  if (existsSync(join(real, 'partition'))) {
    const disk = basename(dirname(real));
    throw new FlashError('FLASH_PARTITION_GIVEN', `${label} is a partition of /dev/${disk}: give the whole disk (/dev/${disk}); flash finds the boot partition itself`);
  }
  if (existsSync(join(real, 'ro')) && read(join(real, 'ro')) === '1') {
    throw new FlashError('FLASH_DEVICE_READ_ONLY', `${label} is read-only (an SD card's lock switch, or a read-only loop device): make it writable first`);
  }

  const members: Member[] = [];
  const add = (memberName: string, path: string) => {
    if (members.some((m) => m.name === memberName)) return;
    members.push({ name: memberName, dev: existsSync(join(path, 'dev')) ? read(join(path, 'dev')) : '' });
    // Holders: device-mapper, md and the like stacked on this one; what is mounted there uses it too.
    const holders = join(path, 'holders');
    if (existsSync(holders)) for (const h of readdirSync(holders)) add(h, realpathSync(join(classBlock, h)));
  };
  add(name, real);
  for (const entry of readdirSync(real, { withFileTypes: true })) {
    if (entry.isDirectory() && existsSync(join(real, entry.name, 'partition'))) add(entry.name, join(real, entry.name));
  }

  const byName = new Map(members.map((m) => [m.name, m]));
  const dmNames = new Map<string, string>();
  for (const m of members) {
    const dmName = join(classBlock, m.name, 'dm', 'name');
    if (existsSync(dmName)) dmNames.set(read(dmName), m.name);
  }
  const memberOf = (source: string, dev?: string): Member | undefined => {
    const byDev = dev ? members.find((m) => m.dev === dev) : undefined;
    if (byDev) return byDev;
    if (!source.startsWith('/dev/')) return undefined;
    if (source.startsWith('/dev/mapper/')) {
      const dm = dmNames.get(source.slice('/dev/mapper/'.length));
      if (dm) return byName.get(dm);
    }
    let resolved = source;
    try {
      resolved = realpathSync(source);
    } catch {
      // a source that is not a path here (made-up trees, a vanished device): its name is enough
    }
    return byName.get(basename(resolved));
  };

  const uses: string[] = [];
  const points: string[] = [];
  let system = false;
  const mountinfo = join(roots.proc, 'self', 'mountinfo');
  for (const mount of existsSync(mountinfo) ? parseMountinfo(readFileSync(mountinfo, 'utf8')) : []) {
    const member = memberOf(mount.source, mount.dev);
    if (!member) continue;
    uses.push(`/dev/${member.name} is mounted at ${mount.mountPoint}`);
    points.push(mount.mountPoint);
    if (SYSTEM_MOUNTS.has(mount.mountPoint)) system = true;
  }
  const swaps = join(roots.proc, 'swaps');
  if (existsSync(swaps)) {
    for (const line of readFileSync(swaps, 'utf8').split('\n').slice(1)) {
      const member = line.trim() ? memberOf(unescape(line.split(/\s+/)[0]!)) : undefined;
      if (member) uses.push(`/dev/${member.name} is in use as swap`);
    }
  }
  if (system) throw new FlashError('FLASH_SYSTEM_DISK', `${label} is the system disk (${uses.join('; ')}): refusing to write to it`);
  if (uses.length) {
    const how = points.length ? `unmount it first (sudo umount ${points.join(' ')})` : 'stop using it first (swapoff)';
    throw new FlashError('FLASH_DEVICE_IN_USE', `${label} is in use (${uses.join('; ')}): ${how}`);
  }

  const sectorFile = join(real, 'queue', 'logical_block_size');
  const sizeFile = join(real, 'size');
  return {
    name,
    sectorSize: existsSync(sectorFile) ? Number(read(sectorFile)) || 512 : 512,
    // /sys reports sizes in 512-byte units whatever the sector size.
    size: existsSync(sizeFile) ? Number(read(sizeFile)) * 512 : 0,
  };
}
