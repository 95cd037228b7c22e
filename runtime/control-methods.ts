/** What the control socket answers: the methods the CLI (and other local tools) call. */
import { bundleHealth, reloadBundle, smokeTask } from './bundle-health.js';
import { VigilError } from './errors.js';
import type { Runtime } from './runtime.js';

export function handleControl(runtime: Runtime, method: string, params: Record<string, unknown>): unknown {
  const bundle = () => {
    if (typeof params.bundle !== 'string' || params.bundle === '') throw new VigilError('BAD_REQUEST', `"${method}" needs a bundle name`);
    return params.bundle;
  };
  switch (method) {
    case 'ping':
      return { pid: process.pid };
    case 'status':
      return runtime.status();
    case 'trigger': {
      const args = typeof params.args === 'object' && params.args !== null ? (params.args as Record<string, string>) : {};
      return runtime.trigger(String(params.name), args);
    }
    case 'emit':
      return runtime.emit(String(params.id), {}, 'vigil emit');
    // A deploy's health check (vigil apply): reload after a switch, then report; run a smoke task.
    case 'bundle.reload':
      return reloadBundle(runtime, bundle());
    case 'bundle.health':
      return bundleHealth(runtime, bundle());
    case 'bundle.smoke': {
      const timeoutMs = typeof params.timeoutMs === 'number' && params.timeoutMs > 0 ? params.timeoutMs : 30_000;
      const details = typeof params.details === 'object' && params.details !== null ? (params.details as Record<string, unknown>) : {};
      return smokeTask(runtime, bundle(), String(params.task), timeoutMs, details);
    }
    default:
      throw new VigilError('UNKNOWN_METHOD', `unknown control method "${method}": expected ping, status, trigger, emit, bundle.reload, bundle.health or bundle.smoke`);
  }
}
