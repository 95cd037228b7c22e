/**
 * How `vigil apply` asks the running runtime about a bundle it just switched: over the control
 * socket, the same one `vigil status` uses. An interface so the deploy logic can be tested
 * against a runtime in the same process too.
 */
import { reloadBundle, smokeTask, type BundleHealth, type SmokeResult } from '../../runtime/bundle-health.js';
import { controlRequest } from '../../runtime/control-client.js';
import type { Runtime } from '../../runtime/runtime.js';

export interface RuntimeLink {
  /** Re-read the bundles directory and report on `bundle` (throws NOT_RUNNING when no runtime answers). */
  reload(bundle: string, timeoutMs: number): Promise<BundleHealth>;
  smoke(bundle: string, task: string, timeoutMs: number, details: Record<string, unknown>): Promise<SmokeResult>;
}

export function socketLink(socketPath: string): RuntimeLink {
  return {
    // The reload waits for tasks cancelled with ServicingUpdate to end; the margin covers their grace.
    reload: async (bundle, timeoutMs) => (await controlRequest(socketPath, 'bundle.reload', { bundle }, timeoutMs)) as BundleHealth,
    smoke: async (bundle, task, timeoutMs, details) =>
      (await controlRequest(socketPath, 'bundle.smoke', { bundle, task, timeoutMs, details }, timeoutMs + 5_000)) as SmokeResult,
  };
}

/** The same questions asked of a runtime in this process (a deploy handed to it through its socket). */
export function inProcessLink(runtime: Runtime): RuntimeLink {
  return {
    reload: (bundle) => reloadBundle(runtime, bundle),
    smoke: (bundle, task, timeoutMs, details) => smokeTask(runtime, bundle, task, timeoutMs, details),
  };
}
