/**
 * The device side of `vigil deploy`: install a verified archive as a new version of its bundle,
 * switch to it in one rename, and keep it only if the running runtime is healthy with it.
 *
 * The order is what makes it safe. Nothing the runtime reads changes until the archive has been
 * read whole, every checksum matched and the new version is on disk under its final name. The
 * switch is one rename of a symlink. A marker written before the switch and removed after the
 * health check lets the next deploy undo a switch whose check never finished (the device lost
 * power, the process was killed).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BundleHealth, SmokeResult } from '../../runtime/bundle-health.js';
import { VigilError, errorMessage } from '../../runtime/errors.js';
import { readBundle } from '../bundle.js';
import { DeployError } from './errors.js';
import { alive, fsyncDir, replaceFile, switchLink, takeLock, writeTree } from './files.js';
import { DeviceLayout, versionEntry, type Current } from './layout.js';
import type { RuntimeLink } from './runtime-link.js';

export type ApplyStatus = 'deployed' | 'unchanged' | 'rolled-back';
export type Phase = 'verify' | 'unpack' | 'switch' | 'reload' | 'smoke' | 'rollback' | 'prune';

export interface ApplyOptions {
  layout: DeviceLayout;
  link: RuntimeLink;
  /** A task of the bundle to run after the switch; the version stays only if it succeeds. */
  smoke?: string;
  /** Versions to keep (the current one included). */
  keep: number;
  timeoutMs: number;
  onPhase?: (phase: Phase, detail?: string) => void;
}

export interface ApplyResult {
  bundle: string;
  version: string;
  sha256: string;
  status: ApplyStatus;
  previous: { version: string } | null;
  health?: BundleHealth;
  smoke?: SmokeResult;
  /** Why the new version was rolled back. */
  failure?: { code: string; message: string };
  /** Old versions removed to keep `keep`; pruneError when some could not be. */
  removed: string[];
  pruneError?: string;
  ms: number;
}

interface Pending {
  bundle: string;
  pid: number;
  /** What the entry pointed at before (a link target), or null when the bundle was not installed. */
  from: string | null;
  to: string;
}

export async function applyArchive(archive: Buffer, expectSha: string | undefined, o: ApplyOptions): Promise<ApplyResult> {
  const started = Date.now();
  const phase = o.onPhase ?? (() => {});
  phase('verify');
  const sha256 = createHash('sha256').update(archive).digest('hex');
  if (expectSha !== undefined && sha256 !== expectSha.toLowerCase()) {
    throw new DeployError('UPLOAD_INCOMPLETE', `the archive received has sha256 ${sha256} (${archive.length} bytes), not ${expectSha}: the upload was cut off or altered; the installed version is untouched`);
  }
  const bundle = readBundle(archive);
  const name = bundle.manifest.name;
  const { layout } = o;
  mkdirSync(layout.versionsOf(name), { recursive: true });
  const unlock = takeLock(layout.lockFile(name), `bundle ${name}`);
  try {
    await recoverPending(layout, name, o);
    const current = layout.current(name);
    // Read now: once switched, the entry's path leads to the new version's manifest.
    const previous = previousOf(current);
    const result = (status: ApplyStatus, extra: Partial<ApplyResult> = {}): ApplyResult => ({
      bundle: name,
      version: bundle.manifest.version,
      sha256,
      status,
      previous,
      removed: [],
      ...extra,
      ms: Date.now() - started,
    });

    if (current.kind === 'version' && current.version!.sha12 === sha256.slice(0, 12)) {
      // The same archive again: nothing to switch. Still report the runtime's view of it.
      phase('reload');
      const health = await o.link.reload(name, o.timeoutMs).catch((err: unknown) => unreachable(err));
      if (!health.healthy) throw new DeployError('UNHEALTHY', `${name} ${bundle.manifest.version} is already installed but not healthy: ${health.problem}`);
      return { ...result('unchanged', { health }), previous: null };
    }

    phase('unpack');
    const entry = versionEntry(layout.nextSeq(name), bundle.manifest.version, sha256);
    const staging = join(layout.versionsOf(name), `.${entry}.partial`);
    rmSync(staging, { recursive: true, force: true });
    await writeTree(staging, bundle.directories, bundle.files, bundle.modes);
    renameSync(staging, join(layout.versionsOf(name), entry));
    fsyncDir(layout.versionsOf(name));

    phase('switch', entry);
    const from = adoptCurrent(layout, name, current);
    const pending: Pending = { bundle: name, pid: process.pid, from, to: layout.linkTarget(name, entry) };
    replaceFile(layout.pendingFile(name), `${JSON.stringify(pending)}\n`);
    switchLink(layout.entry(name), pending.to);

    const check = await checkHealth(name, o, phase);
    if (!check.ok) {
      phase('rollback', check.error.message);
      await undo(layout, pending, o);
      return result('rolled-back', { failure: check.error, ...check.report });
    }
    recordLive(layout, name, from, entry);
    rmSync(layout.pendingFile(name), { force: true });
    phase('prune');
    const removed: string[] = [];
    // The deploy has succeeded by now: an old version that cannot be removed (files of another
    // owner, a busy disk) is reported, never turned into a failure.
    const pruneError = prune(layout, name, o.keep, removed);
    return result('deployed', { ...check.report, removed, ...(pruneError ? { pruneError } : {}) });
  } finally {
    unlock();
  }
}

