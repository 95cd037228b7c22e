/**
 * `vigil flash` on block devices. The refusals run the real checks against made-up /proc and /sys
 * trees (a mounted partition, the system disk, a device-mapper holder, swap, a partition given
 * instead of its disk, a write-protected card). Then, as root, against real loop devices: flash
 * onto one, and be refused one that is mounted.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkDisk, kernelName, parseMountinfo, type SystemRoots } from '../deploy/flash/block-device.js';
import { FlashError } from '../deploy/flash/errors.js';
import { vigil } from './helpers/cli.js';
import { buildPiImage, cleanScratch, fakeVigilPackage, listBootFiles, rangeSha256, readBootFile, scratch, type PiImage } from './helpers/pi-image.js';

after(cleanScratch);

const HASH = '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1';

interface FakeDisk {
  name: string;
  dev: string;
  partitions: Array<{ name: string; dev: string; holders?: string[] }>;
  ro?: boolean;
}

/**
 * A /sys/class/block as the kernel lays it out: a directory per disk with its partitions inside,
 * a link per partition at the top, holders listed by name. And a /proc with mountinfo and swaps.
 */
function fakeSystem(options: { disks: FakeDisk[]; dm?: Array<{ name: string; dev: string; dmName: string }>; mountinfo?: string[]; swaps?: string[] }): SystemRoots {
  const root = scratch('vigil-fake-sys-');
  const sys = join(root, 'sys');
  const proc = join(root, 'proc');
  const classBlock = join(sys, 'class', 'block');
  const devices = join(sys, 'devices', 'block');
  const file = (path: string, text: string) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${text}\n`);
  };
  mkdirSync(classBlock, { recursive: true });
  for (const disk of options.disks) {
    const dir = join(devices, disk.name);
    file(join(dir, 'dev'), disk.dev);
    file(join(dir, 'size'), '122880');
    file(join(dir, 'ro'), disk.ro ? '1' : '0');
    file(join(dir, 'queue', 'logical_block_size'), '512');
    mkdirSync(join(dir, 'holders'));
    symlinkSync(dir, join(classBlock, disk.name));
    disk.partitions.forEach((p, i) => {
      const pdir = join(dir, p.name);
      file(join(pdir, 'dev'), p.dev);
      file(join(pdir, 'partition'), String(i + 1));
      mkdirSync(join(pdir, 'holders'));
      for (const h of p.holders ?? []) mkdirSync(join(pdir, 'holders', h));
      symlinkSync(pdir, join(classBlock, p.name));
    });
  }
  for (const dm of options.dm ?? []) {
    const dir = join(sys, 'devices', 'virtual', 'block', dm.name);
    file(join(dir, 'dev'), dm.dev);
    file(join(dir, 'dm', 'name'), dm.dmName);
    mkdirSync(join(dir, 'holders'));
    symlinkSync(dir, join(classBlock, dm.name));
  }
  file(join(proc, 'self', 'mountinfo'), (options.mountinfo ?? []).join('\n'));
  file(join(proc, 'swaps'), ['Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority', ...(options.swaps ?? [])].join('\n'));
  return { sys, proc };
}

const SYSTEM_DISK: FakeDisk = { name: 'sda', dev: '8:0', partitions: [{ name: 'sda1', dev: '8:1' }, { name: 'sda2', dev: '8:2' }] };
const CARD: FakeDisk = { name: 'sdb', dev: '8:16', partitions: [{ name: 'sdb1', dev: '8:17' }, { name: 'sdb2', dev: '8:18' }] };
const BASE_MOUNTS = ['22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/root rw', '23 22 8:1 / /boot/firmware rw,relatime shared:2 - vfat /dev/sda1 rw,fmask=0022', '24 22 0:21 / /proc rw - proc proc rw'];

function refusal(fn: () => unknown): FlashError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FlashError, String(err));
    return err;
  }
  assert.fail('expected a refusal');
}

describe('block devices: the checks, on made-up /proc and /sys', () => {
  it('a card with nothing mounted passes, with its size and sector size', () => {
    const roots = fakeSystem({ disks: [SYSTEM_DISK, CARD], mountinfo: BASE_MOUNTS });
    assert.deepEqual(checkDisk('sdb', '/dev/sdb', roots), { name: 'sdb', sectorSize: 512, size: 122880 * 512 });
  });

  it('refuses a card with a mounted partition, saying where (escaped spaces decoded) and how to unmount', () => {
    const roots = fakeSystem({ disks: [SYSTEM_DISK, CARD], mountinfo: [...BASE_MOUNTS, '40 22 8:17 / /media/alice/my\\040card rw,nosuid,nodev shared:40 - vfat /dev/sdb1 rw'] });
    const err = refusal(() => checkDisk('sdb', '/dev/sdb', roots));
    assert.equal(err.code, 'FLASH_DEVICE_IN_USE');
    assert.equal(err.message, "/dev/sdb is in use (/dev/sdb1 is mounted at /media/alice/my card): unmount it first (sudo umount /media/alice/my card)");
  });

  it('names the system disk: the one holding / (as /dev/root) and /boot/firmware', () => {
    const roots = fakeSystem({ disks: [SYSTEM_DISK, CARD], mountinfo: BASE_MOUNTS });
    const err = refusal(() => checkDisk('sda', '/dev/sda', roots));
    assert.equal(err.code, 'FLASH_SYSTEM_DISK');
    assert.match(err.message, /^\/dev\/sda is the system disk \(\/dev\/sda2 is mounted at \/; \/dev\/sda1 is mounted at \/boot\/firmware\): refusing to write to it$/);
  });

  it('finds a mount by its source when the device number does not match (btrfs), and through a device-mapper holder', () => {
    let roots = fakeSystem({ disks: [SYSTEM_DISK, CARD], mountinfo: [...BASE_MOUNTS, '41 22 0:45 /@ /data rw - btrfs /dev/sdb2 rw'] });
    assert.match(refusal(() => checkDisk('sdb', '/dev/sdb', roots)).message, /\/dev\/sdb2 is mounted at \/data/);

    const encrypted: FakeDisk = { ...CARD, partitions: [CARD.partitions[0]!, { name: 'sdb2', dev: '8:18', holders: ['dm-0'] }] };
    roots = fakeSystem({ disks: [SYSTEM_DISK, encrypted], dm: [{ name: 'dm-0', dev: '254:0', dmName: 'secret' }], mountinfo: [...BASE_MOUNTS, '42 22 254:0 / /mnt/secret rw - ext4 /dev/mapper/secret rw'] });
    assert.match(refusal(() => checkDisk('sdb', '/dev/sdb', roots)).message, /\/dev\/dm-0 is mounted at \/mnt\/secret/);
    // By its /dev/mapper name alone, too.
    roots = fakeSystem({ disks: [SYSTEM_DISK, encrypted], dm: [{ name: 'dm-0', dev: '254:0', dmName: 'secret' }], mountinfo: [...BASE_MOUNTS, '42 22 0:50 / /mnt/secret rw - btrfs /dev/mapper/secret rw'] });
    assert.match(refusal(() => checkDisk('sdb', '/dev/sdb', roots)).message, /\/dev\/dm-0 is mounted at \/mnt\/secret/);
  });

  it('refuses a card with a partition in use as swap', () => {
    const roots = fakeSystem({ disks: [SYSTEM_DISK, CARD], mountinfo: BASE_MOUNTS, swaps: ['/dev/sdb2                               partition\t1048572\t\t0\t\t-2'] });
    const err = refusal(() => checkDisk('sdb', '/dev/sdb', roots));
    assert.equal(err.code, 'FLASH_DEVICE_IN_USE');
    assert.match(err.message, /\/dev\/sdb2 is in use as swap\): stop using it first \(swapoff\)/);
  });

  it('refuses a partition, naming the disk to give instead', () => {
    const mmc: FakeDisk = { name: 'mmcblk0', dev: '179:0', partitions: [{ name: 'mmcblk0p1', dev: '179:1' }] };
    const roots = fakeSystem({ disks: [SYSTEM_DISK, CARD, mmc], mountinfo: BASE_MOUNTS });
    let err = refusal(() => checkDisk('sdb1', '/dev/sdb1', roots));
    assert.equal(err.code, 'FLASH_PARTITION_GIVEN');
    assert.equal(err.message, '/dev/sdb1 is a partition of /dev/sdb: give the whole disk (/dev/sdb); flash finds the boot partition itself');
    err = refusal(() => checkDisk('mmcblk0p1', '/dev/mmcblk0p1', roots));
    assert.match(err.message, /give the whole disk \(\/dev\/mmcblk0\)/);
  });

  it('refuses a write-protected card and a name the kernel does not know', () => {
    const roots = fakeSystem({ disks: [SYSTEM_DISK, { ...CARD, ro: true }], mountinfo: BASE_MOUNTS });
    assert.equal(refusal(() => checkDisk('sdb', '/dev/sdb', roots)).code, 'FLASH_DEVICE_READ_ONLY');
    assert.equal(refusal(() => checkDisk('sdz', '/dev/sdz', roots)).code, 'FLASH_NOT_DEVICE');
  });

  it('parses mountinfo with optional fields and escapes', () => {
    assert.deepEqual(parseMountinfo('36 35 98:0 /mnt1 /mnt\\0402 rw,noatime master:1 shared:2 - ext3 /dev/root rw,errors=continue\nbroken line\n'), [{ dev: '98:0', mountPoint: '/mnt 2', source: '/dev/root' }]);
  });
});

const isRoot = process.getuid?.() === 0;

describe('block devices: real loop devices', { skip: isRoot ? false : 'loop devices need root (losetup)' }, () => {
  const attached: string[] = [];
  const mounted: string[] = [];
  const images: PiImage[] = [];
  after(() => {
    for (const dir of mounted) execFileSync('umount', [dir]);
    for (const dev of attached) execFileSync('losetup', ['-d', dev]);
    images.forEach((i) => i.cleanup());
  });
  const attach = (file: string) => {
    const dev = execFileSync('losetup', ['-f', '--show', file], { encoding: 'utf8' }).trim();
    attached.push(dev);
    return dev;
  };

  it('flashes an SD card: the image on a loop device, written through the device', async () => {
    const img = buildPiImage({ variant: 'bookworm' });
    images.push(img);
    const rootBefore = rangeSha256(img.image, img.rootOffset, img.rootSize);
    const dev = attach(img.image);
    assert.equal(kernelName(dev), dev.replace('/dev/', ''));
    const result = await vigil(['flash', dev, '--hostname', 'pi', '--user', 'alice', '--password-hash', HASH, '--i2c', '--vigil-package', fakeVigilPackage(img.dir), '--json'], { timeoutMs: 60_000 });
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout) as { kind: string; mode: string; files: unknown[] };
    assert.deepEqual([out.kind, out.mode, out.files.length], ['device', 'firstrun', 7]);
    assert.match(result.stderr, /checking that \/dev\/loop\d+ is not in use/);
    execFileSync('losetup', ['-d', dev]);
    attached.splice(attached.indexOf(dev), 1);
    // What reached the backing file, read without the device.
    assert.ok(listBootFiles(img.image).includes('firstrun.sh'));
    assert.match(readBootFile(img.image, 'cmdline.txt')!.toString(), /systemd\.run=\/boot\/firmware\/firstrun\.sh/);
    assert.equal(rangeSha256(img.image, img.rootOffset, img.rootSize), rootBefore);
  });

  it('refuses a device that is mounted, saying where', async () => {
    const dir = scratch('vigil-loop-');
    const file = join(dir, 'disk.img');
    writeFileSync(file, '');
    truncateSync(file, 16 << 20);
    execFileSync('mkfs.ext4', ['-q', '-F', file]);
    const dev = attach(file);
    const mountPoint = join(dir, 'mnt');
    mkdirSync(mountPoint);
    execFileSync('mount', [dev, mountPoint]);
    mounted.push(mountPoint);
    const result = await vigil(['flash', dev, '--hostname', 'pi', '--user', 'alice', '--password-hash', HASH], { timeoutMs: 60_000 });
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim().split('\n').at(-1), `vigil: ${dev} is in use (${dev} is mounted at ${mountPoint}): unmount it first (sudo umount ${mountPoint})`);
  });
});
