/**
 * The partition table of a disk image or a whole disk: MBR (what Raspberry Pi OS images have) and
 * GPT (a card someone repartitioned, or another OS's image). Only what flashing needs: where the
 * FAT boot partition and the Linux root partition start and how long they are.
 *
 * A file that is not a partitioned disk is named for what it is (a compressed download, a bare
 * FAT filesystem, something else), because "no partition table" alone does not say what to do.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { FlashError } from './errors.js';

export interface Partition {
  /** 1-based, as the kernel numbers them (sdb1, mmcblk0p1). */
  index: number;
  /** In bytes from the start of the disk. */
  offset: number;
  size: number;
  kind: 'fat' | 'linux' | 'other';
  /** The MBR type byte as two hex digits ("0c"), or the GPT type GUID. */
  type: string;
}

export interface PartitionTable {
  scheme: 'mbr' | 'gpt';
  partitions: Partition[];
}

const FAT_MBR_TYPES = new Set([0x01, 0x04, 0x06, 0x0b, 0x0c, 0x0e]);
const LINUX_MBR_TYPE = 0x83;
const GPT_PROTECTIVE = 0xee;
const GPT_FAT_TYPES = new Set(['ebd0a0a2-b9e5-4433-87c0-68b6b72699c7', 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b']); // basic data, EFI system
const GPT_LINUX_TYPES = new Set(['0fc63daf-8483-4772-8e79-3d69d8477de4', 'b921b045-1df0-41c3-af44-4c6f280d3fae', '69dad710-2ce4-4e3c-b16c-21a1d49abed3']); // data, root arm64, root arm32

/** Reads at absolute byte positions; an image file or a block device. */
export interface ByteSource {
  read(position: number, length: number): Buffer;
  readonly size: number;
}

export function fileSource(path: string, size: number): ByteSource & { close(): void } {
  const fd = openSync(path, 'r');
  return {
    size,
    read(position, length) {
      const buf = Buffer.alloc(length);
      const n = readSync(fd, buf, 0, length, position);
      return buf.subarray(0, n);
    },
    close: () => closeSync(fd),
  };
}

/** `label` names the target in messages. `sectorSize` is the disk's logical sector size (512 for images). */
export function readPartitionTable(source: ByteSource, label: string, sectorSize = 512): PartitionTable {
  const mbr = source.read(0, 512);
  const what = recognise(mbr);
  if (what) throw new FlashError('FLASH_NOT_IMAGE', `${label} is not a disk image: ${what}`);
  if (mbr.length < 512) throw new FlashError('FLASH_NOT_IMAGE', `${label} is not a disk image: it is only ${mbr.length} bytes long`);
  if (mbr[510] !== 0x55 || mbr[511] !== 0xaa) {
    throw new FlashError('FLASH_NOT_IMAGE', `${label} is not a disk image: it has no partition table (no MBR signature 55 aa at byte 510)`);
  }
  if (isFatBootSector(mbr)) {
    throw new FlashError(
      'FLASH_NOT_IMAGE',
      `${label} holds a bare FAT filesystem, not a partitioned disk: give the whole image or disk (e.g. /dev/sdb, not /dev/sdb1)`,
    );
  }
  const entries = [0, 1, 2, 3].map((i) => mbr.subarray(446 + 16 * i, 462 + 16 * i));
  if (entries.some((e) => e[4] === GPT_PROTECTIVE)) return { scheme: 'gpt', partitions: readGpt(source, label, sectorSize) };
  const partitions: Partition[] = [];
  entries.forEach((e, i) => {
    const type = e[4]!;
    const start = e.readUInt32LE(8);
    const sectors = e.readUInt32LE(12);
    if (type === 0 || sectors === 0) return;
    partitions.push({
      index: i + 1,
      offset: start * sectorSize,
      size: sectors * sectorSize,
      kind: FAT_MBR_TYPES.has(type) ? 'fat' : type === LINUX_MBR_TYPE ? 'linux' : 'other',
      type: type.toString(16).padStart(2, '0'),
    });
  });
  if (partitions.length === 0) throw new FlashError('FLASH_NOT_IMAGE', `${label} has an MBR partition table with no partitions in it`);
  for (const p of partitions) {
    if (p.offset + p.size > source.size) {
      throw new FlashError(
        'FLASH_NOT_IMAGE',
        `${label}: partition ${p.index} ends at byte ${p.offset + p.size}, past the end of the ${source.size} bytes there are (a truncated image?)`,
      );
    }
  }
  return { scheme: 'mbr', partitions };
}

function readGpt(source: ByteSource, label: string, sectorSize: number): Partition[] {
  const header = source.read(sectorSize, 92);
  if (header.subarray(0, 8).toString('latin1') !== 'EFI PART') {
    throw new FlashError('FLASH_NOT_IMAGE', `${label} has a protective MBR but no GPT header at byte ${sectorSize} ("EFI PART" missing)`);
  }
  const entriesLba = Number(header.readBigUInt64LE(72));
  const count = header.readUInt32LE(80);
  const entrySize = header.readUInt32LE(84);
  if (entrySize < 128 || count > 1024) throw new FlashError('FLASH_NOT_IMAGE', `${label}: GPT header is implausible (${count} entries of ${entrySize} bytes)`);
  const table = source.read(entriesLba * sectorSize, count * entrySize);
  const partitions: Partition[] = [];
  for (let i = 0; i < count; i++) {
    const e = table.subarray(i * entrySize, (i + 1) * entrySize);
    if (e.length < 128) break;
    const type = guid(e.subarray(0, 16));
    if (type === '00000000-0000-0000-0000-000000000000') continue;
    const first = Number(e.readBigUInt64LE(32));
    const last = Number(e.readBigUInt64LE(40));
    partitions.push({
      index: i + 1,
      offset: first * sectorSize,
      size: (last - first + 1) * sectorSize,
      kind: GPT_FAT_TYPES.has(type) ? 'fat' : GPT_LINUX_TYPES.has(type) ? 'linux' : 'other',
      type,
    });
  }
  if (partitions.length === 0) throw new FlashError('FLASH_NOT_IMAGE', `${label} has a GPT partition table with no partitions in it`);
  return partitions;
}

/** GPT stores the first three fields of a GUID little-endian. */
function guid(b: Buffer): string {
  const hex = (buf: Buffer) => buf.toString('hex');
  const le = (buf: Buffer) => hex(Buffer.from(buf).reverse());
  return `${le(b.subarray(0, 4))}-${le(b.subarray(4, 6))}-${le(b.subarray(6, 8))}-${hex(b.subarray(8, 10))}-${hex(b.subarray(10, 16))}`;
}

/** A FAT volume boot record also ends in 55 aa; its filesystem-type field tells it from an MBR. */
export function isFatBootSector(sector: Buffer): boolean {
  return sector.subarray(0x52, 0x57).toString('latin1') === 'FAT32' || /^FAT1[26]?/.test(sector.subarray(0x36, 0x3b).toString('latin1'));
}

function recognise(head: Buffer): string | undefined {
  if (head[0] === 0xfd && head.subarray(1, 6).toString('latin1') === '7zXZ\0') return 'it is xz-compressed: decompress it first (xz -dk FILE)';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'it is gzip-compressed: decompress it first (gunzip -k FILE)';
  if (head.subarray(0, 4).toString('latin1') === 'PK\x03\x04') return 'it is a zip archive: unzip it first';
  if (head.subarray(0, 4).toString('latin1') === '(\xb5/\xfd') return 'it is zstd-compressed: decompress it first (zstd -d FILE)';
  return undefined;
}

/** The boot partition: the first FAT partition. */
export function bootPartition(table: PartitionTable, label: string): Partition {
  const fat = table.partitions.find((p) => p.kind === 'fat');
  if (!fat) {
    const found = table.partitions.map((p) => `${p.index} (type ${p.type})`).join(', ');
    throw new FlashError('FLASH_NO_BOOT_PARTITION', `${label} has no FAT partition to boot from (partitions: ${found}): not a Raspberry Pi OS image`);
  }
  return fat;
}

/** The root partition: the first Linux partition after the boot partition, if there is one. */
export function rootPartition(table: PartitionTable): Partition | undefined {
  return table.partitions.find((p) => p.kind === 'linux');
}
