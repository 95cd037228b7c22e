/**
 * `vigil install`: the service account, /etc/vigil/config.json, the systemd unit and the
 * polkit rule, then the service enabled and started. Everything is looked at first and only
 * what differs is changed, so a second run changes nothing and says so; --dry-run stops after
 * looking. With --root DIR it works on a file tree (an image being prepared, a test) without
 * systemctl or shadow's tools: the accounts are edited in DIR/etc, the unit is enabled by the
 * link `systemctl enable` would make.
 */
import { chownSync, closeSync, existsSync, fchmodSync, fsyncSync, mkdirSync, openSync, readFileSync, readlinkSync, renameSync, statSync, symlinkSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { applyAccountFiles } from './account-files.js';
import { accountCommands, planAccounts, planIsEmpty, readAccounts, type AccountPlan } from './accounts.js';
import { checkServiceConfig, defaultPiConfig, deviceNameFrom, readServiceConfig } from './device-config.js';
import { InstallError } from './errors.js';
import { BUNDLES_DIR, CONFIG_PATH, NOLOGIN_SHELL, POLKIT_RULE_PATH, SERVICE_GROUPS, SERVICE_NAME, SERVICE_USER, STATE_DIR, UNIT_PATH, WANTS_LINK } from './layout.js';
import { checkNode, checkNodeVersion, checkPrivileges, DEVICE_NODE, nodeVersionOf, resolveEntry } from './preflight.js';
import { commandLine, mustRun, type CommandRunner } from './runner.js';
import { polkitRulePath, renderUnit } from './unit.js';

export interface InstallOptions {
  /** Install into this file tree instead of the running system. */
  root?: string;
  /** The device config to install as /etc/vigil/config.json. */
  config?: string;
  /** Replace an existing /etc/vigil/config.json. */
  forceConfig?: boolean;
  /** Start (or restart) the service; false: only enable it. */
  start?: boolean;
  dryRun?: boolean;
  /** node as the service runs it (default: this node; under --root /usr/bin/node). */
  node?: string;
  /** vigil's dist/bin/vigil.js as the service runs it. */
  entry?: string;
}

/** What `vigil install` learns from and does to the machine; tests give their own. */
export interface InstallHost {
  runner: CommandRunner;
  uid: number;
  /** Where the running system's files are: "/" (a test points it at a tree). */
  fsRoot: string;
  systemdRunning: boolean;
  nodePath: string;
  nodeVersion: string;
  hostname: string;
  now: number;
}

export type ChangeKind = 'user' | 'group' | 'membership' | 'directory' | 'file' | 'link' | 'command';

export interface Change {
  kind: ChangeKind;
  /** What is created, written or run. */
  target: string;
  /** In words, as a plan ("create group gpio (system group)"). */
  does: string;
  /** In words, once done ("created group gpio (system group)"). */
  did: string;
}

export interface InstallReport {
  root: string;
  offline: boolean;
  dryRun: boolean;
  node: string;
  entry: string;
  changes: Change[];
  notes: string[];
}

interface Step extends Change {
  apply(): Promise<void> | void;
}

export async function install(options: InstallOptions, host: InstallHost, onChange: (change: Change) => void = () => {}): Promise<InstallReport> {
  const offline = options.root !== undefined;
  const root = offline ? resolve(options.root!) : host.fsRoot;
  const dryRun = options.dryRun === true;
  const start = options.start !== false;
  if (offline && !(existsSync(root) && statSync(root).isDirectory())) {
    throw new InstallError('INSTALL_ROOT_INVALID', `--root ${options.root} is not a directory: expected the root of a file system to install into`);
  }
  checkPrivileges({ offline, dryRun, uid: host.uid, systemdRunning: host.systemdRunning });
  const at = (path: string) => join(root, path);
  const notes: string[] = [];

  const node = options.node ?? (offline ? DEVICE_NODE : host.nodePath);
  checkNode(root, node);
  // A node that cannot run here (another architecture, inside an image) is not asked.
  if (!offline) checkNodeVersion(node === host.nodePath ? host.nodeVersion : await nodeVersionOf(host.runner, node), node);
  const entry = resolveEntry(root, offline, options.entry);

  // Everything is read and checked before the first change.
  const configText = options.config !== undefined ? readServiceConfig(options.config) : undefined;
  const existingConfig = readIfExists(at(CONFIG_PATH));
  let newConfig: string | undefined;
  if (existingConfig === undefined || (options.forceConfig && (configText ?? existingConfig) !== existingConfig)) {
    newConfig = configText ?? defaultPiConfig(deviceNameFrom(offline ? (readIfExists(at('/etc/hostname')) ?? '') : host.hostname));
    if (options.forceConfig && configText === undefined && existingConfig !== undefined) notes.push(`--force-config without --config: ${CONFIG_PATH} is replaced by the default`);
  } else if (configText !== undefined && configText !== existingConfig) {
    notes.push(`kept ${CONFIG_PATH}: it differs from ${options.config} (--force-config replaces it)`);
  }
  if (newConfig === undefined && existingConfig !== undefined) {
    try {
      checkServiceConfig(existingConfig, CONFIG_PATH);
    } catch (err) {
      notes.push(`${CONFIG_PATH} will not run as it is: ${(err as Error).message}`);
    }
  }
  const unit = renderUnit({ node, vigil: entry });
  const polkit = readFileSync(polkitRulePath(), 'utf8');
  const plan = planAccounts(readAccounts(root), SERVICE_USER, SERVICE_GROUPS);

  const steps: Step[] = [];
  steps.push(...accountSteps(plan, offline, root, host));
  for (const dir of ['/etc/vigil', STATE_DIR, BUNDLES_DIR]) {
    if (existsSync(at(dir))) continue;
    const owned = dir !== '/etc/vigil';
    steps.push({
      kind: 'directory',
      target: dir,
      does: `create ${dir}`,
      did: `created ${dir}`,
      apply: () => {
        mkdirSync(at(dir), { recursive: true, mode: 0o755 });
        if (owned) chownToService(at(dir), root, host.uid, 'both');
      },
    });
  }
  const fileStep = (path: string, text: string, mode: number, group: boolean, why = ''): Step | undefined => {
    const old = readIfExists(at(path));
    if (old === text) return undefined;
    const verb = old === undefined ? 'write' : 'replace';
    return {
      kind: 'file',
      target: path,
      does: `${verb} ${path}${why}`,
      did: `${verb === 'write' ? 'wrote' : 'replaced'} ${path}${why}`,
      apply: () => writeFileAtomic(at(path), text, mode, group ? () => chownToService(at(path), root, host.uid, 'group') : undefined),
    };
  };
  const configWhy = configText !== undefined ? ` (from ${options.config})` : ' (a starting point for a Raspberry Pi: edit it, then systemctl restart vigil)';
  const configStep = newConfig !== undefined ? fileStep(CONFIG_PATH, newConfig, 0o640, true, configWhy) : undefined;
  const unitStep = fileStep(UNIT_PATH, unit, 0o644, false);
  const polkitStep = fileStep(POLKIT_RULE_PATH, polkit, 0o644, false, ' (NetworkManager for the vigil user)');
  for (const step of [configStep, unitStep, polkitStep]) if (step) steps.push(step);

  if (offline) {
    const link = linkStep(root);
    if (link) steps.push(link);
  } else {
    const systemctl = (...args: string[]): Step => ({
      kind: 'command',
      target: commandLine('systemctl', args),
      does: `run ${commandLine('systemctl', args)}`,
      did: `ran ${commandLine('systemctl', args)}`,
      apply: async () => void (await mustRun(host.runner, 'systemctl', args)),
    });
    if (unitStep) steps.push(systemctl('daemon-reload'));
    const enabled = (await host.runner('systemctl', ['is-enabled', SERVICE_NAME])).stdout.trim() === 'enabled';
    const active = (await host.runner('systemctl', ['is-active', SERVICE_NAME])).stdout.trim() === 'active';
    if (!enabled) steps.push(start && !active ? systemctl('enable', '--now', SERVICE_NAME) : systemctl('enable', SERVICE_NAME));
    if (start && enabled && !active) steps.push(systemctl('start', SERVICE_NAME));
    // A running service keeps its old unit, config and groups until it is restarted.
    const stale = unitStep !== undefined || configStep !== undefined || !planIsEmpty(plan);
    if (start && active && stale) steps.push(systemctl('restart', SERVICE_NAME));
    if (!start && !active) notes.push(`--no-start: ${SERVICE_NAME} is enabled but not started (systemctl start vigil)`);
    if (!start && active && stale) notes.push(`--no-start: the running ${SERVICE_NAME} keeps its old settings until systemctl restart vigil`);
  }

  const changes = steps.map(({ kind, target, does, did }) => ({ kind, target, does, did }));
  for (const step of steps) {
    if (!dryRun) await step.apply();
    onChange({ kind: step.kind, target: step.target, does: step.does, did: step.did });
  }
  return { root, offline, dryRun, node, entry, changes, notes };
}

function accountSteps(plan: AccountPlan, offline: boolean, root: string, host: InstallHost): Step[] {
  const describe: [ChangeKind, string, string][] = [];
  if (plan.createUser) describe.push(['user', SERVICE_USER, `user ${SERVICE_USER} (system user, home ${STATE_DIR}, shell ${NOLOGIN_SHELL})`]);
  for (const group of plan.createGroups) describe.push(['group', group, `group ${group} (system group)`]);
  if (plan.addTo.length > 0) describe.push(['membership', plan.addTo.join(','), `${SERVICE_USER} to groups ${plan.addTo.join(', ')}`]);
  const verbs: Record<string, [string, string]> = { user: ['create', 'created'], group: ['create', 'created'], membership: ['add', 'added'] };
  if (offline) {
    // One edit of the files for the whole plan, attached to the first step.
    let done = false;
    return describe.map(([kind, target, what]) => ({
      kind,
      target,
      does: `${verbs[kind]![0]} ${what}`,
      did: `${verbs[kind]![1]} ${what}`,
      apply: () => {
        if (done) return;
        done = true;
        applyAccountFiles(root, plan, { user: SERVICE_USER, comment: 'vigil background tasks', home: STATE_DIR, shell: NOLOGIN_SHELL, now: host.now });
      },
    }));
  }
  const commands = accountCommands(plan, SERVICE_USER, STATE_DIR, NOLOGIN_SHELL);
  return describe.map(([kind, target, what], i) => ({
    kind,
    target,
    does: `${verbs[kind]![0]} ${what}`,
    did: `${verbs[kind]![1]} ${what}`,
    apply: async () => void (await mustRun(host.runner, ...commands[i]!)),
  }));
}

/** The link `systemctl enable` makes for WantedBy=multi-user.target, made by hand under --root. */
function linkStep(root: string): Step | undefined {
  const link = join(root, WANTS_LINK);
  let current: string | undefined;
  try {
    current = readlinkSync(link);
  } catch {
    current = undefined;
  }
  if (current === UNIT_PATH) return undefined;
  return {
    kind: 'link',
    target: WANTS_LINK,
    does: `enable ${SERVICE_NAME} (link ${WANTS_LINK})`,
    did: `enabled ${SERVICE_NAME} (linked ${WANTS_LINK})`,
    apply: () => {
      mkdirSync(dirname(link), { recursive: true, mode: 0o755 });
      if (current !== undefined) unlinkSync(link);
      symlinkSync(UNIT_PATH, link);
    },
  };
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InstallError('INSTALL_UNREADABLE', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`, { cause: err });
  }
}

/** The service user's ids from the (now updated) account files; root may hand files over to it. */
function chownToService(path: string, root: string, uid: number, which: 'both' | 'group'): void {
  if (uid !== 0) return;
  const accounts = readAccounts(root);
  const user = accounts.users.find((u) => u.name === SERVICE_USER);
  if (!user) return;
  chownSync(path, which === 'both' ? user.uid : 0, user.gid);
}

/** Written beside the target and renamed over it, so a reader never sees half a unit or config. */
function writeFileAtomic(path: string, text: string, mode: number, own?: () => void): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const tmp = `${path}.vigil-new`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, text);
    // The umask must not decide: the config is 0640, the unit and the rule 0644.
    fchmodSync(fd, mode);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  own?.();
}
