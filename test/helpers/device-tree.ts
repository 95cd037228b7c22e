/**
 * A Raspberry Pi OS root file system in miniature, for `vigil install --root`: the account
 * files as Bookworm has them (the login user pi in the hardware groups, no gpio group, as on a
 * plain Debian), login.defs' system id ranges, a host name, node as a link, and vigil where
 * npm install --global puts it.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, lstatSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './harness.js';

export const PASSWD = `root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
messagebus:x:100:107::/nonexistent:/usr/sbin/nologin
systemd-network:x:998:998:systemd Network Management:/:/usr/sbin/nologin
systemd-timesync:x:997:997:systemd Time Synchronization:/:/usr/sbin/nologin
avahi:x:105:112:Avahi mDNS daemon,,,:/run/avahi-daemon:/usr/sbin/nologin
pi:x:1000:1000:,,,:/home/pi:/bin/bash
`;

export const GROUP = `root:x:0:
daemon:x:1:
dialout:x:20:pi
sudo:x:27:pi
netdev:x:106:pi
messagebus:x:107:
bluetooth:x:111:pi
avahi:x:112:
systemd-network:x:998:
systemd-timesync:x:997:
i2c:x:996:pi
pi:x:1000:
`;

export const SHADOW = `root:*:19800:0:99999:7:::
daemon:*:19800:0:99999:7:::
messagebus:!:19800::::::
systemd-network:!*:19800::::::
systemd-timesync:!*:19800::::::
avahi:!:19800::::::
pi:$6$salt$hash:19800:0:99999:7:::
`;

export const GSHADOW = `root:*::
daemon:*::
dialout:*::pi
sudo:*::pi
netdev:!::pi
messagebus:!::
bluetooth:!::pi
avahi:!::
systemd-network:!*::
systemd-timesync:!*::
i2c:!::pi
pi:!::
`;

export const LOGIN_DEFS = `# the system id ranges, as Debian ships them
SYS_UID_MIN               100
SYS_UID_MAX               999
SYS_GID_MIN               100
SYS_GID_MAX               999
`;

export const GLOBAL_ENTRY = '/usr/lib/node_modules/vigil/dist/bin/vigil.js';

export function deviceTree(options: { hostname?: string; vigil?: boolean } = {}): string {
  const root = tempDir('vigil-root-');
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc/passwd'), PASSWD, { mode: 0o644 });
  writeFileSync(join(root, 'etc/group'), GROUP, { mode: 0o644 });
  writeFileSync(join(root, 'etc/shadow'), SHADOW, { mode: 0o640 });
  writeFileSync(join(root, 'etc/gshadow'), GSHADOW, { mode: 0o640 });
  writeFileSync(join(root, 'etc/login.defs'), LOGIN_DEFS);
  writeFileSync(join(root, 'etc/hostname'), `${options.hostname ?? 'greenhouse-pi'}\n`);
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  symlinkSync('/usr/bin/nodejs', join(root, 'usr/bin/node'));
  if (options.vigil !== false) {
    mkdirSync(join(root, 'usr/lib/node_modules/vigil/dist/bin'), { recursive: true });
    writeFileSync(join(root, GLOBAL_ENTRY), '#!/usr/bin/env node\n');
    chmodSync(join(root, GLOBAL_ENTRY), 0o755);
  }
  return root;
}

/** Every file, link and directory under root with its mode and content (or link target), to compare before and after. */
export function snapshot(root: string, dir = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(root, dir)).sort()) {
    const rel = join(dir, name);
    const info = lstatSync(join(root, rel));
    const mode = (info.mode & 0o7777).toString(8);
    if (info.isSymbolicLink()) out[rel] = `link ${readlinkSync(join(root, rel))}`;
    else if (info.isDirectory()) {
      out[rel] = `dir ${mode} ${info.uid}:${info.gid}`;
      Object.assign(out, snapshot(root, rel));
    } else out[rel] = `file ${mode} ${info.uid}:${info.gid} ${createHash('sha256').update(readFileSync(join(root, rel))).digest('hex')} ${info.mtimeMs}`;
  }
  return out;
}
