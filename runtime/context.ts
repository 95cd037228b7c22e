/**
 * The seed's statics (BackgroundTaskRegistration.allTasks, BackgroundExecutionManager.
 * requestAccess, `new BackgroundTaskBuilder().register()`) need an ambient runtime. A started
 * Runtime binds itself here and unbinds at stop; the statics read it. Everything else takes its
 * runtime explicitly, so tests can run several runtimes side by side.
 */
import { VigilError } from './errors.js';
import type { AccessManager } from './access.js';
import type { TaskRegistry } from './registry.js';

export interface RuntimeContext {
  registry: TaskRegistry;
  access: AccessManager;
}

let current: RuntimeContext | undefined;

export function bindContext(context: RuntimeContext): () => void {
  current = context;
  return () => {
    if (current === context) current = undefined;
  };
}

export function currentContext(): RuntimeContext {
  if (!current) {
    throw new VigilError('NO_RUNTIME', 'no vigil runtime is running in this process: start one (Runtime.start) before using the background task API');
  }
  return current;
}
