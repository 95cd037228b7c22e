/**
 * A small ustar (POSIX.1-1988) writer and reader for bundle archives: regular files and
 * directories only, nothing else. vigil writes its own rather than depending on a tar package
 * so that every byte of the archive is decided here: entry order, modes, owners and times are
 * whatever the caller passes (bundle.ts passes normalised values), and no pax or GNU extension
 * headers are ever written. The reader accepts exactly what a careful writer produces and refuses
 * the rest (links, devices, extension headers, bad checksums), since it runs on archives that
 * arrived over the network.
 */
import { constants, crc32, deflateRawSync, gunzipSync } from 'node:zlib';

export const BLOCK = 512;
/** GNU tar and Python's tarfile pad archives to 20 blocks; a standard reader expects whole records. */
const RECORD = 20 * BLOCK;
const NAME_MAX = 100;
const PREFIX_MAX = 155;
/**
 * The longest path accepted: what prefix and name hold together. (A split file path could reach
 * 256 with the implied "/", but a directory's name carries a trailing "/", so 255 is the limit
 * that holds for both.)
 */
export const PATH_MAX = PREFIX_MAX + NAME_MAX;
/** 11 octal digits in the size field. */
const SIZE_MAX = 8 ** 11 - 1;

export interface TarEntry {
  /** Relative path with "/" separators; no trailing "/" (the type says it is a directory). */
  path: string;
  type: 'file' | 'directory';
  /** Permission bits only (e.g. 0o644). */
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  /** A file's content (directories have none). */
  data?: Buffer;
}

export class TarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarError';
  }
}

/** The ustar name/prefix split of a path, or an error saying why it does not fit. */
export function splitPath(path: string, type: TarEntry['type'] = 'file'): { name: Buffer; prefix: Buffer } {
  const length = Buffer.byteLength(path, 'utf8');
  const bytes = Buffer.from(type === 'directory' ? `${path}/` : path, 'utf8');
  if (bytes.length <= NAME_MAX) return { name: bytes, prefix: Buffer.alloc(0) };
  if (length <= PATH_MAX) {
    // Split at the last "/" that leaves a prefix of at most 155 bytes and a name of at most 100.
    for (let at = Math.min(PREFIX_MAX, bytes.length - 1); at > 0; at--) {
      if (bytes[at] !== 0x2f) continue;
      const name = bytes.subarray(at + 1);
      if (name.length === 0 || name.length > NAME_MAX) continue;
      return { name, prefix: bytes.subarray(0, at) };
    }
  }
  const why =
    length > PATH_MAX
      ? `is ${length} bytes: ustar holds paths of at most ${PATH_MAX}`
      : `cannot be split into a directory part of at most ${PREFIX_MAX} bytes and a name of at most ${NAME_MAX}, as ustar needs`;
  throw new TarError(`path ${JSON.stringify(path)} ${why} (vigil writes no extension headers): shorten it or list it in .vigilignore`);
}

function writeString(header: Buffer, offset: number, size: number, value: Buffer | string): void {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (bytes.length > size) throw new TarError(`header field of ${size} bytes cannot hold ${JSON.stringify(bytes.toString())}`);
  bytes.copy(header, offset);
}

/** An octal number of `size - 1` digits and a NUL, as ustar wants. */
function writeOctal(header: Buffer, offset: number, size: number, value: number, what: string): void {
  const digits = size - 1;
  if (!Number.isInteger(value) || value < 0 || value >= 8 ** digits) throw new TarError(`${what} ${value} does not fit in ${digits} octal digits`);
  header.write(`${value.toString(8).padStart(digits, '0')}\0`, offset, size, 'ascii');
}

