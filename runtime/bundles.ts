/**
 * Bundles: one directory per bundle under the bundles directory, loaded at start and reloaded
 * when they change. A replaced bundle's running tasks are cancelled with ServicingUpdate, a
 * removed one's with Uninstall; an updated bundle then gets SystemTrigger ServicingComplete.
 * A manifest that does not validate never replaces a working version: it is reported and the
 * old version keeps running. Changes are applied one at a time, in order.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, realpathSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join, normalize, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AccessManager } from './access.js';
import type { Dispatcher } from './dispatcher.js';
import { ManifestError, RegistrationError, TaskError, VigilError, errorMessage } from './errors.js';
import type { InProcessHost } from './host/inprocess-host.js';
import type { Logger } from './logger.js';
import { loadManifest, type Manifest, type ManifestTask } from './manifest.js';
import { BackgroundTaskRegistrationGroup } from './registration.js';
import type { RegistrationSpec, TaskRegistry } from './registry.js';
import type { TaskEntryPoint } from './store-types.js';
import { systemTriggerKey } from './triggers/system.js';
import type { SourcePort } from './broker.js';

export interface LoadedBundle {
  name: string;
  version: string;
  /** The real directory (a deploy switches a symlink; this is what it pointed at). */
  dir: string;
  fingerprint: string;
  tasks: string[];
}

export interface RejectedBundle {
  name: string;
  /** The content that was rejected: unchanged content is not re-read and re-reported. */
  fingerprint: string;
  error: { code: string; message: string };
}

export interface BundleManagerDeps {
  dir: string;
  registry: TaskRegistry;
  access: AccessManager;
  dispatcher: Dispatcher;
  inprocess: InProcessHost;
  port: SourcePort;
  log: Logger;
  /** Grace for tasks cancelled by a replacement or removal. */
  graceMs: () => number;
}

const DEBOUNCE_MS = 250;

export class BundleManager {
  readonly #d: BundleManagerDeps;
  readonly loaded = new Map<string, LoadedBundle>();
  readonly rejected = new Map<string, RejectedBundle>();
  #watchers = new Map<string, FSWatcher>();
  #debounce: ReturnType<typeof setTimeout> | undefined;
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(deps: BundleManagerDeps) {
    this.#d = deps;
  }

  moduleUrl(entry: TaskEntryPoint): string {
    const bundle = this.loaded.get(entry.bundle);
    if (!bundle) {
      const rejected = this.rejected.get(entry.bundle);
      throw new TaskError(
        'TASK_LOAD_FAILED',
        rejected ? `bundle "${entry.bundle}" is not loaded: it was rejected (${rejected.error.message})` : `bundle "${entry.bundle}" is not loaded (there is no ${entry.bundle}/manifest.json in ${this.#d.dir})`,
      );
    }
    // The fingerprint in the URL makes a replaced bundle a new module for the in-process loader.
    return `${pathToFileURL(join(bundle.dir, normalize(entry.module))).href}?v=${bundle.fingerprint}`;
  }

  checkEntryPoint(entry: TaskEntryPoint, field: string): void {
    const bundle = this.loaded.get(entry.bundle);
    const dir = bundle?.dir ?? this.#dirOf(entry.bundle);
    const file = dir ? join(dir, normalize(entry.module)) : undefined;
    if (!file || !existsSync(file) || relative(dir!, file).startsWith('..')) {
      throw new RegistrationError('ENTRY_POINT_INVALID', `${field} ${entry.bundle}/${entry.module} does not exist in ${this.#d.dir}: expected a module of a bundle there`);
    }
  }

  /** Load every bundle (at start). Registrations of bundles that disappeared while stopped go. */
  load(): Promise<void> {
    return this.#enqueue(() => this.#sync(true));
  }

  /** Re-read the bundles directory now (tests, `vigil deploy` after switching a version). */
  rescan(): Promise<void> {
    return this.#enqueue(() => this.#sync(false));
  }

