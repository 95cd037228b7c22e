/**
 * `vigil flash` on image files, run as the real command on images built here (Bookworm-era and
 * 2025+ Trixie, MBR and GPT), then read back with mtools: the files and their content, the
 * scripts' syntax, cmdline.txt as one line, YAML as cloud-init's YAML 1.1 reads it, idempotence,
 * the root partition never written, no secret in the output.
 */
import assert from 'node:assert/strict';
import { createHash, pbkdf2Sync } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { FlashError } from '../deploy/flash/errors.js';
import { firstbootScript } from '../deploy/flash/firstboot.js';
import { packVigil, tarMember } from '../deploy/flash/package.js';
import { sha512Crypt } from '../deploy/flash/sha512-crypt.js';
import { repoRoot, vigil, type CliResult } from './helpers/cli.js';
import { buildPiImage, cleanScratch, CMDLINE_TXT, fakeVigilPackage, listBootFiles, rangeSha256, readBootFile, scratch, type ImageOptions, type PiImage } from './helpers/pi-image.js';

after(cleanScratch);

const PASSWORD = 'correct horse 42';
const PASSPHRASE = 'wifi-secret-123';
const HASH = '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGlB0xz9RR6u6AnX7D9L1n1dsJF8Jq4XUWuaQxKblvIT alice@laptop';

const images: PiImage[] = [];
after(() => images.forEach((i) => i.cleanup()));

interface Setup {
  img: PiImage;
  pkg: string;
  files: { password: string; wifi: string; key: string; config: string };
}

function setup(options: ImageOptions): Setup {
  const img = buildPiImage(options);
  images.push(img);
  const files = { password: join(img.dir, 'password'), wifi: join(img.dir, 'wifi'), key: join(img.dir, 'key.pub'), config: join(repoRoot, 'config', 'pi.example.json') };
  writeFileSync(files.password, `${PASSWORD}\n`);
  writeFileSync(files.wifi, `${PASSPHRASE}\n`);
  writeFileSync(files.key, `${KEY}\n`);
  return { img, pkg: fakeVigilPackage(img.dir), files };
}

async function flash(target: string, args: string[]): Promise<CliResult> {
  return vigil(['flash', target, ...args], { timeoutMs: 60_000 });
}

function ok(result: CliResult): CliResult {
  assert.equal(result.code, 0, `vigil flash failed:\n${result.stderr}`);
  return result;
}

const text = (img: PiImage, path: string) => {
  const data = readBootFile(img.image, path);
  assert.ok(data, `${path} is missing from the boot partition`);
  return data.toString('utf8');
};

/** Every file of the boot partition and its bytes. */
function snapshot(img: PiImage): Map<string, string> {
  return new Map(listBootFiles(img.image).map((p) => [p, readBootFile(img.image, p)!.toString('base64')]));
}

const psk = (passphrase: string, ssid: string) => pbkdf2Sync(passphrase, ssid, 4096, 32, 'sha1').toString('hex');
const rootSum = (img: PiImage) => rangeSha256(img.image, img.rootOffset, img.rootSize);

