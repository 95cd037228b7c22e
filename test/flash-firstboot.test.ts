/**
 * vigil's first-boot script (vigil/firstboot.sh) run for real by bash, in a scratch tree
 * (VIGIL_FIRSTBOOT_ROOT) with stand-ins for what a Pi has: systemctl, apt-get/apt-cache, curl, gpg,
 * npm, node, vigil. What must hold: staging copies the files off the boot partition and enables
 * the service; installing takes Debian's Node.js when it is 20+ and NodeSource's otherwise, installs
 * the package, runs `vigil install` with the config, loads i2c-dev, and removes itself — and a
 * failed attempt leaves everything in place for the next one, which then succeeds.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { findTool } from '../deploy/flash/fat-tools.js';
import { firstbootScript } from '../deploy/flash/firstboot.js';
import { cleanScratch, scratch } from './helpers/pi-image.js';

after(cleanScratch);

const REAL_TOOLS = ['bash', 'sh', 'cp', 'install', 'rm', 'date', 'seq', 'sed', 'head', 'cat', 'mkdir', 'dirname', 'sleep', 'chmod', 'tr', 'cut', 'env'];

/** Each stand-in appends its name and arguments to $CALLS. */
const STUBS: Record<string, string> = {
  systemctl: 'exit 0',
  getent: 'exit 0',
  timedatectl: 'echo yes',
  modprobe: 'exit 0',
  'g++': 'exit 0',
  make: 'exit 0',
  python3: 'exit 0',
  curl: 'echo "-----BEGIN PGP PUBLIC KEY BLOCK-----"',
  gpg: 'while [ $# -gt 1 ]; do [ "$1" = -o ] && { cat >"$2"; exit 0; }; shift; done; exit 1',
  'apt-cache': 'printf "nodejs:\\n  Installed: (none)\\n  Candidate: %s\\n" "$CANDIDATE"',
  // Installing nodejs puts a node of $NODE_AFTER on PATH.
  'apt-get': `case " $* " in *" nodejs "*)
  printf '#!/bin/sh\\ncase "$1" in -p) echo %s ;; --version) echo v%s.0.0 ;; esac\\n' "$NODE_AFTER" "$NODE_AFTER" >"$BIN/node"; chmod +x "$BIN/node" ;;
esac
exit 0`,
  // npm install puts a vigil on PATH that exits with $VIGIL_EXIT.
  npm: `[ "\${NPM_EXIT:-0}" = 0 ] || exit "$NPM_EXIT"
printf '#!/bin/sh\\necho "vigil $*" >>"$CALLS"\\n[ "$1" = --version ] && echo 9.8.7\\nexit \${VIGIL_EXIT:-0}\\n' >"$BIN/vigil"; chmod +x "$BIN/vigil"`,
};

interface Device {
  root: string;
  boot: string;
  bin: string;
  calls: string;
  script: string;
  run(args: string[], env?: Record<string, string>): { status: number | null; calls: string[]; log: string };
}

