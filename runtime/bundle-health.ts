/**
 * What a deploy asks the running runtime after switching a bundle's version: did it load the
 * version that is now on disk, are its registrations armed, and (optionally) does a smoke task
 * complete. The answers go over the control socket to `vigil apply` on the device.
 */
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError, errorMessage } from './errors.js';
import type { Runtime } from './runtime.js';

export interface BundleHealth {
  bundle: string;
  /** The directory the bundles directory points at now (the version a deploy switched to). */
  onDisk: string | null;
  loaded: { version: string; dir: string } | null;
  rejected: { code: string; message: string } | null;
  tasks: { name: string; taskId: string; armed: boolean; error?: string }[];
  /** Loaded from the directory on disk, not rejected, every manifest task registered and armed. */
  healthy: boolean;
  problem?: string;
}

export interface SmokeResult {
  task: string;
  outcome: 'succeeded' | 'failed' | 'canceled' | 'not-started';
  ms: number;
  error?: string;
}

/** Re-read the bundles directory, then report on `bundle`. */
export async function reloadBundle(runtime: Runtime, bundle: string): Promise<BundleHealth> {
  await runtime.bundles.rescan();
  return bundleHealth(runtime, bundle);
}

export function bundleHealth(runtime: Runtime, bundle: string): BundleHealth {
  const onDisk = realDir(join(runtime.config.bundlesDir, bundle));
  const loaded = runtime.bundles.loaded.get(bundle);
  const rejected = runtime.bundles.rejected.get(bundle);
  const records = runtime.registry.byBundle(bundle).filter((r) => r.source === 'manifest');
  const tasks = (loaded?.tasks ?? []).map((name) => {
    const record = records.find((r) => r.name === name);
    if (!record) return { name, taskId: '', armed: false, error: 'not registered' };
    const armed = runtime.broker.armedDefinition(record.taskId) !== undefined;
    return { name, taskId: record.taskId, armed, ...(armed ? {} : { error: armError(runtime, record.entryPoint.bundle) }) };
  });
  const health: BundleHealth = {
    bundle,
    onDisk,
    loaded: loaded ? { version: loaded.version, dir: loaded.dir } : null,
    rejected: rejected && (!loaded || rejected.fingerprint !== loaded.fingerprint) ? rejected.error : null,
    tasks,
    healthy: false,
  };
  const problem = problemOf(health);
  if (problem) health.problem = problem;
  else health.healthy = true;
  return health;
}

function problemOf(h: BundleHealth): string | undefined {
  if (h.onDisk === null) return `there is no bundle "${h.bundle}" in the bundles directory`;
  if (h.loaded === null || h.loaded.dir !== h.onDisk) {
    if (h.rejected) return `the runtime rejected it: ${h.rejected.message}`;
    return h.loaded === null ? 'the runtime has not loaded it' : `the runtime still runs ${h.loaded.dir}, not ${h.onDisk}`;
  }
  const unarmed = h.tasks.filter((t) => !t.armed);
  if (unarmed.length > 0) return `registrations not armed: ${unarmed.map((t) => `${t.name} (${t.error ?? 'not armed'})`).join(', ')}`;
  return undefined;
}

function armError(runtime: Runtime, bundle: string): string {
  return runtime.access.allowed(bundle) ? 'its trigger could not be armed (see the runtime log)' : 'the device policy denies this bundle';
}

function realDir(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/**
 * Run one of the bundle's tasks now, whatever its trigger, and wait for it to end. The task
 * sees `{ smoke: true, deploy: … }` as its trigger details, so it can tell a check from real work.
 */
export async function smokeTask(runtime: Runtime, bundle: string, task: string, timeoutMs: number, details: Record<string, unknown> = {}): Promise<SmokeResult> {
  const record = runtime.registry.byBundle(bundle).find((r) => r.name === task);
  if (!record) {
    const names = runtime.registry.byBundle(bundle).map((r) => r.name);
    throw new VigilError('SMOKE_TASK_NOT_FOUND', `bundle "${bundle}" has no task "${task}" to run as a smoke test${names.length ? ` (its tasks: ${names.join(', ')})` : ''}`);
  }
  const started = Date.now();
  const elapsed = () => Date.now() - started;
  return new Promise<SmokeResult>((resolve) => {
    let instanceId: string | undefined;
    const done = (result: SmokeResult) => {
      clearTimeout(timer);
      offStarted();
      offFinished();
      resolve(result);
    };
    const offStarted = runtime.dispatcher.events.on('started', (e) => {
      if (e.taskId === record.taskId && instanceId === undefined) instanceId = e.instanceId;
    });
    const offFinished = runtime.dispatcher.events.on('finished', (e) => {
      if (e.taskId !== record.taskId || (instanceId !== undefined && e.result.instanceId !== instanceId)) return;
      const { outcome, error, reason } = e.result;
      const message = error ? errorMessage(error) : reason ? `canceled: ${reason}` : undefined;
      done({ task, outcome, ms: elapsed(), ...(message ? { error: message } : {}) });
    });
    const timer = setTimeout(() => done({ task, outcome: 'not-started', ms: elapsed(), error: `it did not end within ${timeoutMs / 1000} s` }), timeoutMs);
    timer.unref();
    if (runtime.dispatcher.isRunning(record.taskId)) {
      // Its own trigger is running it: that run's end is the answer as well as any.
      return;
    }
    const outcome = runtime.dispatcher.activate(record.taskId, { smoke: true, ...details });
    if (outcome === 'denied' || outcome === 'unknown' || outcome === 'done') {
      done({ task, outcome: 'not-started', ms: elapsed(), error: `the runtime did not start it (${outcome === 'denied' ? 'denied by the device policy' : outcome})` });
    }
  });
}
