/**
 * What `vigil flash` refuses, through the real command: bad arguments (before anything is read),
 * targets that are not Raspberry Pi OS images, a missing mtools, a package that is not vigil, a
 * device config that vigil would not load. Each is one line on stderr naming the problem, exit 1,
 * and the image untouched.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { findTool } from '../deploy/flash/fat-tools.js';
import { repoRoot, vigil, type CliResult } from './helpers/cli.js';
import { buildPiImage, cleanScratch, fakeVigilPackage, listBootFiles, rangeSha256, scratch, SECTOR, type PiImage } from './helpers/pi-image.js';

after(cleanScratch);

const HASH = '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1';
const LOGIN = ['--hostname', 'pi', '--user', 'alice', '--password-hash', HASH];

const images: PiImage[] = [];
after(() => images.forEach((i) => i.cleanup()));

/** A fresh Bookworm image and a stand-in package. */
function image(omit: string[] = []): { img: PiImage; pkg: string } {
  const img = buildPiImage({ variant: 'bookworm', omit });
  images.push(img);
  return { img, pkg: fakeVigilPackage(img.dir) };
}

/** The run failed with exit 1 and one line on stderr matching `pattern`. */
function refused(result: CliResult, pattern: RegExp): string {
  assert.equal(result.code, 1, `expected exit 1, got ${result.code}\n${result.stdout}\n${result.stderr}`);
  const lines = result.stderr.split('\n').filter((l) => l.startsWith('vigil: '));
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, pattern);
  assert.equal(result.stdout, '');
  return lines[0]!;
}

const flash = (target: string, args: string[], env?: NodeJS.ProcessEnv) => vigil(['flash', target, ...args], { timeoutMs: 60_000, ...(env ? { env } : {}) });

describe('vigil flash refuses bad arguments before touching the target', () => {
  const cases: Array<[args: string[], pattern: RegExp]> = [
    [['--user', 'alice', '--password-hash', HASH], /--hostname is required/],
    [['--hostname', 'pi', '--password-hash', HASH], /--user is required/],
    [['--hostname', 'pi_one', '--user', 'alice', '--password-hash', HASH], /--hostname "pi_one" is not a valid host name/],
    [['--hostname', 'pi', '--user', 'Alice', '--password-hash', HASH], /--user "Alice" is not a valid user name/],
    [['--hostname', 'pi', '--user', 'alice'], /no way to log in: give --password-hash, --password-file or --ssh-key/],
    [[...LOGIN, '--password-file', '/nonexistent'], /give either --password-hash or --password-file, not both/],
    [['--hostname', 'pi', '--user', 'alice', '--password-hash', 'hunter2'], /--password-hash is not a crypt\(3\) hash/],
    [[...LOGIN, '--wifi-ssid', 'Home', '--wifi-password', 'abcdefgh'], /--wifi-ssid needs --wifi-country/],
    [[...LOGIN, '--wifi-country', 'GBR'], /--wifi-country "GBR" is not a country code/],
    [[...LOGIN, '--timezone', 'Europe/Atlantis'], /--timezone "Europe\/Atlantis" is not a known time zone/],
    [[...LOGIN, '--locale', 'english'], /--locale "english" is not a locale name/],
    [[...LOGIN, '--ssh-key', '/nonexistent/key.pub'], /--ssh-key \/nonexistent\/key.pub cannot be read: no such file/],
    [[...LOGIN, '--config', '/nonexistent/config.json'], /cannot read config \/nonexistent\/config.json: no such file/],
  ];
  for (const [args, pattern] of cases) {
    it(`${args.filter((a) => a.startsWith('--')).join(' ')} → ${pattern.source.slice(0, 60)}`, async () => {
      const dir = scratch('vigil-flash-args-');
      const target = join(dir, 'untouched.img');
      writeFileSync(target, 'not even an image');
      refused(await flash(target, args), pattern);
    });
  }

  it('never quotes a Wi-Fi passphrase back, not even a wrong one', async () => {
    const line = refused(await flash('/nonexistent.img', [...LOGIN, '--wifi-ssid', 'Home', '--wifi-country', 'GB', '--wifi-password', 'tooShrt']), /the Wi-Fi passphrase is not valid \(7 characters\)/);
    assert.ok(!line.includes('tooShrt'));
  });

  it('an invalid device config fails here, as the device would refuse it', async () => {
    const dir = scratch('vigil-flash-config-');
    const config = join(dir, 'config.json');
    const example = JSON.parse(readFileSync(join(repoRoot, 'config', 'pi.example.json'), 'utf8')) as { drivers: { gpio: { lines: { door: { line: number } } } } };
    example.drivers.gpio.lines.door.line = 99;
    writeFileSync(config, JSON.stringify(example));
    const { img, pkg } = image();
    refused(await flash(img.image, [...LOGIN, '--config', config, '--vigil-package', pkg]), new RegExp(`config ${config}: drivers\\.gpio\\.lines\\.door\\.line`));
    assert.ok(!listBootFiles(img.image).includes('firstrun.sh'), 'nothing was written');
  });
});