  watch(): void {
    if (!existsSync(this.#d.dir)) return;
    this.#watch(this.#d.dir);
    for (const bundle of this.loaded.values()) this.#watch(bundle.dir);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#debounce) clearTimeout(this.#debounce);
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
    await this.#queue;
  }

  #watch(dir: string): void {
    if (this.#watchers.has(dir) || this.#closed) return;
    try {
      const watcher = watch(dir, { persistent: false }, () => this.#changed());
      watcher.on('error', () => {
        watcher.close();
        this.#watchers.delete(dir);
      });
      this.#watchers.set(dir, watcher);
    } catch (err) {
      this.#d.log.warn({ dir, err: errorMessage(err) }, `cannot watch ${dir} for changes: bundles there reload only on restart`);
    }
  }

  #changed(): void {
    if (this.#closed) return;
    if (this.#debounce) clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.rescan(), DEBOUNCE_MS);
    this.#debounce.unref();
  }

  #enqueue(job: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(job, job);
    this.#queue = next.catch((err: unknown) => this.#d.log.error({ err: errorMessage(err) }, 'bundle reload failed'));
    return next;
  }

  #dirOf(name: string): string | undefined {
    const dir = join(this.#d.dir, name);
    try {
      return statSync(dir).isDirectory() ? realpathSync(dir) : undefined;
    } catch {
      return undefined;
    }
  }

  async #sync(starting: boolean): Promise<void> {
    const names = existsSync(this.#d.dir)
      ? readdirSync(this.#d.dir, { withFileTypes: true })
          .filter((e) => !e.name.startsWith('.') && (e.isDirectory() || e.isSymbolicLink()))
          .map((e) => e.name)
          .sort()
      : [];
    const present = new Set<string>();
    for (const name of names) {
      const dir = this.#dirOf(name);
      if (!dir) continue;
      present.add(name);
      const fingerprint = fingerprintOf(dir);
      if (this.loaded.get(name)?.fingerprint === fingerprint) {
        // Back to the content that is loaded (a deploy rolled back): an older rejection no longer applies.
        this.rejected.delete(name);
        continue;
      }
      if (this.rejected.get(name)?.fingerprint === fingerprint) continue;
      await this.#apply(name, dir, fingerprint, starting);
    }
    for (const name of [...this.loaded.keys()]) if (!present.has(name)) await this.#remove(name);
    for (const name of [...this.rejected.keys()]) if (!present.has(name)) this.rejected.delete(name);
    if (starting) {
      // Bundles removed while the runtime was stopped.
      for (const record of this.#d.registry.records()) {
        if (record.source === 'manifest' && !this.loaded.has(record.entryPoint.bundle) && !present.has(record.entryPoint.bundle)) {
          this.#d.registry.unregister(record.taskId, false);
        }
      }
    }
  }

  async #apply(name: string, dir: string, fingerprint: string, starting: boolean): Promise<void> {
    const { registry, access, dispatcher, log } = this.#d;
    const previous = this.loaded.get(name);
    let manifest: Manifest;
    let specs: RegistrationSpec[];
    const staged: LoadedBundle = { name, version: '', dir, fingerprint, tasks: [] };
    try {
      manifest = loadManifest(dir, name);
      staged.version = manifest.version;
      access.requestAccess(name);
      specs = manifest.tasks.map((task, i) => specFor(name, manifest.version, task, i));
      // Validate the whole manifest before touching anything: all or nothing.
      this.loaded.set(name, staged);
      try {
        for (const spec of specs) registry.validate(spec);
      } finally {
        if (previous) this.loaded.set(name, previous);
        else this.loaded.delete(name);
      }
    } catch (err) {
      const error = asManifestError(err, name, dir);
      this.rejected.set(name, { name, fingerprint, error: { code: error.code, message: error.message } });
      log.error({ evt: 'bundle', bundle: name, action: 'rejected', err: { code: error.code, message: error.message } }, `bundle ${name} rejected`);
      return;
    }
    this.rejected.delete(name);
    const before = registry.byBundle(name).filter((r) => r.source === 'manifest');
    const updatedWhileStopped = starting && before.some((r) => r.bundleVersion !== manifest.version);
    if (previous) {
      await dispatcher.cancelWhere((r) => r.entryPoint.bundle === name, 'ServicingUpdate', `bundle ${name} is being replaced by version ${manifest.version}`, this.#d.graceMs());
    }
    this.loaded.set(name, { ...staged, tasks: manifest.tasks.map((t) => t.name) });
    for (const spec of specs) registry.upsert(spec);
    const keep = new Set(manifest.tasks.map((t) => t.name));
    for (const record of before) if (!keep.has(record.name)) registry.unregister(record.taskId, true);
    for (const task of manifest.tasks.filter((t) => t.isolation === 'inprocess')) {
      const url = this.moduleUrl({ bundle: name, module: task.entry, export: task.export });
      await this.#d.inprocess.preload(url).catch((err: unknown) =>
        log.error({ evt: 'bundle', bundle: name, err: { code: 'TASK_LOAD_FAILED', message: errorMessage(err) } }, `cannot load ${name}/${task.entry}`),
      );
    }
    this.#watch(dir);
    const action = previous || updatedWhileStopped ? 'replaced' : 'loaded';
    log.info({ evt: 'bundle', bundle: name, version: manifest.version, action, tasks: manifest.tasks.length }, `bundle ${name} ${action}`);
    if (previous || updatedWhileStopped) {
      this.#d.port.raise(systemTriggerKey('ServicingComplete'), { bundle: name, version: manifest.version, ...(previous ? { previousVersion: previous.version } : {}) }, { bundle: name });
    }
  }

  async #remove(name: string): Promise<void> {
    const { registry, dispatcher, access, log } = this.#d;
    const bundle = this.loaded.get(name)!;
    await dispatcher.cancelWhere((r) => r.entryPoint.bundle === name, 'Uninstall', `bundle ${name} was removed`, this.#d.graceMs());
    for (const record of registry.byBundle(name)) registry.unregister(record.taskId, false);
    this.loaded.delete(name);
    this.#watchers.get(bundle.dir)?.close();
    this.#watchers.delete(bundle.dir);
    access.removeAccess(name);
    log.info({ evt: 'bundle', bundle: name, version: bundle.version, action: 'removed' }, `bundle ${name} removed`);
  }
}

function specFor(bundle: string, version: string, task: ManifestTask, i: number): RegistrationSpec {
  const spec: RegistrationSpec = {
    name: task.name,
    bundle,
    entryPoint: { bundle, module: normalize(task.entry), export: task.export },
    trigger: task.trigger,
    conditions: task.conditions,
    cancelOnConditionLoss: task.cancelOnConditionLoss,
    isNetworkRequested: task.isNetworkRequested,
    isolation: task.isolation,
    capabilities: task.capabilities,
    bundleVersion: version,
    field: `tasks[${i}]`,
  };
  if (task.group) spec.taskGroup = new BackgroundTaskRegistrationGroup(task.group);
  if (task.memoryMb !== undefined) spec.memoryMb = task.memoryMb;
  if (task.timeoutSec !== undefined) spec.timeoutSec = task.timeoutSec;
  return spec;
}

function asManifestError(err: unknown, bundle: string, dir: string): VigilError {
  if (err instanceof ManifestError) return err;
  if (err instanceof VigilError) {
    return new ManifestError(`${join(dir, 'manifest.json')}: ${err.message}`, { bundle, code: err.code, cause: err });
  }
  return new ManifestError(`${join(dir, 'manifest.json')}: ${errorMessage(err)}`, { bundle, cause: err });
}

/** Content identity of a bundle directory: the manifest text plus every file's path, size and mtime. */
function fingerprintOf(dir: string): string {
  const hash = createHash('sha256');
  const walk = (at: string, depth: number) => {
    if (depth > 8) return;
    for (const entry of readdirSync(at, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path, depth + 1);
      else if (entry.isFile()) {
        const st = statSync(path);
        hash.update(`${relative(dir, path)}\0${st.size}\0${st.mtimeMs}\n`);
      }
    }
  };
  hash.update(dir);
  walk(dir, 0);
  return hash.digest('hex').slice(0, 12);
}
