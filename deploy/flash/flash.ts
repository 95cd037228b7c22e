/**
 * `vigil flash`: prepares a Raspberry Pi OS image file or SD card for its first boot. It finds the
 * FAT boot partition from the partition table, decides between cloud-init and firstrun.sh from
 * what the image holds, writes the files for that (and vigil's own first-boot step, with the
 * package), reads every written file back and compares it byte for byte. Only the boot
 * partition is touched; the root filesystem is only ever read.
 *
 * The order of writes makes an interrupted run harmless: cmdline.txt, which is what makes the
 * next boot run anything, is written last.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, closeSync, constants, fsyncSync, openSync, statSync } from 'node:fs';
import { errorMessage } from '../../runtime/errors.js';
import { checkDisk, kernelName, SYSTEM_ROOTS, type SystemRoots } from './block-device.js';
import { metaData, networkConfig, newInstanceId, userData } from './cloud-init.js';
import { withFirstrun, withoutSerialConsole, withRegdom } from './cmdline.js';
import { ensureAllLine, I2C_LINE, UART_LINE } from './config-txt.js';
import { detectMode, readRoot, type BootDir, type Mode } from './detect.js';
import { FlashError } from './errors.js';
import { FatVolume, findTool, requireMtools } from './fat-tools.js';
import { CONFIG_FILE, FIRSTBOOT_DIR, FIRSTBOOT_SCRIPT, firstbootScript, PACKAGE_FILE } from './firstboot.js';
import { firstrunPath, firstrunScript, userconfTxt } from './firstrun.js';
import { packVigil, readPackage, type VigilPackage } from './package.js';
import { bootPartition, fileSource, isFatBootSector, readPartitionTable, rootPartition, type Partition, type PartitionTable } from './partition-table.js';
import type { FlashSettings } from './settings.js';

export interface FlashRequest {
  target: string;
  settings: FlashSettings;
  /** An `npm pack` tarball of vigil; default: pack the running vigil. */
  vigilPackage?: string;
  signal?: AbortSignal;
  /** /proc and /sys, for the block-device checks. */
  roots?: SystemRoots;
  /** One call per step, in words. */
  onStep?: (message: string) => void;
}

export interface WrittenFile {
  /** In the boot partition, without a leading "/". */
  path: string;
  size: number;
  sha256: string;
}

