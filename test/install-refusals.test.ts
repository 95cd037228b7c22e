/**
 * `vigil install` refuses what it cannot do well, with a message that says what is wrong and
 * what to do, before it has changed or run anything: not root, no systemd, node too old or
 * where the service cannot see it, vigil missing, a --root that is not a tree, a config the
 * service could not run; and a failing command stops it, quoted.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { install, type InstallHost, type InstallOptions } from '../deploy/install/install.js';
import { GLOBAL_ENTRY, snapshot } from './helpers/device-tree.js';
import { tempDir } from './helpers/harness.js';
import { mutating, recorder, tree } from './helpers/install-host.js';

interface Refusal {
  what: string;
  options: InstallOptions | ((root: string) => InstallOptions);
  host?: Partial<InstallHost>;
  prepare?: (root: string) => void;
  code: string;
  message: RegExp;
}

test('refusals say what is wrong and what to do, before anything is changed', async (t) => {
  const dir = tempDir('vigil-bad-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const refusals: Refusal[] = [
    { what: 'not root', options: {}, host: { uid: 1000 }, code: 'INSTALL_NOT_ROOT', message: /must run as root \(uid 0, not 1000\).*sudo.*--dry-run.*--root DIR/ },
    { what: 'no systemd', options: {}, host: { systemdRunning: false }, code: 'INSTALL_NO_SYSTEMD', message: /systemd is not running here \(no \/run\/systemd\/system\).*--root DIR/ },
    { what: 'node too old', options: {}, host: { nodeVersion: '18.19.0' }, code: 'INSTALL_NODE_TOO_OLD', message: /node v18\.19\.0 at \/usr\/bin\/node is too old: vigil needs Node\.js 20\.19 or later/ },
    {
      what: 'another node, too old',
      options: { node: '/usr/local/bin/node' },
      prepare: (root) => {
        mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
        writeFileSync(join(root, 'usr/local/bin/node'), '', { mode: 0o755 });
      },
      host: {
        runner: async (command, args) =>
          command === '/usr/local/bin/node' && args.join(' ') === '-p process.versions.node' ? { code: 0, stdout: '20.11.1\n', stderr: '' } : { code: 0, stdout: '', stderr: '' },
      },
      code: 'INSTALL_NODE_TOO_OLD',
      message: /node v20\.11\.1 at \/usr\/local\/bin\/node is too old/,
    },
    { what: 'node under /home', options: {}, host: { nodePath: '/home/pi/.nvm/versions/node/v22.11.0/bin/node' }, code: 'INSTALL_PATH_HIDDEN', message: /node \/home\/pi\/\.nvm\/\S+ is under \/home, which the service cannot see/ },
    { what: 'node missing under root', options: (root) => ({ root, node: '/opt/node/bin/node' }), code: 'INSTALL_NODE_MISSING', message: /node \/opt\/node\/bin\/node does not exist under .*: give --node/ },
    { what: 'vigil missing under root', options: (root) => ({ root }), prepare: (root) => rmSync(join(root, 'usr/lib/node_modules'), { recursive: true }), code: 'INSTALL_ENTRY_MISSING', message: /vigil is not installed under .* \(looked for \/usr\/lib\/node_modules\/vigil\/dist\/bin\/vigil\.js and \/usr\/local\/lib\/node_modules\/vigil\/dist\/bin\/vigil\.js\).*--entry/ },
    { what: 'root not a directory', options: { root: '/nonexistent/tree' }, code: 'INSTALL_ROOT_INVALID', message: /--root \/nonexistent\/tree is not a directory/ },
    { what: 'root without accounts', options: (root) => ({ root }), prepare: (root) => rmSync(join(root, 'etc/passwd')), code: 'INSTALL_NO_ACCOUNTS', message: /etc\/passwd: ENOENT: expected a root file system with \/etc\/passwd and \/etc\/group/ },
    { what: 'config not JSON', options: (root) => ({ root, config: file('a.json', '{ stateDir: ') }), code: 'INSTALL_CONFIG_INVALID', message: /config .*a\.json is not valid JSON/ },
    { what: 'config invalid', options: (root) => ({ root, config: file('b.json', '{ "stateDir": "/var/lib/vigil", "bundlesDir": "/var/lib/vigil/bundles", "policy": { "pool": { "warm": -1 } } }') }), code: 'INSTALL_CONFIG_INVALID', message: /config .*b\.json: policy\.pool\.warm is -1/ },
    {
      what: 'config with its state elsewhere',
      options: (root) => ({ root, config: file('c.json', '{ "stateDir": "state", "bundlesDir": "bundles" }') }),
      code: 'INSTALL_CONFIG_INVALID',
      message: /stateDir is "\/etc\/vigil\/state" \("state" relative to \/etc\/vigil\), where the service cannot write: expected "\/var\/lib\/vigil"/,
    },
    { what: 'bundles in a home directory', options: (root) => ({ root, config: file('d.json', '{ "stateDir": "/var/lib/vigil", "bundlesDir": "/home/pi/bundles" }') }), code: 'INSTALL_CONFIG_INVALID', message: /bundlesDir is "\/home\/pi\/bundles", which the service cannot see/ },
    { what: 'config missing', options: (root) => ({ root, config: join(dir, 'nope.json') }), code: 'INSTALL_CONFIG_INVALID', message: /cannot read --config .*nope\.json: ENOENT/ },
  ];
  for (const r of refusals) {
    const root = tree(t);
    r.prepare?.(root);
    const before = snapshot(root);
    const rec = recorder(root, r.host);
    const options = typeof r.options === 'function' ? r.options(root) : r.options;
    await assert.rejects(install(options, rec.host), (err: { code: string; message: string }) => {
      assert.equal(err.code, r.code, `${r.what}: ${err.message}`);
      assert.match(err.message, r.message, r.what);
      return true;
    });
    assert.deepEqual(mutating(rec.commands), [], `${r.what}: nothing run`);
    assert.deepEqual(snapshot(root), before, `${r.what}: nothing changed`);
  }
});

test('a failing command stops the install with the command and what it said', async (t) => {
  const root = tree(t);
  const rec = recorder(root, {
    runner: async (command) => (command === 'useradd' ? { code: 9, stdout: '', stderr: "useradd: username 'vigil' already exists\n" } : { code: 1, stdout: '', stderr: '' }),
  });
  await assert.rejects(install({ entry: GLOBAL_ENTRY }, rec.host), (err: { code: string; message: string }) => {
    assert.equal(err.code, 'INSTALL_COMMAND_FAILED');
    assert.equal(err.message, "useradd --system --user-group --home-dir /var/lib/vigil --no-create-home --shell /usr/sbin/nologin --comment 'vigil background tasks' vigil failed (exit 9): useradd: username 'vigil' already exists");
    return true;
  });
});
