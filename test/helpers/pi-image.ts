/**
 * Raspberry Pi OS images for the flash tests, built from nothing in a temp directory: a partition
 * table (sfdisk), a FAT32 boot partition at sector 8192 holding the files a Raspberry Pi OS image
 * has (mkfs.vfat --offset, mcopy), and an ext4 root (mkfs.ext4 -d, at its offset). Two variants:
 * a Bookworm-era image (firstrun.sh era: no cloud-init anywhere) and a 2025+ Trixie image
 * (cloud-init seed in the boot partition, /usr/bin/cloud-init in the root). About 55 MB each, sparse.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzip, writeTar, type TarEntry } from '../../deploy/tar.js';
import { tempDir } from './harness.js';

export const SECTOR = 512;
export const BOOT_START = 8192;
/** 34 MiB: FAT32 needs 65525 clusters, which 512-byte clusters fit from about 33 MB. */
export const BOOT_SECTORS = 69_632;
export const ROOT_START = BOOT_START + BOOT_SECTORS;
export const ROOT_SECTORS = 32_768;
/** Room after the root for GPT's backup header. */
const TAIL_SECTORS = 2048;

export type Variant = 'bookworm' | 'trixie';

const scratchDirs: string[] = [];

/** A temp directory that cleanScratch() removes: call that from after() in the test file. */
export function scratch(prefix: string): string {
  const dir = tempDir(prefix);
  scratchDirs.push(dir);
  return dir;
}