/** Go back to the newest kept version older than the current one. */
export async function rollbackBundle(name: string, o: ApplyOptions): Promise<ApplyResult> {
  const started = Date.now();
  const { layout } = o;
  if (!existsSync(layout.versionsOf(name))) {
    throw new DeployError('NOT_DEPLOYED', `bundle "${name}" has no deployed versions in ${layout.bundlesDir}: nothing to roll back to`);
  }
  const unlock = takeLock(layout.lockFile(name), `bundle ${name}`);
  try {
    await recoverPending(layout, name, o);
    const current = layout.current(name);
    const history = layout.history(name);
    const at = current.kind === 'version' ? history.lastIndexOf(current.version!.entry) : -1;
    const targetEntry = at > 0 ? history[at - 1] : undefined;
    const target = layout.versions(name).find((v) => v.entry === targetEntry);
    if (!target) {
      throw new DeployError('NO_PREVIOUS_VERSION', `bundle "${name}" has no version that ran before ${describe(current)} kept on this device: nothing to roll back to`);
    }
    o.onPhase?.('switch', target.entry);
    switchLink(layout.entry(name), layout.linkTarget(name, target.entry));
    const check = await checkHealth(name, o, o.onPhase ?? (() => {}));
    replaceFile(layout.historyFile(name), `${JSON.stringify(history.slice(0, at))}\n`);
    if (!check.ok) throw new DeployError('ROLLBACK_UNHEALTHY', `rolled ${name} back to ${target.version}, but it is not healthy either: ${check.error.message}`);
    return {
      bundle: name,
      version: target.version,
      sha256: '',
      status: 'rolled-back',
      previous: previousOf(current),
      ...check.report,
      removed: [],
      ms: Date.now() - started,
    };
  } finally {
    unlock();
  }
}

type Report = { health?: BundleHealth; smoke?: SmokeResult };
type Check = { ok: true; report: Report } | { ok: false; error: { code: string; message: string }; report: Report };

async function checkHealth(name: string, o: ApplyOptions, phase: NonNullable<ApplyOptions['onPhase']>): Promise<Check> {
  phase('reload');
  let health: BundleHealth;
  try {
    health = await o.link.reload(name, o.timeoutMs);
  } catch (err) {
    const e = unreachableError(err);
    return { ok: false, error: { code: e.code, message: e.message }, report: {} };
  }
  if (!health.healthy) return { ok: false, error: { code: 'UNHEALTHY', message: `the runtime is not healthy with it: ${health.problem}` }, report: { health } };
  if (o.smoke === undefined) return { ok: true, report: { health } };
  phase('smoke', o.smoke);
  let smoke: SmokeResult;
  try {
    smoke = await o.link.smoke(name, o.smoke, o.timeoutMs, { deploy: true });
  } catch (err) {
    return { ok: false, error: { code: err instanceof VigilError ? err.code : 'SMOKE_FAILED', message: `smoke task ${o.smoke}: ${errorMessage(err)}` }, report: { health } };
  }
  if (smoke.outcome !== 'succeeded') {
    return { ok: false, error: { code: 'SMOKE_FAILED', message: `smoke task ${o.smoke} ${smoke.outcome}${smoke.error ? `: ${smoke.error}` : ''}` }, report: { health, smoke } };
  }
  return { ok: true, report: { health, smoke } };
}

