/** What the control socket answers: the methods the CLI (and other local tools) call. */
import { VigilError } from './errors.js';
import type { Runtime } from './runtime.js';

export function handleControl(runtime: Runtime, method: string, params: Record<string, unknown>): unknown {
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
    default:
      throw new VigilError('UNKNOWN_METHOD', `unknown control method "${method}": expected ping, status, trigger or emit`);
  }
}