export function cleanScratch(): void {
  for (const dir of scratchDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface PiImage {
  dir: string;
  image: string;
  bootOffset: number;
  rootOffset: number;
  rootSize: number;
  cleanup(): void;
}

export const CONFIG_TXT = `# For more options and information see
# http://rptl.io/configtxt
# Some settings may impact device functionality. See link above for details

# Uncomment some or all of these to enable the optional hardware interfaces
#dtparam=i2c_arm=on
#dtparam=i2s=on
#dtparam=spi=on

# Enable audio (loads snd_bcm2835)
dtparam=audio=on

# Automatically load overlays for detected cameras
camera_auto_detect=1

# Automatically load overlays for detected DSI displays
display_auto_detect=1

# Automatically load initramfs files, if found
auto_initramfs=1

# Enable DRM VC4 V3D driver
dtoverlay=vc4-kms-v3d
max_framebuffers=2

# Don't have the firmware create an initial video= setting in cmdline.txt.
# Use the kernel's default instead.
disable_fw_kms_setup=1

# Run in 64-bit mode
arm_64bit=1

# Disable compensation for displays with overscan
disable_overscan=1

# Run as fast as firmware / board allows
arm_boost=1

[cm4]
# Enable host mode on the 2711 built-in XHCI USB controller.
# This line should be removed if the legacy DWC2 controller is required
# (e.g. for USB device mode) or if USB support is not required.
otg_mode=1

[cm5]
dtoverlay=dwc2,dr_mode=host

[all]
`;

export const CMDLINE_TXT = 'console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot\n';

const fstab = (bootMount: string) => `proc            /proc           proc    defaults          0       0
PARTUUID=4e639091-01  ${bootMount}  vfat    defaults          0       2
PARTUUID=4e639091-02  /               ext4    defaults,noatime  0       1
`;

function osRelease(variant: Variant): string {
  const [version, id] = variant === 'bookworm' ? ['12', 'bookworm'] : ['13', 'trixie'];
  return `PRETTY_NAME="Debian GNU/Linux ${version} (${id})"\nNAME="Debian GNU/Linux"\nVERSION_ID="${version}"\nVERSION="${version} (${id})"\nVERSION_CODENAME=${id}\nID=debian\n`;
}

/** Firmware blobs stand-ins: a few kilobytes of fixed pseudo-random bytes each. */
function blob(name: string, size = 4096): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(name).digest();
  for (let i = 0; i < size; i += block.length) {
    block.copy(out, i);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

function bootFiles(variant: Variant): Record<string, Buffer | string> {
  const files: Record<string, Buffer | string> = {
    'config.txt': CONFIG_TXT,
    'cmdline.txt': CMDLINE_TXT,
    'issue.txt': `Raspberry Pi reference ${variant === 'bookworm' ? '2024-11-19' : '2025-10-01'}\nGenerated using pi-gen, https://github.com/RPi-Distro/pi-gen, ${variant}, stage2\n`,
    'bootcode.bin': blob('bootcode.bin'),
    'start4.elf': blob('start4.elf', 8192),
    'fixup4.dat': blob('fixup4.dat'),
    'kernel8.img': blob('kernel8.img', 16384),
    'bcm2711-rpi-4-b.dtb': blob('bcm2711-rpi-4-b.dtb'),
    'bcm2712-rpi-5-b.dtb': blob('bcm2712-rpi-5-b.dtb'),
    'bcm2710-rpi-zero-2-w.dtb': blob('bcm2710-rpi-zero-2-w.dtb'),
  };
  if (variant === 'trixie') {
    files['user-data'] = '#cloud-config\n# This is the user-data configuration file for cloud-init.\n# Raspberry Pi Imager writes its settings here.\n';
    files['meta-data'] = 'dsmode: local\n\ninstance_id: rpios-image\n';
    files['network-config'] = '# This file contains a netplan-compatible configuration which cloud-init will apply on\n# first-boot.\n#network:\n#  version: 2\n';
  }
  return files;
}

function rootTree(dir: string, variant: Variant, bootMount: string): void {
  const file = (path: string, text: string) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  file('usr/lib/os-release', osRelease(variant));
  file('etc/fstab', fstab(bootMount));
  // As on Debian: /etc/os-release is a link into /usr/lib.
  symlinkSync('../usr/lib/os-release', join(dir, 'etc/os-release'));
  file('etc/hostname', 'raspberrypi\n');
  file('etc/passwd', 'root:x:0:0:root:/root:/bin/bash\npi:x:1000:1000:,,,:/home/pi:/bin/bash\n');
  file('usr/lib/raspberrypi-sys-mods/imager_custom', '#!/bin/sh\n');
  if (variant === 'trixie') {
    file('usr/bin/cloud-init', '#!/usr/bin/python3\n# cloud-init stand-in\n');
  }
}

function sh(command: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  const result = spawnSync(command, args, { env: { ...process.env, MTOOLS_SKIP_CHECK: '1', ...env }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}${result.error ? String(result.error) : ''}`);
}

export interface ImageOptions {
  variant: Variant;
  label?: 'dos' | 'gpt';
  /** Leave these files out of the boot partition. */
  omit?: string[];
  /** Where the root's fstab mounts the boot partition (default /boot/firmware, as from Bookworm on). */
  bootMount?: '/boot' | '/boot/firmware';
}

export function buildPiImage(options: ImageOptions): PiImage {
  const dir = tempDir('vigil-flash-');
  const image = join(dir, `raspios-${options.variant}.img`);
  writeFileSync(image, '');
  truncateSync(image, (ROOT_START + ROOT_SECTORS + TAIL_SECTORS) * SECTOR);
  const gpt = options.label === 'gpt';
  const types = gpt ? ['EBD0A0A2-B9E5-4433-87C0-68B6B72699C7', '0FC63DAF-8483-4772-8E79-3D69D8477DE4'] : ['c', '83'];
  const script = `label: ${gpt ? 'gpt' : 'dos'}\n${gpt ? '' : 'label-id: 0x4e639091\n'}start=${BOOT_START}, size=${BOOT_SECTORS}, type=${types[0]}\nstart=${ROOT_START}, size=${ROOT_SECTORS}, type=${types[1]}\n`;
  const sfdisk = spawnSync('sfdisk', ['--quiet', image], { input: script, encoding: 'utf8' });
  if (sfdisk.status !== 0) throw new Error(`sfdisk failed: ${sfdisk.stderr}`);

  sh('mkfs.vfat', ['-F', '32', '-s', '1', '-S', '512', '-n', 'bootfs', '--offset', String(BOOT_START), image, String((BOOT_SECTORS * SECTOR) / 1024)]);
  const staging = join(dir, 'boot');
  mkdirSync(staging);
  const files = bootFiles(options.variant);
  const names = Object.keys(files).filter((n) => !options.omit?.includes(n));
  for (const name of names) writeFileSync(join(staging, name), files[name]!);
  if (names.length) sh('mcopy', ['-i', `${image}@@${BOOT_START * SECTOR}`, ...names.map((n) => join(staging, n)), '::/']);
  sh('mmd', ['-i', `${image}@@${BOOT_START * SECTOR}`, '::/overlays']);

  const root = join(dir, 'root');
  rootTree(root, options.variant, options.bootMount ?? '/boot/firmware');
  sh('mkfs.ext4', ['-q', '-F', '-L', 'rootfs', '-d', root, '-E', `offset=${ROOT_START * SECTOR}`, image, `${(ROOT_SECTORS * SECTOR) / 1024}k`]);
  rmSync(staging, { recursive: true });
  rmSync(root, { recursive: true });
  return {
    dir,
    image,
    bootOffset: BOOT_START * SECTOR,
    rootOffset: ROOT_START * SECTOR,
    rootSize: ROOT_SECTORS * SECTOR,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A file of the boot partition, read with mtype (undefined when missing). */
export function readBootFile(image: string, path: string, offset = BOOT_START * SECTOR): Buffer | undefined {
  const result = spawnSync('mtype', ['-i', `${image}@@${offset}`, `::/${path}`], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
  return result.status === 0 ? result.stdout : undefined;
}

/** The boot partition's files, recursively, as "dir/name" paths. */
export function listBootFiles(image: string, offset = BOOT_START * SECTOR): string[] {
  const out = execFileSync('mdir', ['-i', `${image}@@${offset}`, '-b', '-a', '-/', '::/'], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' }, encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.startsWith('::/') && !l.endsWith('/'))
    .map((l) => l.slice(3))
    .sort();
}

/** sha256 of a byte range of a file (the root partition, to show flash never wrote it). */
export function rangeSha256(file: string, offset: number, length: number): string {
  const fd = openSync(file, 'r');
  try {
    const hash = createHash('sha256');
    const buf = Buffer.alloc(1 << 20);
    for (let done = 0; done < length; ) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, length - done), offset + done);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      done += n;
    }
    return hash.digest('hex');
  } finally {
    closeSync(fd);
  }
}

/** A stand-in vigil package: what `npm pack` writes (package/package.json, package/dist/bin/vigil.js). */
export function fakeVigilPackage(dir: string, version = '9.8.7'): string {
  const file = join(dir, `vigil-${version}.tgz`);
  const entry = (path: string, text: string): TarEntry => ({ path, type: 'file', mode: 0o644, mtime: 499162500, data: Buffer.from(text) });
  writeFileSync(
    file,
    gzip(writeTar([entry('package/package.json', JSON.stringify({ name: 'vigil', version, bin: { vigil: 'dist/bin/vigil.js' } })), entry('package/dist/bin/vigil.js', '#!/usr/bin/env node\n')])),
  );
  return file;
}