/** Put back what the pending marker says was there, and drop the version that failed. */
async function undo(layout: DeviceLayout, pending: Pending, o: ApplyOptions): Promise<void> {
  if (pending.from === null) rmSync(layout.entry(pending.bundle), { force: true });
  else switchLink(layout.entry(pending.bundle), pending.from);
  fsyncDir(layout.bundlesDir);
  rmSync(join(layout.bundlesDir, pending.to), { recursive: true, force: true });
  rmSync(layout.pendingFile(pending.bundle), { force: true });
  // The runtime goes back to the old version now rather than when its watcher notices.
  await o.link.reload(pending.bundle, o.timeoutMs).catch(() => undefined);
}

/** A switch whose health check never finished (killed, power cut) is undone before anything else. */
async function recoverPending(layout: DeviceLayout, name: string, o: ApplyOptions): Promise<void> {
  const file = layout.pendingFile(name);
  if (!existsSync(file)) return;
  let pending: Pending;
  try {
    pending = JSON.parse(readFileSync(file, 'utf8')) as Pending;
  } catch {
    rmSync(file, { force: true });
    return;
  }
  if (pending.pid !== process.pid && alive(pending.pid)) return;
  o.onPhase?.('rollback', `a deploy of ${name} was interrupted before its health check: going back to what was there before it`);
  await undo(layout, pending, o);
}

/**
 * A bundle put in the bundles directory by hand (a directory, not a link) becomes version 0 so
 * that it can be switched back to. Returns what the link should point at to restore it.
 */
function adoptCurrent(layout: DeviceLayout, name: string, current: Current): string | null {
  if (current.kind === 'none') return null;
  if (current.kind === 'version') return layout.linkTarget(name, current.version!.entry);
  const entry = versionEntry(0, manualVersion(current.path!), '0'.repeat(12));
  const kept = join(layout.versionsOf(name), entry);
  rmSync(kept, { recursive: true, force: true });
  // The directory moves and the link replaces it within microseconds; the runtime's watcher
  // waits 250 ms for changes to settle, so it sees the link, never the gap.
  renameSync(layout.entry(name), kept);
  switchLink(layout.entry(name), layout.linkTarget(name, entry));
  return layout.linkTarget(name, entry);
}

function manualVersion(dir: string): string {
  try {
    const version = (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { version?: unknown }).version;
    return typeof version === 'string' ? version : 'manual';
  } catch {
    return 'manual';
  }
}

/** A version passed its health check: it is the newest in the history (once). */
function recordLive(layout: DeviceLayout, name: string, from: string | null, entry: string): void {
  let history = layout.history(name);
  // The first deploy over a version that has no history yet (adopted, or an older layout).
  const before = from?.split('/').at(-1);
  if (history.length === 0 && before !== undefined) history = [before];
  history = [...history.filter((e) => e !== entry), entry];
  replaceFile(layout.historyFile(name), `${JSON.stringify(history)}\n`);
}

/** Keep the last `keep` versions that went live (the current one among them); the rest go. */
function prune(layout: DeviceLayout, name: string, keep: number, removed: string[]): string | undefined {
  const current = layout.current(name);
  const kept = new Set(layout.history(name).slice(-keep));
  if (current.version) kept.add(current.version.entry);
  try {
    for (const v of layout.versions(name).filter((v) => !kept.has(v.entry))) {
      rmSync(v.path, { recursive: true, force: true });
      removed.push(v.entry);
    }
    if (removed.length > 0) fsyncDir(layout.versionsOf(name));
    return undefined;
  } catch (err) {
    return `old versions could not all be removed: ${errorMessage(err)}`;
  }
}

function previousOf(current: Current): { version: string } | null {
  if (current.kind === 'version') return { version: current.version!.version };
  if (current.kind === 'directory') return { version: manualVersion(current.path!) };
  return null;
}

function describe(current: Current): string {
  return current.kind === 'version' ? `${current.version!.version} (${current.version!.entry})` : current.kind === 'directory' ? 'the installed directory' : 'nothing';
}

function unreachableError(err: unknown): VigilError {
  if (err instanceof VigilError && err.code === 'NOT_RUNNING') {
    return new DeployError('RUNTIME_NOT_RUNNING', `no runtime answered to check the new version (${err.message})`);
  }
  return err instanceof VigilError ? err : new DeployError('HEALTH_CHECK_FAILED', `the health check failed: ${errorMessage(err)}`);
}

function unreachable(err: unknown): never {
  throw unreachableError(err);
}