function device(options: { i2c: boolean; config: boolean }): Device {
  const base = scratch('vigil-firstboot-');
  const root = join(base, 'root');
  const boot = join(base, 'boot', 'firmware');
  const bin = join(base, 'bin');
  const calls = join(base, 'calls');
  for (const dir of [join(root, 'var/log'), join(root, 'etc/systemd/system'), join(boot, 'vigil'), bin]) mkdirSync(dir, { recursive: true });
  for (const tool of REAL_TOOLS) symlinkSync(findTool(tool)!, join(bin, tool));
  for (const [name, body] of Object.entries(STUBS)) writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >>"$CALLS"\n${body}\n`, { mode: 0o755 });
  const script = firstbootScript({ i2c: options.i2c });
  writeFileSync(join(boot, 'vigil', 'firstboot.sh'), script);
  writeFileSync(join(boot, 'vigil', 'vigil.tgz'), 'package bytes');
  if (options.config) writeFileSync(join(boot, 'vigil', 'config.json'), '{}');
  writeFileSync(calls, '');
  return {
    root,
    boot,
    bin,
    calls,
    script,
    run(args, env = {}) {
      writeFileSync(calls, '');
      const scriptPath = existsSync(join(root, 'var/lib/vigil-firstboot/firstboot.sh')) ? join(root, 'var/lib/vigil-firstboot/firstboot.sh') : join(boot, 'vigil', 'firstboot.sh');
      const result = spawnSync(join(bin, 'bash'), [scriptPath, ...args], {
        env: { PATH: bin, VIGIL_FIRSTBOOT_ROOT: root, BIN: bin, CALLS: calls, CANDIDATE: '20.19.2+dfsg-1', NODE_AFTER: '20', ...env },
        encoding: 'utf8',
      });
      const log = existsSync(join(root, 'var/log/vigil-firstboot.log')) ? readFileSync(join(root, 'var/log/vigil-firstboot.log'), 'utf8') : '';
      return { status: result.status, calls: readFileSync(calls, 'utf8').split('\n').filter(Boolean), log };
    },
  };
}

const state = (d: Device, file = '') => join(d.root, 'var/lib/vigil-firstboot', file);
const unit = (d: Device) => join(d.root, 'etc/systemd/system/vigil-firstboot.service');

describe('vigil/firstboot.sh', () => {
  it('is valid bash', () => {
    assert.equal(spawnSync('bash', ['-n'], { input: firstbootScript({ i2c: true }) }).status, 0);
  });

  it('stage copies the files off the boot partition, writes and enables the service, starts it with "now"; again is harmless', () => {
    const d = device({ i2c: true, config: true });
    const first = d.run(['stage', d.boot, 'now']);
    assert.equal(first.status, 0, first.log);
    assert.deepEqual(first.calls, ['systemctl enable vigil-firstboot.service', 'systemctl start --no-block vigil-firstboot.service']);
    assert.equal(readFileSync(state(d, 'vigil.tgz'), 'utf8'), 'package bytes');
    assert.equal(readFileSync(state(d, 'firstboot.sh'), 'utf8'), d.script);
    assert.ok(existsSync(state(d, 'config.json')));
    assert.ok(!existsSync(join(d.boot, 'vigil')), 'the package and config do not stay on the FAT partition');
    const text = readFileSync(unit(d), 'utf8');
    assert.match(text, /^After=network-online\.target time-sync\.target$/m);
    assert.match(text, /^ExecStart=\/bin\/bash \/var\/lib\/vigil-firstboot\/firstboot\.sh install$/m);
    assert.match(text, /^Restart=on-failure$/m);
    assert.match(text, /^WantedBy=multi-user\.target$/m);
    assert.match(first.log, /vigil-firstboot: staged from .*boot\/firmware/);

    // firstrun.sh or cloud-init running it again (the boot copy is gone by then).
    const second = d.run(['stage', d.boot]);
    assert.equal(second.status, 0, second.log);
    assert.deepEqual(second.calls, ['systemctl enable vigil-firstboot.service']);
  });

  it("install takes Debian's Node.js when it is 20 or later, installs vigil with the config, loads i2c-dev, and removes itself", () => {
    const d = device({ i2c: true, config: true });
    assert.equal(d.run(['stage', d.boot]).status, 0);
    const run = d.run(['install'], { CANDIDATE: '20.19.2+dfsg-1' });
    assert.equal(run.status, 0, run.log);
    assert.deepEqual(run.calls, [
      'getent ahosts deb.debian.org',
      'timedatectl show -p NTPSynchronized --value',
      'apt-get update',
      'apt-cache policy nodejs',
      'apt-get install -y --no-install-recommends nodejs npm',
      `npm install --global --omit=dev --no-audit --no-fund ${state(d, 'vigil.tgz')}`,
      'modprobe i2c-dev',
      `vigil install --config ${state(d, 'config.json')} --force-config`,
      'systemctl disable vigil-firstboot.service',
      'systemctl daemon-reload',
      'vigil --version',
    ]);
    assert.equal(readFileSync(join(d.root, 'etc/modules-load.d/vigil-i2c.conf'), 'utf8'), 'i2c-dev\n');
    assert.ok(!existsSync(state(d)) && !existsSync(unit(d)), 'the step removed itself');
    assert.match(run.log, /installing Node\.js 20 from the distribution/);
    assert.match(run.log, /done: vigil 9\.8\.7 is installed and its service running/);
  });

  it("install takes NodeSource's Node.js when Debian's is older (Bookworm's 18), and does not touch I2C unless asked", () => {
    const d = device({ i2c: false, config: false });
    assert.equal(d.run(['stage', d.boot]).status, 0);
    const run = d.run(['install'], { CANDIDATE: '18.19.0+dfsg-6~deb12u2', NODE_AFTER: '22' });
    assert.equal(run.status, 0, run.log);
    assert.ok(run.calls.includes('curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key'));
    assert.ok(run.calls.includes('apt-get install -y --no-install-recommends nodejs'));
    assert.ok(!run.calls.some((c) => c.endsWith('nodejs npm')), "NodeSource's nodejs brings npm");
    assert.equal(
      readFileSync(join(d.root, 'etc/apt/sources.list.d/nodesource.list'), 'utf8'),
      'deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_22.x nodistro main\n',
    );
    assert.ok(existsSync(join(d.root, 'etc/apt/keyrings/nodesource.gpg')));
    assert.ok(run.calls.includes('vigil install'), 'no --config when none was given');
    assert.ok(!run.calls.includes('modprobe i2c-dev'));
    assert.ok(!existsSync(join(d.root, 'etc/modules-load.d/vigil-i2c.conf')));
    assert.match(run.log, /the distribution has Node\.js 18; installing Node\.js 22 from NodeSource/);
  });

  it('a failed attempt keeps everything for the next one, which skips what is done and succeeds', () => {
    const d = device({ i2c: false, config: true });
    assert.equal(d.run(['stage', d.boot]).status, 0);
    const failed = d.run(['install'], { NPM_EXIT: '1' });
    assert.equal(failed.status, 1);
    assert.match(failed.log, /FAILED: npm install of the vigil package failed/);
    assert.ok(existsSync(state(d, 'vigil.tgz')) && existsSync(unit(d)), 'kept for the retry');
    assert.ok(!failed.calls.some((c) => c.startsWith('systemctl disable')));

    const retry = d.run(['install']);
    assert.equal(retry.status, 0, retry.log);
    assert.ok(!retry.calls.some((c) => c.startsWith('apt-get')), 'Node.js is there now: no apt-get');
    assert.match(retry.log, /Node\.js v20\.0\.0 is installed/);
    assert.ok(!existsSync(state(d)));
  });

  it('a failing vigil install fails the attempt too', () => {
    const d = device({ i2c: false, config: false });
    assert.equal(d.run(['stage', d.boot]).status, 0);
    const run = d.run(['install'], { VIGIL_EXIT: '3' });
    assert.equal(run.status, 1);
    assert.match(run.log, /FAILED: vigil install failed/);
    assert.ok(existsSync(unit(d)));
  });
});