function headerFor(entry: TarEntry): Buffer {
  const header = Buffer.alloc(BLOCK);
  const { name, prefix } = splitPath(entry.path, entry.type);
  const size = entry.type === 'file' ? (entry.data?.length ?? 0) : 0;
  if (size > SIZE_MAX) throw new TarError(`${entry.path} is ${size} bytes: ustar holds files of at most ${SIZE_MAX} bytes`);
  writeString(header, 0, 100, name);
  writeOctal(header, 100, 8, entry.mode & 0o7777, `mode of ${entry.path}`);
  writeOctal(header, 108, 8, entry.uid ?? 0, `uid of ${entry.path}`);
  writeOctal(header, 116, 8, entry.gid ?? 0, `gid of ${entry.path}`);
  writeOctal(header, 124, 12, size, `size of ${entry.path}`);
  writeOctal(header, 136, 12, entry.mtime, `mtime of ${entry.path}`);
  header.write(entry.type === 'directory' ? '5' : '0', 156, 1, 'ascii');
  header.write('ustar\x0000', 257, 8, 'ascii');
  writeString(header, 265, 32, entry.uname ?? '');
  writeString(header, 297, 32, entry.gname ?? '');
  writeOctal(header, 329, 8, 0, 'devmajor');
  writeOctal(header, 337, 8, 0, 'devminor');
  writeString(header, 345, 155, prefix);
  // The checksum is computed with its own field as eight spaces, then stored as 6 digits, NUL, space.
  header.fill(0x20, 148, 156);
  header.write(`${checksumOf(header).toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return header;
}

function checksumOf(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum;
}

/** The archive, in the order given: headers, contents padded to 512 bytes, two zero blocks, padding to a 10 KiB record. */
export function writeTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  let length = 0;
  for (const entry of entries) {
    const header = headerFor(entry);
    parts.push(header);
    length += BLOCK;
    if (entry.type === 'file' && entry.data && entry.data.length > 0) {
      parts.push(entry.data);
      const pad = (BLOCK - (entry.data.length % BLOCK)) % BLOCK;
      if (pad) parts.push(Buffer.alloc(pad));
      length += entry.data.length + pad;
    }
  }
  length += 2 * BLOCK;
  const total = Math.ceil(length / RECORD) * RECORD;
  parts.push(Buffer.alloc(total - length + 2 * BLOCK));
  return Buffer.concat(parts, total);
}

function readString(block: Buffer, offset: number, size: number, at: number): string {
  const field = block.subarray(offset, offset + size);
  const end = field.indexOf(0);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(end === -1 ? field : field.subarray(0, end));
  } catch {
    throw new TarError(`header at byte ${at} has a name that is not UTF-8`);
  }
}

function readOctal(block: Buffer, offset: number, size: number, what: string, at: number): number {
  const field = block.subarray(offset, offset + size);
  if (field[0]! & 0x80) throw new TarError(`header at byte ${at}: ${what} uses the base-256 extension: expected plain octal`);
  const text = field.toString('ascii').replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarError(`header at byte ${at}: ${what} is ${JSON.stringify(text)}: expected an octal number`);
  return parseInt(text, 8);
}

const TYPE_NAMES: Record<string, string> = {
  '1': 'a hard link',
  '2': 'a symbolic link',
  '3': 'a character device',
  '4': 'a block device',
  '6': 'a FIFO',
  '7': 'a contiguous file',
  x: 'a pax extended header',
  g: 'a pax global header',
  L: 'a GNU long name',
  K: 'a GNU long link name',
};

/** Every entry of an uncompressed ustar archive; throws TarError on anything this writer would not produce. */
export function readTar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let at = 0;
  while (at + BLOCK <= archive.length) {
    const block = archive.subarray(at, at + BLOCK);
    if (block.every((b) => b === 0)) return entries;
    const magic = block.subarray(257, 263).toString('latin1');
    if (magic !== 'ustar\0' && magic !== 'ustar ') throw new TarError(`header at byte ${at} has magic ${JSON.stringify(magic)}: expected "ustar" (a tar archive)`);
    const stored = readOctal(block, 148, 8, 'checksum', at);
    if (stored !== checksumOf(block)) throw new TarError(`header at byte ${at} has checksum ${stored} but its bytes sum to ${checksumOf(block)}: the archive is damaged`);
    const name = readString(block, 0, 100, at);
    const prefix = readString(block, 345, 155, at);
    const full = prefix ? `${prefix}/${name}` : name;
    const flag = String.fromCharCode(block[156]!);
    const type = flag === '0' || flag === '\0' ? 'file' : flag === '5' ? 'directory' : undefined;
    if (!type) throw new TarError(`${JSON.stringify(full)} is ${TYPE_NAMES[flag] ?? `of type ${JSON.stringify(flag)}`}: expected only regular files and directories`);
    const size = readOctal(block, 124, 12, 'size', at);
    const dataStart = at + BLOCK;
    if (dataStart + size > archive.length) throw new TarError(`${JSON.stringify(full)} claims ${size} bytes but the archive ends ${archive.length - dataStart} bytes later: it is truncated`);
    const entry: TarEntry = {
      path: type === 'directory' ? full.replace(/\/$/, '') : full,
      type,
      mode: readOctal(block, 100, 8, 'mode', at) & 0o7777,
      mtime: readOctal(block, 136, 12, 'mtime', at),
      uid: readOctal(block, 108, 8, 'uid', at),
      gid: readOctal(block, 116, 8, 'gid', at),
      uname: readString(block, 265, 32, at),
      gname: readString(block, 297, 32, at),
    };
    if (type === 'file') entry.data = Buffer.from(archive.subarray(dataStart, dataStart + size));
    entries.push(entry);
    at = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  throw new TarError(`the archive ends at byte ${archive.length} without its end-of-archive blocks: it is truncated`);
}

/**
 * RFC 1952 by hand rather than zlib.gzipSync, whose header says which OS zlib was built for:
 * here it is always "no time, no name, maximum compression, Unix". The deflate stream is zlib's at
 * fixed settings; it is byte-identical across runs and machines with the same zlib build, though
 * another zlib version may compress differently (the tar inside, and SHA256SUMS, stay identical).
 */
export function gzip(data: Buffer): Buffer {
  const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3]);
  const body = deflateRawSync(data, { level: 9, memLevel: 8, windowBits: 15, strategy: constants.Z_DEFAULT_STRATEGY });
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data), 0);
  trailer.writeUInt32LE(data.length % 2 ** 32, 4);
  return Buffer.concat([header, body, trailer]);
}

/** The tar inside a .tgz. */
export function gunzip(data: Buffer): Buffer {
  return gunzipSync(data);
}
