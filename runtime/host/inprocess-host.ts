/**
 * In-process host: the task runs in the runtime's own thread. Nothing stands between the event
 * and run(), so dispatch costs microseconds — and nothing protects the runtime from the task:
 * an infinite loop here stalls everything. For small, trusted tasks only; the quota can cancel
 * such a task but cannot stop its code.
 */
import { TaskError } from '../errors.js';
import { TaskInstance, type TaskFunction } from '../task-instance.js';
import { resolveTaskFunction } from '../task-loader.js';
import type { HostCallbacks, HostedRun, RunRequest, TaskHost } from './host.js';

export class InProcessHost implements TaskHost {
  readonly kind = 'inprocess' as const;
  readonly #modules = new Map<string, unknown>();

  /** Import a module ahead of its first run, so dispatch never waits on the loader. */
  async preload(moduleUrl: string): Promise<void> {
    if (!this.#modules.has(moduleUrl)) this.#modules.set(moduleUrl, await import(moduleUrl));
  }

  forget(moduleUrl: string): void {
    this.#modules.delete(moduleUrl);
  }

  start(request: RunRequest, callbacks: HostCallbacks): HostedRun {
    let instance: TaskInstance | undefined;
    let abandoned = false;
    const channel = {
      progress: (v: number) => !abandoned && callbacks.progress(v),
      log: callbacks.log,
      call: callbacks.call,
      ended: (error: TaskError | undefined) => !abandoned && callbacks.ended(error),
    };
    const begin = (fn: TaskFunction) => {
      if (abandoned) return;
      instance = new TaskInstance(request, channel);
      callbacks.started({ warm: true });
      instance.start(fn);
    };
    const fail = (err: unknown) => {
      if (!abandoned) callbacks.ended(err instanceof TaskError ? err : new TaskError('TASK_LOAD_FAILED', String(err), { cause: err }));
    };

    if (request.loadError) {
      fail(request.loadError);
    } else if (request.handler) {
      begin(request.handler);
    } else if (!request.moduleUrl) {
      const group = request.task.taskGroup;
      fail(
        new TaskError(
          'NO_ACTIVATION_HANDLER',
          `task "${request.task.name}" has no entry point and ${group ? `its group "${group}"` : 'the runtime'} has no backgroundActivated handler to run it`,
        ),
      );
    } else {
      const url = request.moduleUrl!;
      const where = `${request.task.bundle}/${url.split('/').pop() ?? url}`;
      const loaded = this.#modules.get(url);
      if (loaded !== undefined) {
        let fn: TaskFunction | undefined;
        try {
          fn = resolveTaskFunction(loaded, request.exportName ?? 'default', where);
        } catch (err) {
          fail(err);
        }
        if (fn) begin(fn);
      } else {
        import(url).then(
          (mod: unknown) => {
            this.#modules.set(url, mod);
            begin(resolveTaskFunction(mod, request.exportName ?? 'default', where));
          },
        ).catch((err: unknown) =>
          fail(err instanceof TaskError ? err : new TaskError('TASK_LOAD_FAILED', `cannot load ${where}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })),
        );
      }
    }

    return {
      cancel: (reason, detail) => instance?.cancel(reason, detail),
      kill: () => {
        abandoned = true;
      },
      setWorkCost: (value) => instance?.setWorkCost(value),
    };
  }

  async close(): Promise<void> {
    this.#modules.clear();
  }
}
