/**
 * The pieces of `vigil flash` on their own: config.txt and cmdline.txt edits (idempotent, one
 * line), the checks of every option, the WPA PSK, partition tables (MBR, GPT, and what is not
 * one), detection from os-release and fstab, and the package check.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { params, withFirstrun, withoutSerialConsole, withRegdom } from '../deploy/flash/cmdline.js';
import { ensureAllLine, I2C_LINE, UART_LINE } from '../deploy/flash/config-txt.js';
import { detectMode, fstabBootMount, parseOsRelease } from '../deploy/flash/detect.js';
import { FlashError } from '../deploy/flash/errors.js';
import { checkPackage } from '../deploy/flash/package.js';
import { readPartitionTable, type ByteSource } from '../deploy/flash/partition-table.js';
import { checkCountry, checkHostname, checkLocale, checkTimezone, checkUserName, readSshKeys, resolveSettings, wpaPsk } from '../deploy/flash/settings.js';
import { gzip, writeTar } from '../deploy/tar.js';
import { cleanScratch, CMDLINE_TXT, CONFIG_TXT, scratch } from './helpers/pi-image.js';

after(cleanScratch);

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FlashError, `expected a FlashError, got ${String(err)}`);
    return `${err.code}: ${err.message}`;
  }
  assert.fail('expected an error');
}

const memory = (bytes: Buffer): ByteSource => ({ size: bytes.length, read: (p, n) => bytes.subarray(p, p + n) });

describe('config.txt', () => {
  it('uncomments the stock "#dtparam=i2c_arm=on" in the first section instead of adding a line', () => {
    const out = ensureAllLine(CONFIG_TXT, I2C_LINE);
    assert.ok(out.includes('\ndtparam=i2c_arm=on\n'));
    assert.ok(!out.includes('#dtparam=i2c_arm=on'));
    assert.equal(out.split('\n').length, CONFIG_TXT.split('\n').length);
  });

  it('adds enable_uart=1 into a trailing [all] section, and a second run changes nothing', () => {
    const once = ensureAllLine(CONFIG_TXT, UART_LINE);
    assert.equal(once, `${CONFIG_TXT}enable_uart=1\n`, 'appended to the [all] the file ends with, not under a new one');
    assert.equal(ensureAllLine(once, UART_LINE), once);
    const both = ensureAllLine(ensureAllLine(once, I2C_LINE), UART_LINE);
    assert.equal(ensureAllLine(ensureAllLine(both, I2C_LINE), UART_LINE), both);
  });

  it('opens an [all] section when the file ends inside a board filter', () => {
    const text = 'arm_64bit=1\n[pi4]\nenable_uart=1\n';
    const out = ensureAllLine(text, UART_LINE);
    assert.equal(out, 'arm_64bit=1\n[pi4]\nenable_uart=1\n[all]\nenable_uart=1\n');
    assert.equal(ensureAllLine(out, UART_LINE), out);
  });

  it('replaces a conflicting setting for all boards, and leaves one under a filter alone', () => {
    assert.equal(ensureAllLine('enable_uart=0\n[cm4]\notg_mode=1\n', UART_LINE), 'enable_uart=1\n[cm4]\notg_mode=1\n');
    assert.equal(ensureAllLine('dtparam=i2c_arm=off\n', I2C_LINE), 'dtparam=i2c_arm=on\n');
    assert.equal(ensureAllLine('[pi5]\ndtparam=i2c_arm=off\n', I2C_LINE), '[pi5]\ndtparam=i2c_arm=off\n[all]\ndtparam=i2c_arm=on\n');
  });

  it('copes with an empty file and one without a final newline', () => {
    assert.equal(ensureAllLine('', UART_LINE), 'enable_uart=1\n');
    assert.equal(ensureAllLine('arm_64bit=1', UART_LINE), 'arm_64bit=1\nenable_uart=1\n');
  });
});

describe('cmdline.txt', () => {
  it('adds the one-shot run once, replacing an earlier one, as one line', () => {
    const once = withFirstrun(CMDLINE_TXT, '/boot/firmware/firstrun.sh');
    assert.equal(once, `${CMDLINE_TXT.trim()} systemd.run=/boot/firmware/firstrun.sh systemd.run_success_action=reboot systemd.unit=kernel-command-line.target\n`);
    assert.equal(withFirstrun(once, '/boot/firmware/firstrun.sh'), once);
    const moved = withFirstrun(once, '/boot/firstrun.sh');
    assert.equal(params(moved).filter((p) => p.startsWith('systemd.run=')).join(), 'systemd.run=/boot/firstrun.sh');
  });

  it('joins a command line broken over lines back into one', () => {
    const out = withRegdom('console=tty1\nroot=PARTUUID=1-02\n\n', 'DE');
    assert.equal(out, 'console=tty1 root=PARTUUID=1-02 cfg80211.ieee80211_regdom=DE\n');
    assert.equal(withRegdom(out, 'FR'), 'console=tty1 root=PARTUUID=1-02 cfg80211.ieee80211_regdom=FR\n');
  });

  it('takes only the serial console off for --uart', () => {
    assert.equal(withoutSerialConsole('console=serial0,115200 console=tty1 root=x\n'), 'console=tty1 root=x\n');
    assert.equal(withoutSerialConsole('console=ttyAMA0,115200 console=tty1\n'), 'console=tty1\n');
    assert.equal(withoutSerialConsole('console=tty1 quiet\n'), 'console=tty1 quiet\n');
  });
});

describe('settings', () => {
  it('host names follow RFC 1123', () => {
    for (const ok of ['pi', 'greenhouse-pi-01', 'a.b.example', '7a', 'x'.repeat(63)]) assert.equal(checkHostname(ok), ok);
    for (const bad of ['', '-pi', 'pi-', 'pi_1', 'pi one', 'x'.repeat(64), 'a..b', 'pi.']) assert.match(code(() => checkHostname(bad)), /FLASH_BAD_ARGUMENT: --hostname .* is not a valid host name/);
  });

  it("user names follow adduser's default rule, and system accounts are refused", () => {
    for (const ok of ['alice', 'a', 'bob_2', 'ops-team']) assert.equal(checkUserName(ok), ok);
    for (const bad of ['Alice', '1bob', 'bob smith', 'bob:', 'a'.repeat(33), '']) assert.match(code(() => checkUserName(bad)), /is not a valid user name/);
    assert.match(code(() => checkUserName('root')), /cannot be used: the system has an account of that name/);
    assert.match(code(() => checkUserName('vigil')), /it is the account vigil runs as/);
  });

  it('time zones must exist in zoneinfo when there is one, and be well-formed always', () => {
    const zoneinfo = scratch('vigil-zoneinfo-');
    mkdirSync(join(zoneinfo, 'Europe'));
    writeFileSync(join(zoneinfo, 'Europe', 'Berlin'), 'TZif');
    assert.equal(checkTimezone('Europe/Berlin', zoneinfo), 'Europe/Berlin');
    assert.match(code(() => checkTimezone('Europe/Atlantis', zoneinfo)), /is not a known time zone/);
    assert.match(code(() => checkTimezone('Europe', zoneinfo)), /is not a known time zone/);
    assert.match(code(() => checkTimezone('../etc/passwd', zoneinfo)), /is not a time zone name/);
    assert.equal(checkTimezone('Mars/Olympus_Mons', join(zoneinfo, 'absent')), 'Mars/Olympus_Mons');
  });

  it('locales and countries', () => {
    assert.equal(checkLocale('en_GB.UTF-8'), 'en_GB.UTF-8');
    assert.equal(checkLocale('C.UTF-8'), 'C.UTF-8');
    assert.match(code(() => checkLocale('english')), /is not a locale name/);
    assert.equal(checkCountry('gb'), 'GB');
    assert.match(code(() => checkCountry('GBR')), /expected two letters/);
  });

  it('the WPA PSK is PBKDF2-SHA1 of passphrase and SSID (IEEE 802.11i test vector); 64 hex digits pass through', () => {
    assert.equal(wpaPsk('password', 'IEEE'), 'f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e');
    assert.equal(wpaPsk('ThisIsAPassword', 'ThisIsASSID'), '0dc0d6eb90555ed6419756b9a15ec3e3209b63df707dd508d14581f8982721af');
    assert.equal(wpaPsk('F42C6FC52DF0EBEF9EBB4B90B38A5F902E83FE1B135A70E23AED762E9710A12E', 'x'), 'f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e');
    const short = code(() => wpaPsk('hunter2', 'x'));
    assert.match(short, /expected 8–63 printable ASCII characters/);
    assert.ok(!short.includes('hunter2'), 'the passphrase is not quoted back');
    assert.match(code(() => wpaPsk('x'.repeat(64), 'x')), /not valid \(64 characters\)/);
  });

  it('SSH keys: public keys only, one per line, comments skipped', () => {
    const dir = scratch('vigil-keys-');
    const ok = join(dir, 'keys.pub');
    writeFileSync(ok, '# laptop\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGlB0xz9RR6u6AnX7D9L1n1dsJF8Jq4XUWuaQxKblvIT me@laptop\n\necdsa-sha2-nistp256 AAAAE2VjZHNh= ci\n');
    assert.equal(readSshKeys(ok).length, 2);
    const priv = join(dir, 'id_ed25519');
    writeFileSync(priv, '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n');
    assert.match(code(() => readSshKeys(priv)), /is a private key: give the public key/);
    const junk = join(dir, 'junk.pub');
    writeFileSync(junk, 'ssh-ed25519 AAAA ok\nhello world\n');
    assert.match(code(() => readSshKeys(junk)), /line 2 is not an OpenSSH public key/);
    assert.match(code(() => readSshKeys(join(dir, 'none.pub'))), /cannot be read: no such file/);
  });

  it('needs a way to log in, a country for Wi-Fi, and one source per secret', () => {
    const base = { hostname: 'pi', user: 'alice' };
    assert.match(code(() => resolveSettings(base)), /no way to log in/);
    assert.match(code(() => resolveSettings({ user: 'alice', passwordHash: '$6$a$b' })), /--hostname is required/);
    const hash = '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1';
    assert.match(code(() => resolveSettings({ ...base, passwordHash: hash, wifiSsid: 'Home', wifiPassword: 'abcdefgh' })), /--wifi-ssid needs --wifi-country/);
    assert.match(code(() => resolveSettings({ ...base, passwordHash: hash, wifiSsid: 'Home', wifiCountry: 'GB' })), /needs --wifi-password-file/);
    assert.match(code(() => resolveSettings({ ...base, passwordHash: hash, wifiPassword: 'abcdefgh' })), /needs --wifi-ssid/);
    assert.match(code(() => resolveSettings({ ...base, passwordHash: 'hunter22' })), /--password-hash is not a crypt\(3\) hash/);
    const dir = scratch('vigil-secret-');
    writeFileSync(join(dir, 'pw'), `${hash}\n`);
    assert.match(code(() => resolveSettings({ ...base, passwordFile: join(dir, 'pw') })), /holds a password hash, not a password/);
    writeFileSync(join(dir, 'empty'), '\n');
    assert.match(code(() => resolveSettings({ ...base, passwordFile: join(dir, 'empty') })), /is empty/);
    const s = resolveSettings({ ...base, passwordHash: hash, wifiSsid: 'Home', wifiPassword: 'abcdefgh', wifiCountry: 'de', wifiHidden: true });
    assert.deepEqual(s.wifi, { ssid: 'Home', psk: wpaPsk('abcdefgh', 'Home'), hidden: true });
    assert.equal(s.country, 'DE');
  });
});

describe('partition tables', () => {
  const mbr = (entries: Array<[type: number, start: number, sectors: number]>, size = 64 << 20) => {
    const disk = Buffer.alloc(size);
    entries.forEach(([type, start, sectors], i) => {
      const e = 446 + 16 * i;
      disk[e + 4] = type;
      disk.writeUInt32LE(start, e + 8);
      disk.writeUInt32LE(sectors, e + 12);
    });
    disk[510] = 0x55;
    disk[511] = 0xaa;
    return disk;
  };

  it('reads MBR partitions with their offsets and kinds', () => {
    const table = readPartitionTable(memory(mbr([[0x0c, 8192, 1024], [0x83, 9216, 2048]])), 'x.img');
    assert.equal(table.scheme, 'mbr');
    assert.deepEqual(
      table.partitions.map((p) => [p.index, p.offset, p.size, p.kind, p.type]),
      [
        [1, 8192 * 512, 1024 * 512, 'fat', '0c'],
        [2, 9216 * 512, 2048 * 512, 'linux', '83'],
      ],
    );
  });

  it('says what a file is when it is not a partitioned disk', () => {
    assert.match(code(() => readPartitionTable(memory(Buffer.concat([Buffer.from([0xfd]), Buffer.from('7zXZ\0'), Buffer.alloc(600)])), 'a.img.xz')), /FLASH_NOT_IMAGE: a.img.xz is not a disk image: it is xz-compressed: decompress it first/);
    assert.match(code(() => readPartitionTable(memory(gzipSync(Buffer.alloc(4096))), 'a.img.gz')), /gzip-compressed/);
    assert.match(code(() => readPartitionTable(memory(Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(600)])), 'a.zip')), /zip archive/);
    assert.match(code(() => readPartitionTable(memory(Buffer.alloc(100)), 'tiny')), /only 100 bytes long/);
    assert.match(code(() => readPartitionTable(memory(Buffer.alloc(4096)), 'zeros')), /no partition table/);
    const fat = Buffer.alloc(4096);
    fat.write('FAT32   ', 0x52, 'latin1');
    fat[510] = 0x55;
    fat[511] = 0xaa;
    assert.match(code(() => readPartitionTable(memory(fat), '/dev/sdb1')), /holds a bare FAT filesystem, not a partitioned disk: give the whole image or disk/);
    assert.match(code(() => readPartitionTable(memory(mbr([])), 'empty.img')), /with no partitions in it/);
    assert.match(code(() => readPartitionTable(memory(mbr([[0x0c, 8192, 1 << 20]])), 'cut.img')), /past the end .* \(a truncated image\?\)/);
  });
});

describe('detection', () => {
  it('reads os-release and where fstab mounts the boot partition', () => {
    assert.deepEqual(parseOsRelease('ID=debian\nVERSION_CODENAME=trixie\nPRETTY_NAME="Debian GNU/Linux 13 (trixie)"\n'), {
      ID: 'debian',
      VERSION_CODENAME: 'trixie',
      PRETTY_NAME: 'Debian GNU/Linux 13 (trixie)',
    });
    assert.equal(fstabBootMount('PARTUUID=1-01  /boot/firmware  vfat defaults 0 2\n'), '/boot/firmware');
    assert.equal(fstabBootMount('# /boot/firmware\nPARTUUID=1-01  /boot  vfat defaults 0 2\n'), '/boot');
    assert.equal(fstabBootMount('proc /proc proc defaults 0 0\n'), undefined);
  });

  it('the boot partition decides first, then the root; the boot directory follows fstab, else the release', () => {
    const seed = new Set(['config.txt', 'cmdline.txt', 'user-data', 'meta-data']);
    assert.equal(detectMode(seed, { unreadable: 'no root' }).mode, 'cloud-init');
    const plain = new Set(['config.txt', 'cmdline.txt']);
    assert.equal(detectMode(plain, { cloudInit: true }).mode, 'cloud-init');
    const legacy = detectMode(plain, { cloudInit: false, osRelease: { VERSION_CODENAME: 'bullseye' } });
    assert.deepEqual([legacy.mode, legacy.bootDir, legacy.codename], ['firstrun', '/boot', 'bullseye']);
    assert.equal(detectMode(plain, { cloudInit: false, osRelease: { VERSION_CODENAME: 'bookworm' } }).bootDir, '/boot/firmware');
    assert.equal(detectMode(plain, { cloudInit: false, bootMount: '/boot', osRelease: { VERSION_CODENAME: 'bookworm' } }).bootDir, '/boot');
    assert.match(detectMode(plain, { unreadable: 'debugfs is not installed' }).reason, /not read \(debugfs is not installed\)/);
  });
});

describe('the vigil package', () => {
  const entry = (path: string, text: string) => ({ path, type: 'file' as const, mode: 0o644, mtime: 0, data: Buffer.from(text) });
  it("accepts an npm tarball of vigil and returns its version; refuses others, naming what they are", () => {
    const good = gzip(writeTar([entry('package/package.json', '{"name":"vigil","version":"1.2.3"}'), entry('package/dist/bin/vigil.js', '')]));
    assert.equal(checkPackage(good, 'p.tgz'), '1.2.3');
    assert.match(code(() => checkPackage(Buffer.from('hello'), 'p.tgz')), /not gzip/);
    assert.match(code(() => checkPackage(gzip(writeTar([entry('package/package.json', '{"name":"left-pad","version":"1.0.0"}')])), 'p.tgz')), /is the package "left-pad", not vigil/);
    assert.match(code(() => checkPackage(gzip(writeTar([entry('package/package.json', '{"name":"vigil","version":"1.0.0"}')])), 'p.tgz')), /packed without building/);
    assert.match(code(() => checkPackage(gzip(writeTar([entry('README', 'x')])), 'p.tgz')), /has no package\/package.json/);
  });
});