describe('vigil flash refuses targets that are not Raspberry Pi OS images', () => {
  it('a missing target, a text file, a compressed image', async () => {
    refused(await flash('/nonexistent/raspios.img', LOGIN), /\/nonexistent\/raspios.img does not exist: expected a Raspberry Pi OS image file or a disk/);
    const dir = scratch('vigil-flash-target-');
    writeFileSync(join(dir, 'notes.txt'), 'hello\n'.repeat(200));
    refused(await flash(join(dir, 'notes.txt'), LOGIN), /notes.txt is not a disk image: it has no partition table/);
    writeFileSync(join(dir, 'raspios.img.xz'), Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(1024)]));
    refused(await flash(join(dir, 'raspios.img.xz'), LOGIN), /is xz-compressed: decompress it first \(xz -dk FILE\)/);
    refused(await flash(dir, LOGIN), /is neither an image file nor a block device/);
  });

  it('an image without a FAT partition, and one whose FAT partition holds no filesystem', async () => {
    const dir = scratch('vigil-flash-nofat-');
    const linuxOnly = join(dir, 'linux.img');
    writeFileSync(linuxOnly, '');
    truncateSync(linuxOnly, 8 << 20);
    spawnSync('sfdisk', ['--quiet', linuxOnly], { input: 'label: dos\nstart=2048, type=83\n' });
    refused(await flash(linuxOnly, LOGIN), /linux.img has no FAT partition to boot from \(partitions: 1 \(type 83\)\): not a Raspberry Pi OS image/);
    const emptyFat = join(dir, 'empty-fat.img');
    writeFileSync(emptyFat, '');
    truncateSync(emptyFat, 8 << 20);
    spawnSync('sfdisk', ['--quiet', emptyFat], { input: 'label: dos\nstart=2048, type=c\n' });
    refused(await flash(emptyFat, LOGIN), /partition 1 is marked FAT \(type 0c\) but holds no FAT filesystem/);
  });

  it('a FAT boot partition without config.txt is not Raspberry Pi OS, and is left as it was', async () => {
    const { img, pkg } = image(['config.txt']);
    const before = rangeSha256(img.image, 0, (8192 + 69_632) * SECTOR);
    refused(await flash(img.image, [...LOGIN, '--vigil-package', pkg]), /the boot partition has no config.txt: not a Raspberry Pi OS image/);
    assert.equal(rangeSha256(img.image, 0, (8192 + 69_632) * SECTOR), before);
    assert.ok(!listBootFiles(img.image).includes('firstrun.sh'));
  });

  it('without mtools, says which package to install', async () => {
    const { img, pkg } = image();
    // An empty PATH: no mtools, no debugfs (the CLI itself runs from node's absolute path).
    refused(await flash(img.image, [...LOGIN, '--vigil-package', pkg], { PATH: scratch('vigil-empty-path-') }), /mtools is not installed \(.*mdir.*\): install it with 'apt-get install mtools'/);
  });

  it('a write that does not arrive as sent is caught by reading it back', async () => {
    const { img, pkg } = image();
    // An mcopy that writes something else for config.txt, as a failing card would keep it.
    // flash calls it as: mcopy -i TARGET@@OFFSET -o SOURCE ::/PATH
    const bin = scratch('vigil-bad-mcopy-');
    writeFileSync(join(bin, 'mcopy'), `#!/bin/sh\n[ "$5" = "::/config.txt" ] && printf garbage >"$4"\nexec ${findTool('mcopy')!} "$@"\n`, { mode: 0o755 });
    const line = refused(await flash(img.image, [...LOGIN, '--vigil-package', pkg], { PATH: `${bin}:${process.env.PATH}` }), /reading config.txt back gave 7 bytes that differ from the \d+ written: the card or image may be faulty/);
    assert.match(line, /^vigil: .*raspios-bookworm.img: /);
  });

  it('a --vigil-package that is not vigil', async () => {
    const { img } = image();
    const other = join(img.dir, 'other.tgz');
    writeFileSync(other, 'PK not a tarball');
    refused(await flash(img.image, [...LOGIN, '--vigil-package', other]), /other.tgz is not an npm package tarball \(not gzip\)/);
    refused(await flash(img.image, [...LOGIN, '--vigil-package', join(img.dir, 'missing.tgz')]), /missing.tgz cannot be read: no such file/);
    assert.ok(!listBootFiles(img.image).includes('firstrun.sh'), 'nothing was written');
  });
});