export interface FlashResult {
  target: string;
  kind: 'image' | 'device';
  mode: Mode;
  reason: string;
  bootDir: BootDir;
  codename?: string;
  bootPartition: { index: number; offset: number; size: number };
  vigil: { version: string; source: string };
  files: WrittenFile[];
  /** Files of an earlier flash that no longer belong (e.g. vigil/config.json without --config). */
  removed: string[];
}

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)} kB`;
  return `${(n / 1_000_000).toFixed(1)} MB`;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

export async function flash(request: FlashRequest): Promise<FlashResult> {
  const { target, settings, signal } = request;
  const step = request.onStep ?? (() => {});
  let stat;
  try {
    stat = statSync(target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FlashError('FLASH_NOT_IMAGE', `${target} ${code === 'ENOENT' ? 'does not exist' : `cannot be read: ${errorMessage(err)}`}: expected a Raspberry Pi OS image file or a disk such as /dev/sdb`, { cause: err });
  }
  const kind = stat.isBlockDevice() ? 'device' : stat.isFile() ? 'image' : undefined;
  if (!kind) throw new FlashError('FLASH_NOT_IMAGE', `${target} is neither an image file nor a block device: expected e.g. raspios.img or /dev/sdb`);

  let size = stat.size;
  let sectorSize = 512;
  let claim: number | undefined;
  if (kind === 'device') {
    step(`checking that ${target} is not in use`);
    const disk = checkDisk(kernelName(target, request.roots ?? SYSTEM_ROOTS), target, request.roots ?? SYSTEM_ROOTS);
    size = disk.size;
    sectorSize = disk.sectorSize;
    claim = claimDevice(target);
  } else {
    try {
      accessSync(target, constants.R_OK | constants.W_OK);
    } catch (err) {
      throw new FlashError('FLASH_NOT_WRITABLE', `${target} cannot be written: ${(err as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : errorMessage(err)}`, { cause: err });
    }
  }

  try {
    const { table, boot } = locateBoot(target, size, sectorSize);
    step(`boot partition ${boot.index}: FAT, ${formatBytes(boot.size)} at byte ${boot.offset} (${table.scheme.toUpperCase()})`);

    requireMtools();
    const volume = new FatVolume(target, boot.offset, signal ? { signal } : {});
    const names = new Set(((await volume.list('')) ?? []).map((e) => e.path.toLowerCase()));
    const missing = ['config.txt', 'cmdline.txt'].filter((n) => !names.has(n));
    if (missing.length) {
      throw new FlashError('FLASH_NOT_RASPBERRY_PI_OS', `${target}: the boot partition has no ${missing.join(' or ')}: not a Raspberry Pi OS image`);
    }
    const detection = detectMode(names, await readRoot(target, rootPartition(table), signal));
    step(`first boot by ${detection.mode}${detection.codename ? ` (Raspberry Pi OS ${detection.codename})` : ''}: ${detection.reason}`);

    let pkg: VigilPackage;
    if (request.vigilPackage !== undefined) pkg = readPackage(request.vigilPackage);
    else {
      step('packing the running vigil (npm pack)');
      pkg = await packVigil(undefined, signal);
    }
    step(`vigil ${pkg.version} (${pkg.source})`);

    const files = await plan(volume, settings, detection.mode, detection.bootDir, pkg);
    const vigilDir = await volume.list(FIRSTBOOT_DIR);
    if (!vigilDir) await volume.mkdir(FIRSTBOOT_DIR);
    const removed: string[] = [];
    for (const entry of vigilDir ?? []) {
      if (!entry.directory && !files.has(entry.path)) {
        await volume.remove(entry.path);
        removed.push(entry.path);
      }
    }
    for (const [path, data] of files) {
      signal?.throwIfAborted();
      step(`writing ${path} (${formatBytes(data.length)})`);
      await volume.write(path, data);
    }
    if (kind === 'device') flushDevice(target, claim);

    step(`verifying ${files.size} files`);
    const written: WrittenFile[] = [];
    for (const [path, data] of files) {
      const back = await volume.read(path);
      if (!back || !back.equals(data)) {
        const what = back ? `${back.length} bytes that differ from the ${data.length} written` : 'nothing (the file is missing)';
        throw new FlashError('FLASH_VERIFY_FAILED', `${target}: reading ${path} back gave ${what}: the card or image may be faulty`);
      }
      written.push({ path, size: data.length, sha256: sha256(data) });
    }
    return {
      target,
      kind,
      mode: detection.mode,
      reason: detection.reason,
      bootDir: detection.bootDir,
      ...(detection.codename ? { codename: detection.codename } : {}),
      bootPartition: { index: boot.index, offset: boot.offset, size: boot.size },
      vigil: { version: pkg.version, source: pkg.source },
      files: written,
      removed,
    };
  } finally {
    if (claim !== undefined) closeSync(claim);
  }
}

/** The partition table and the FAT boot partition in it, checked to hold a FAT filesystem. */
function locateBoot(target: string, size: number, sectorSize: number): { table: PartitionTable; boot: Partition } {
  const source = fileSource(target, size);
  try {
    const table = readPartitionTable(source, target, sectorSize);
    const boot = bootPartition(table, target);
    if (!isFatBootSector(source.read(boot.offset, 512))) {
      throw new FlashError('FLASH_NO_BOOT_PARTITION', `${target}: partition ${boot.index} is marked FAT (type ${boot.type}) but holds no FAT filesystem`);
    }
    return { table, boot };
  } finally {
    source.close();
  }
}

/** What to write, in order: cmdline.txt last, since it is what makes the next boot act. */
async function plan(volume: FatVolume, s: FlashSettings, mode: Mode, bootDir: BootDir, pkg: VigilPackage): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const put = (path: string, text: string | Buffer) => files.set(path, Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'));
  put(`${FIRSTBOOT_DIR}/${FIRSTBOOT_SCRIPT}`, firstbootScript({ i2c: s.i2c }));
  put(`${FIRSTBOOT_DIR}/${PACKAGE_FILE}`, pkg.data);
  if (s.deviceConfig) put(`${FIRSTBOOT_DIR}/${CONFIG_FILE}`, s.deviceConfig);

  if (mode === 'cloud-init') {
    put('user-data', userData(s, bootDir));
    put('network-config', networkConfig(s));
    put('meta-data', metaData(newInstanceId()));
  } else {
    put('firstrun.sh', firstrunScript(s));
    put('userconf.txt', userconfTxt(s));
    put('ssh', '');
  }

  let config = (await volume.read('config.txt'))!.toString('utf8');
  if (s.i2c) config = ensureAllLine(config, I2C_LINE);
  if (s.uart) config = ensureAllLine(config, UART_LINE);
  put('config.txt', config);

  let cmdline = (await volume.read('cmdline.txt'))!.toString('utf8');
  if (mode === 'firstrun') cmdline = withFirstrun(cmdline, firstrunPath(bootDir));
  if (mode === 'cloud-init' && s.country) cmdline = withRegdom(cmdline, s.country);
  if (s.uart) cmdline = withoutSerialConsole(cmdline);
  put('cmdline.txt', cmdline);
  return files;
}

/**
 * Holds the disk exclusively while flash works on it: the kernel then refuses to mount it
 * meanwhile (a desktop automounting the card), and a disk mounted since the check is caught.
 */
function claimDevice(target: string): number {
  try {
    return openSync(target, constants.O_RDONLY | constants.O_EXCL);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EBUSY') throw new FlashError('FLASH_DEVICE_IN_USE', `${target} is in use (mounted, or held open by another program): unmount it first`, { cause: err });
    if (code === 'EACCES' || code === 'EPERM') throw new FlashError('FLASH_NOT_WRITABLE', `${target} cannot be opened: permission denied (writing to a disk needs root: sudo vigil flash …)`, { cause: err });
    throw new FlashError('FLASH_NOT_DEVICE', `${target} cannot be opened: ${errorMessage(err)}`, { cause: err });
  }
}

/** Pushes the writes to the card and drops the cached copy, so verifying reads the card itself. */
function flushDevice(target: string, fd: number | undefined): void {
  if (fd !== undefined) fsyncSync(fd);
  if (findTool('blockdev')) spawnSync('blockdev', ['--flushbufs', target], { stdio: 'ignore' });
}
