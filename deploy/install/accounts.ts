/**
 * The service account as /etc/passwd and /etc/group have it, and what is missing: the user,
 * groups that do not exist on this system, memberships. Read from the files (not through NSS):
 * a Pi keeps its accounts there, and the same code then reads a --root tree.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InstallError } from './errors.js';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface AccountDb {
  users: PasswdEntry[];
  groups: GroupEntry[];
}

export interface AccountPlan {
  /** The user (with its own group) must be created. */
  createUser: boolean;
  /** Groups that do not exist yet, created as system groups. */
  createGroups: string[];
  /** Groups the user must be added to. */
  addTo: string[];
}

function readLines(root: string, file: string): string[] {
  const path = join(root, file);
  try {
    return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
  } catch (err) {
    throw new InstallError('INSTALL_NO_ACCOUNTS', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? err}: expected a root file system with /etc/passwd and /etc/group`, { cause: err });
  }
}

export function readAccounts(root: string): AccountDb {
  const users = readLines(root, 'etc/passwd').map((line) => {
    const [name = '', , uid = '', gid = '', , home = '', shell = ''] = line.split(':');
    return { name, uid: Number(uid), gid: Number(gid), home, shell };
  });
  const groups = readLines(root, 'etc/group').map((line) => {
    const [name = '', , gid = '', members = ''] = line.split(':');
    return { name, gid: Number(gid), members: members.split(',').filter(Boolean) };
  });
  return { users, groups };
}

export function planAccounts(db: AccountDb, user: string, groups: readonly string[]): AccountPlan {
  const existing = db.users.find((u) => u.name === user);
  const primary = existing ? db.groups.find((g) => g.gid === existing.gid)?.name : user;
  const createGroups = groups.filter((name) => !db.groups.some((g) => g.name === name));
  const addTo = groups.filter((name) => name !== primary && !db.groups.find((g) => g.name === name)?.members.includes(user));
  return { createUser: !existing, createGroups, addTo };
}

export function planIsEmpty(plan: AccountPlan): boolean {
  return !plan.createUser && plan.createGroups.length === 0 && plan.addTo.length === 0;
}

/** The commands that carry out the plan on a live system (shadow's tools; useradd before groupadd, as the ids come out the same as editing the files). */
export function accountCommands(plan: AccountPlan, user: string, home: string, shell: string): [string, string[]][] {
  const commands: [string, string[]][] = [];
  if (plan.createUser) {
    commands.push(['useradd', ['--system', '--user-group', '--home-dir', home, '--no-create-home', '--shell', shell, '--comment', 'vigil background tasks', user]]);
  }
  for (const group of plan.createGroups) commands.push(['groupadd', ['--system', group]]);
  if (plan.addTo.length > 0) commands.push(['usermod', ['--append', '--groups', plan.addTo.join(','), user]]);
  return commands;
}
