/**
 * The account plan carried out by editing passwd, group, shadow and gshadow under a --root
 * tree, writing what useradd/groupadd/usermod --system would write there (a test holds the
 * two side by side). Done by hand because the tools need root for --root (chroot) or --prefix,
 * and an image is often prepared without it. Ids as shadow (4.x) picks them for system
 * accounts, so a tree ends up as the tools would leave it: in SYS_UID_MIN…SYS_UID_MAX
 * (login.defs; 101…999 when unset), just below the lowest id already used in that range
 * (system ids grow downwards), else the highest free one; the user's group takes the user's
 * number when that gid is free.
 */
import { closeSync, existsSync, fchownSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { AccountPlan } from './accounts.js';
import { InstallError } from './errors.js';

export interface AccountFileOptions {
  user: string;
  comment: string;
  home: string;
  shell: string;
  /** For shadow's "last changed" field (days since 1970). */
  now: number;
}

interface IdRange {
  min: number;
  max: number;
}

function loginDefs(root: string): { uid: IdRange; gid: IdRange } {
  const values = new Map<string, number>();
  try {
    for (const line of readFileSync(join(root, 'etc/login.defs'), 'utf8').split('\n')) {
      const m = /^\s*(SYS_[UG]ID_M(?:IN|AX))\s+(\d+)\s*$/.exec(line);
      if (m) values.set(m[1]!, Number(m[2]));
    }
  } catch {
    // no login.defs: shadow's built-in defaults
  }
  return {
    uid: { min: values.get('SYS_UID_MIN') ?? 101, max: values.get('SYS_UID_MAX') ?? 999 },
    gid: { min: values.get('SYS_GID_MIN') ?? 101, max: values.get('SYS_GID_MAX') ?? 999 },
  };
}

/** One account file's lines, edited in memory and written back in place of the old one. */
class AccountFile {
  readonly path: string;
  readonly lines: string[];
  readonly present: boolean;
  changed = false;

  constructor(root: string, name: string, required: boolean) {
    this.path = join(root, 'etc', name);
    this.present = existsSync(this.path);
    if (!this.present && required) {
      throw new InstallError('INSTALL_NO_ACCOUNTS', `${this.path} does not exist: expected --root to be a root file system with /etc/passwd and /etc/group`);
    }
    this.lines = this.present ? readFileSync(this.path, 'utf8').split('\n').filter((l, i, all) => l !== '' || i < all.length - 1) : [];
  }

  ids(): Set<number> {
    return new Set(this.lines.map((l) => Number(l.split(':')[2])).filter(Number.isInteger));
  }

  append(line: string): void {
    if (!this.present) return;
    this.lines.push(line);
    this.changed = true;
  }

  /** Adds `member` to the member list, the last field of a group or gshadow line. */
  addMember(group: string, member: string, required: boolean): void {
    if (!this.present) return;
    const i = this.lines.findIndex((l) => l.split(':')[0] === group);
    if (i < 0 && !required) return;
    if (i < 0) throw new InstallError('INSTALL_NO_ACCOUNTS', `${this.path} has no group ${group} to add ${member} to`);
    const fields = this.lines[i]!.split(':');
    const members = (fields[fields.length - 1] ?? '').split(',').filter(Boolean);
    if (members.includes(member)) return;
    fields[fields.length - 1] = [...members, member].join(',');
    this.lines[i] = fields.join(':');
    this.changed = true;
  }

  /** Written beside the old file and renamed over it, with its mode and owner. */
  write(): void {
    if (!this.changed) return;
    const old = statSync(this.path);
    const tmp = `${this.path}+vigil`;
    const fd = openSync(tmp, 'w', old.mode & 0o7777);
    try {
      writeSync(fd, `${this.lines.join('\n')}\n`);
      if (process.getuid?.() === 0) fchownSync(fd, old.uid, old.gid);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }
}

/** The next system id: below the lowest one in use in the range, else from the top down. */
function nextSystemId(range: IdRange, used: Set<number>): number | undefined {
  const inRange = [...used].filter((id) => id >= range.min && id <= range.max);
  let start = inRange.length > 0 ? Math.min(...inRange) - 1 : range.max;
  if (start < range.min) start = range.max;
  const from = (top: number) => {
    for (let id = top; id >= range.min; id--) if (!used.has(id)) return id;
    return undefined;
  };
  return from(start) ?? (start !== range.max ? from(range.max) : undefined);
}

export function applyAccountFiles(root: string, plan: AccountPlan, options: AccountFileOptions): void {
  const passwd = new AccountFile(root, 'passwd', true);
  const group = new AccountFile(root, 'group', true);
  const shadow = new AccountFile(root, 'shadow', false);
  const gshadow = new AccountFile(root, 'gshadow', false);
  const range = loginDefs(root);
  const noRoom = (what: string, r: IdRange) => new InstallError('INSTALL_NO_ID', `no free ${what} left in ${r.min}…${r.max} (SYS_${what.toUpperCase()}_MIN/MAX in login.defs) under ${root}`);

  if (plan.createUser) {
    const uid = nextSystemId(range.uid, passwd.ids());
    if (uid === undefined) throw noRoom('uid', range.uid);
    const gids = group.ids();
    const gid = !gids.has(uid) ? uid : nextSystemId(range.gid, gids);
    if (gid === undefined) throw noRoom('gid', range.gid);
    group.append(`${options.user}:x:${gid}:`);
    gshadow.append(`${options.user}:!::`);
    passwd.append(`${options.user}:x:${uid}:${gid}:${options.comment}:${options.home}:${options.shell}`);
    shadow.append(`${options.user}:!:${Math.floor(options.now / 86_400_000)}::::::`);
  }
  for (const name of plan.createGroups) {
    const gid = nextSystemId(range.gid, group.ids());
    if (gid === undefined) throw noRoom('gid', range.gid);
    group.append(`${name}:x:${gid}:`);
    gshadow.append(`${name}:!::`);
  }
  for (const name of plan.addTo) {
    group.addMember(name, options.user, true);
    // A group without a gshadow line is valid (pwck only warns); it has no member list to keep.
    gshadow.addMember(name, options.user, false);
  }
  // The shadow files first: a user in passwd without its shadow line is the worse half-state.
  for (const file of [shadow, gshadow, group, passwd]) file.write();
}