describe('vigil flash on a Bookworm-era image (firstrun.sh)', () => {
  it('writes firstrun.sh, userconf.txt, ssh and vigil/, runs it once from a one-line cmdline.txt, and leaves the root alone', async () => {
    const { img, pkg, files } = setup({ variant: 'bookworm' });
    const rootBefore = rootSum(img);
    const before = new Set(listBootFiles(img.image));
    const result = ok(
      await flash(img.image, [
        '--hostname', 'greenhouse-1', '--user', 'alice', '--password-file', files.password, '--ssh-key', files.key,
        '--wifi-ssid', "Bob's Net", '--wifi-password-file', files.wifi, '--wifi-country', 'gb',
        '--timezone', 'Europe/London', '--locale', 'en_GB.UTF-8', '--keyboard', 'gb', '--i2c', '--uart',
        '--config', files.config, '--vigil-package', pkg, '--json',
      ]),
    );
    const out = JSON.parse(result.stdout) as { mode: string; codename: string; bootDir: string; files: Array<{ path: string; size: number; sha256: string }> };
    assert.equal(out.mode, 'firstrun');
    assert.equal(out.codename, 'bookworm');
    assert.equal(out.bootDir, '/boot/firmware');
    assert.deepEqual(out.files.map((f) => f.path).sort(), ['cmdline.txt', 'config.txt', 'firstrun.sh', 'ssh', 'userconf.txt', 'vigil/config.json', 'vigil/firstboot.sh', 'vigil/vigil.tgz']);
    for (const f of out.files) {
      const data = readBootFile(img.image, f.path)!;
      assert.equal(data.length, f.size, f.path);
      assert.equal(createHash('sha256').update(data).digest('hex'), f.sha256, f.path);
    }
    // Nothing of the image went missing; nothing of cloud-init appeared.
    const after = new Set(listBootFiles(img.image));
    for (const name of before) assert.ok(after.has(name), `${name} was lost`);
    assert.ok(!after.has('user-data') && !after.has('meta-data'));
    assert.equal(rootSum(img), rootBefore, 'the root partition was written');

    const cmdline = text(img, 'cmdline.txt');
    assert.equal(cmdline.split('\n').length, 2, 'cmdline.txt is one line');
    assert.ok(cmdline.endsWith(' systemd.run=/boot/firmware/firstrun.sh systemd.run_success_action=reboot systemd.unit=kernel-command-line.target\n'));
    assert.ok(!cmdline.includes('console=serial0'), '--uart takes the serial console off');
    assert.ok(cmdline.includes('console=tty1 root=PARTUUID=4e639091-02'));

    const config = text(img, 'config.txt');
    assert.match(config, /^dtparam=i2c_arm=on$/m);
    assert.doesNotMatch(config, /#dtparam=i2c_arm=on/);
    assert.ok(config.endsWith('[cm5]\ndtoverlay=dwc2,dr_mode=host\n\n[all]\nenable_uart=1\n'), config.slice(-80));

    const [user, hash] = text(img, 'userconf.txt').trim().split(':');
    assert.equal(user, 'alice');
    assert.equal(sha512Crypt(PASSWORD, hash!), hash, 'userconf.txt holds the SHA-512 crypt of the password');
    assert.equal(readBootFile(img.image, 'ssh')!.length, 0);

    const script = text(img, 'firstrun.sh');
    assert.equal(spawnSync('bash', ['-n'], { input: script }).status, 0, 'firstrun.sh is valid bash');
    assert.ok(script.startsWith('#!/bin/bash\n'));
    assert.match(script, /^NEW_HOSTNAME='greenhouse-1'$/m);
    assert.match(script, /^NEW_USER='alice'$/m);
    assert.ok(script.includes(`\n${KEY}\nKEYS_END\n`), 'the key goes into authorized_keys');
    assert.ok(script.includes(`set_wlan 'Bob'\\''s Net' '${psk(PASSPHRASE, "Bob's Net")}' 'GB'`), 'Wi-Fi by PSK, the SSID quoted for the shell');
    assert.ok(script.includes(`ssid=${[...Buffer.from("Bob's Net")].join(';')};`));
    assert.ok(script.includes("set_timezone 'Europe/London'") && script.includes("set_keymap 'gb'") && script.includes("update-locale LANG='en_GB.UTF-8'"));
    assert.ok(script.includes('bash "$BOOT/vigil/firstboot.sh" stage "$BOOT"'));

    // The script's own clean-up, run on a copy: it takes off exactly what flash added.
    const boot = scratch('vigil-boot-');
    writeFileSync(join(boot, 'cmdline.txt'), cmdline);
    const cleanup = script.split('\n').find((l) => l.startsWith('sed -i -E'))!;
    assert.equal(spawnSync('bash', ['-c', cleanup], { env: { ...process.env, BOOT: boot } }).status, 0);
    assert.equal(readFileSync(join(boot, 'cmdline.txt'), 'utf8'), CMDLINE_TXT.replace('console=serial0,115200 ', ''));

    // The script flash-firstboot.test.ts runs.
    const firstboot = text(img, 'vigil/firstboot.sh');
    assert.equal(firstboot, firstbootScript({ i2c: true }));
    assert.ok(firstboot.includes('"$vigil" install --config "$STATE/config.json" --force-config'), 'the device config goes to vigil install');
    assert.ok(readBootFile(img.image, 'vigil/vigil.tgz')!.equals(readFileSync(pkg)));
    assert.ok(readBootFile(img.image, 'vigil/config.json')!.equals(readFileSync(files.config)));

    // No secret in anything printed.
    for (const secret of [PASSWORD, PASSPHRASE, psk(PASSPHRASE, "Bob's Net"), hash!]) {
      assert.ok(!result.stdout.includes(secret) && !result.stderr.includes(secret), 'a secret was printed');
    }
    assert.match(result.stderr, /^vigil flash: first boot by firstrun \(Raspberry Pi OS bookworm\)/m);
    assert.match(result.stderr, /^vigil flash: verifying 8 files$/m);
  });

  it('with a key only: the password is locked, sudo needs none, SSH password logins are off', async () => {
    const { img, pkg, files } = setup({ variant: 'bookworm' });
    ok(await flash(img.image, ['--hostname', 'pi', '--user', 'ops', '--ssh-key', files.key, '--vigil-package', pkg]));
    assert.equal(text(img, 'userconf.txt'), 'ops:*\n');
    const script = text(img, 'firstrun.sh');
    assert.ok(script.includes('NOPASSWD:ALL'));
    assert.ok(script.includes("echo 'PasswordAuthentication no'"));
    assert.ok(!script.includes('set_wlan') && !script.includes('set_timezone'), 'only what was asked for');
    assert.equal(text(img, 'vigil/firstboot.sh'), firstbootScript({ i2c: false }));
    assert.equal(text(img, 'cmdline.txt').split('\n').length, 2);
    assert.ok(text(img, 'cmdline.txt').startsWith('console=serial0,115200 '), 'without --uart the serial console stays');
  });

  it('flashing twice gives the same files, and a later flash removes what no longer belongs', async () => {
    const { img, pkg, files } = setup({ variant: 'bookworm' });
    const args = ['--hostname', 'pi', '--user', 'alice', '--password-hash', HASH, '--ssh-key', files.key, '--wifi-ssid', 'Home', '--wifi-password', PASSPHRASE, '--wifi-country', 'DE', '--i2c', '--uart', '--vigil-package', pkg];
    ok(await flash(img.image, [...args, '--config', files.config]));
    const first = snapshot(img);
    ok(await flash(img.image, [...args, '--config', files.config]));
    assert.deepEqual(snapshot(img), first);

    const again = JSON.parse(ok(await flash(img.image, [...args, '--json'])).stdout) as { removed: string[] };
    assert.deepEqual(again.removed, ['vigil/config.json']);
    assert.equal(readBootFile(img.image, 'vigil/config.json'), undefined);
  });

  it("runs firstrun.sh from /boot when the root's fstab mounts the boot partition there", async () => {
    const { img, pkg } = setup({ variant: 'bookworm', bootMount: '/boot' });
    const out = JSON.parse(ok(await flash(img.image, ['--hostname', 'pi', '--user', 'alice', '--password-hash', HASH, '--vigil-package', pkg, '--json'])).stdout) as Record<string, unknown>;
    assert.equal(out.bootDir, '/boot');
    assert.match(text(img, 'cmdline.txt'), / systemd\.run=\/boot\/firstrun\.sh /);
  });

  it('with a root it cannot read, it says so and goes by the boot partition alone', async () => {
    const { img, pkg } = setup({ variant: 'bookworm' });
    // Wipe the ext4 superblock (at 1024 bytes into the partition).
    const fd = openSync(img.image, 'r+');
    writeSync(fd, Buffer.alloc(1024), 0, 1024, img.rootOffset + 1024);
    closeSync(fd);
    const out = JSON.parse(ok(await flash(img.image, ['--hostname', 'pi', '--user', 'alice', '--password-hash', HASH, '--vigil-package', pkg, '--json'])).stdout) as Record<string, unknown>;
    assert.equal(out.mode, 'firstrun');
    assert.equal(out.reason, 'no cloud-init seed in the boot partition; the root filesystem was not read (partition 2 is not an ext2/3/4 filesystem)');
    assert.equal(out.bootDir, '/boot/firmware');
    assert.equal(out.codename, undefined);
  });

  it('reads a GPT partition table the same way', async () => {
    const { img, pkg } = setup({ variant: 'bookworm', label: 'gpt' });
    const rootBefore = rootSum(img);
    const result = ok(await flash(img.image, ['--hostname', 'pi', '--user', 'alice', '--password-hash', HASH, '--vigil-package', pkg]));
    assert.match(result.stderr, /boot partition 1: FAT, .* \(GPT\)/);
    assert.match(text(img, 'cmdline.txt'), /systemd\.run=\/boot\/firmware\/firstrun\.sh/);
    assert.equal(rootSum(img), rootBefore);
  });
});

describe('vigil flash on a 2025+ image (cloud-init)', () => {
  it('writes user-data, network-config and a new meta-data that cloud-init (YAML 1.1) reads as meant', async () => {
    const { img, pkg, files } = setup({ variant: 'trixie' });
    const rootBefore = rootSum(img);
    const result = ok(
      await flash(img.image, [
        '--hostname', 'greenhouse-2', '--user', 'alice', '--password-file', files.password, '--ssh-key', files.key,
        '--wifi-ssid', 'NO', '--wifi-password-file', files.wifi, '--wifi-country', 'no', '--wifi-hidden',
        '--timezone', 'Europe/Oslo', '--locale', 'nb_NO.UTF-8', '--keyboard', 'no', '--i2c',
        '--vigil-package', pkg, '--json',
      ]),
    );
    const out = JSON.parse(result.stdout) as { mode: string; reason: string; files: Array<{ path: string }> };
    assert.equal(out.mode, 'cloud-init');
    assert.match(out.reason, /the boot partition holds user-data, meta-data, network-config/);
    assert.deepEqual(out.files.map((f) => f.path).sort(), ['cmdline.txt', 'config.txt', 'meta-data', 'network-config', 'user-data', 'vigil/firstboot.sh', 'vigil/vigil.tgz']);
    assert.equal(readBootFile(img.image, 'firstrun.sh'), undefined);
    assert.equal(rootSum(img), rootBefore, 'the root partition was written');

    const userData = text(img, 'user-data');
    assert.ok(userData.startsWith('#cloud-config\n'));
    // As PyYAML reads it: YAML 1.1, where a bare NO would be false.
    const doc = parse(userData, { version: '1.1' }) as Record<string, unknown>;
    assert.equal(doc.hostname, 'greenhouse-2');
    assert.equal(doc.timezone, 'Europe/Oslo');
    assert.equal(doc.locale, 'nb_NO.UTF-8');
    assert.deepEqual(doc.keyboard, { model: 'pc105', layout: 'no' });
    assert.equal(doc.ssh_pwauth, false, 'with a key, no SSH password logins');
    const [user] = doc.users as Array<Record<string, unknown>>;
    assert.equal(user!.name, 'alice');
    assert.equal(user!.lock_passwd, false);
    assert.equal(sha512Crypt(PASSWORD, user!.passwd as string), user!.passwd);
    assert.deepEqual(user!.ssh_authorized_keys, [KEY]);
    for (const group of ['gpio', 'i2c', 'dialout', 'bluetooth', 'netdev', 'sudo']) assert.ok((user!.groups as string).split(',').includes(group), group);
    assert.equal(user!.sudo, undefined, 'with a password, sudo asks for it');
    assert.deepEqual((doc.runcmd as unknown[]).at(-1), ['bash', '/boot/firmware/vigil/firstboot.sh', 'stage', '/boot/firmware', 'now']);

    const net = (parse(text(img, 'network-config'), { version: '1.1' }) as { network: Record<string, any> }).network;
    assert.equal(net.version, 2);
    const wlan = net.wifis.wlan0;
    assert.equal(wlan['regulatory-domain'], 'NO');
    assert.deepEqual(wlan['access-points'], { NO: { password: psk(PASSPHRASE, 'NO'), hidden: true } });

    assert.match(text(img, 'meta-data'), /^instance-id: vigil-\d{8}T\d{6}Z-[0-9a-f]{6}\n$/);
    const cmdline = text(img, 'cmdline.txt');
    assert.equal(cmdline, `${CMDLINE_TXT.trim()} cfg80211.ieee80211_regdom=NO\n`);
    assert.match(text(img, 'config.txt'), /^dtparam=i2c_arm=on$/m);
    for (const secret of [PASSWORD, PASSPHRASE, psk(PASSPHRASE, 'NO')]) assert.ok(!result.stdout.includes(secret) && !result.stderr.includes(secret));
  });

  it('flashing twice gives the same files but a new instance-id, so cloud-init runs again', async () => {
    const { img, pkg, files } = setup({ variant: 'trixie' });
    const args = ['--hostname', 'pi', '--user', 'alice', '--password-hash', HASH, '--ssh-key', files.key, '--wifi-ssid', 'Home', '--wifi-password', PASSPHRASE, '--wifi-country', 'GB', '--i2c', '--uart', '--vigil-package', pkg];
    ok(await flash(img.image, args));
    const first = snapshot(img);
    ok(await flash(img.image, args));
    const second = snapshot(img);
    assert.notEqual(second.get('meta-data'), first.get('meta-data'));
    first.delete('meta-data');
    second.delete('meta-data');
    assert.deepEqual(second, first);
    const cmdline = text(img, 'cmdline.txt');
    assert.equal(cmdline.match(/cfg80211\.ieee80211_regdom=/g)?.length, 1);
    const doc = parse(text(img, 'user-data'), { version: '1.1' }) as { ssh_pwauth: boolean; users: Array<Record<string, unknown>> };
    assert.equal(doc.users[0]!.passwd, HASH);
  });

  it('with a password only: SSH password logins on; with a key only: locked password and sudo without one', async () => {
    const { img, pkg, files } = setup({ variant: 'trixie' });
    ok(await flash(img.image, ['--hostname', 'pi', '--user', 'alice', '--password-hash', HASH, '--vigil-package', pkg]));
    let doc = parse(text(img, 'user-data'), { version: '1.1' }) as { ssh_pwauth: boolean; users: Array<Record<string, unknown>> };
    assert.equal(doc.ssh_pwauth, true);
    assert.equal(doc.users[0]!.ssh_authorized_keys, undefined);
    const net = parse(text(img, 'network-config'), { version: '1.1' }) as { network: Record<string, unknown> };
    assert.equal(net.network.wifis, undefined);
    assert.equal(text(img, 'cmdline.txt'), CMDLINE_TXT, 'nothing to change on the command line');

    ok(await flash(img.image, ['--hostname', 'pi', '--user', 'alice', '--ssh-key', files.key, '--vigil-package', pkg]));
    doc = parse(text(img, 'user-data'), { version: '1.1' }) as typeof doc;
    assert.equal(doc.ssh_pwauth, false);
    assert.equal(doc.users[0]!.lock_passwd, true);
    assert.equal(doc.users[0]!.passwd, undefined);
    assert.equal(doc.users[0]!.sudo, 'ALL=(ALL) NOPASSWD:ALL');
  });

  it('recognises cloud-init from the root filesystem when the boot partition has no seed', async () => {
    const { img, pkg } = setup({ variant: 'trixie', omit: ['user-data', 'meta-data', 'network-config'] });
    const out = JSON.parse(ok(await flash(img.image, ['--hostname', 'pi', '--user', 'alice', '--password-hash', HASH, '--vigil-package', pkg, '--json'])).stdout) as { mode: string; reason: string; codename: string };
    assert.equal(out.mode, 'cloud-init');
    assert.equal(out.reason, 'the root filesystem has /usr/bin/cloud-init');
    assert.equal(out.codename, 'trixie');
    assert.ok(readBootFile(img.image, 'user-data'));
  });

  it('packs the running vigil when no --vigil-package is given', async () => {
    const { img } = setup({ variant: 'trixie' });
    const result = ok(await flash(img.image, ['--hostname', 'pi', '--user', 'alice', '--password-hash', HASH]));
    assert.match(result.stderr, /packing the running vigil \(npm pack\)/);
    const tgz = readBootFile(img.image, 'vigil/vigil.tgz')!;
    const manifest = JSON.parse(tarMember(tgz, 'package/package.json')!.toString('utf8')) as { name: string; version: string };
    const own = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    assert.deepEqual([manifest.name, manifest.version], ['vigil', own.version]);
    assert.ok(tarMember(tgz, 'package/dist/bin/vigil.js'));
  });

  it('refuses to pack a vigil whose dist/ is not built, saying what to do', async () => {
    const root = scratch('vigil-unbuilt-');
    mkdirSync(join(root, 'bin'));
    writeFileSync(join(root, 'package.json'), '{"name":"vigil","version":"0.0.1"}');
    await assert.rejects(packVigil(root), (err: unknown) => err instanceof FlashError && err.code === 'FLASH_PACKAGE' && /is not built \(no dist\/bin\/vigil\.js\): run `npm run build`/.test(err.message));
  });
});
