/**
 * Isolated host: each run in its own worker thread from the warm pool. The runtime stays out of
 * reach of the task: a crash, an infinite loop, an unhandled rejection, process.exit() or an
 * exhausted heap ends the worker, never the runtime, and each ends as a failed run that names
 * the cause. Device capabilities are reached by RPC over the worker's port.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import type { BackgroundTaskCancellationReason } from '../enums.js';
import { serializeError, TaskCanceledError, TaskError, type SerializedError } from '../errors.js';
import type { HostCallbacks, HostedRun, RunRequest, TaskHost } from './host.js';
import type { Lease, WorkerPool } from './worker-pool.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';

export interface WorkerHostOptions {
  pool: WorkerPool;
  /** How often a worker samples its memory while a task runs. */
  sampleMs?: number;
  heapCapMb: number;
}

export class WorkerHost implements TaskHost {
  readonly kind = 'worker' as const;
  readonly #pool: WorkerPool;
  readonly #sampleMs: number;
  readonly #heapCapMb: number;

  constructor(options: WorkerHostOptions) {
    this.#pool = options.pool;
    this.#sampleMs = options.sampleMs ?? 20;
    this.#heapCapMb = options.heapCapMb;
  }

  start(request: RunRequest, callbacks: HostCallbacks): HostedRun {
    let lease: Lease | undefined;
    let ended = false;
    let pendingCancel: { reason: BackgroundTaskCancellationReason; detail: string } | undefined;
    let peak = 0;
    const detach: (() => void)[] = [];

    const end = (error: TaskError | undefined, keepFor?: string) => {
      if (ended) return;
      ended = true;
      for (const off of detach.splice(0)) off();
      lease?.release(keepFor);
      callbacks.ended(error, { peakBytes: peak });
    };
    const send = (message: ToWorker) => {
      if (lease && !ended) lease.worker.postMessage(message);
    };

    const attach = (worker: Worker) => {
      const onMessage = (message: FromWorker) => {
        switch (message.t) {
          case 'started':
            lease?.started();
            callbacks.started({ warm: lease?.warm ?? false });
            break;
          case 'progress':
            callbacks.progress(message.value);
            break;
          case 'log':
            callbacks.log(message.level, message.msg, message.fields);
            break;
          case 'mem':
            peak = Math.max(peak, message.peak);
            callbacks.memory(message.used);
            break;
          case 'call':
            callbacks.call(message.capability, message.args).then(
              (value) => send({ t: 'reply', id: message.id, ok: true, value }),
              (err: unknown) => send({ t: 'reply', id: message.id, ok: false, error: serializeError(err) }),
            );
            break;
          case 'done':
            peak = Math.max(peak, message.peak);
            end(message.error ? revive(message.error) : undefined, message.reusable && !message.error ? request.moduleUrl : undefined);
            break;
        }
      };
      const onError = (err: Error & { code?: string }) => {
        if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
          end(
            new TaskCanceledError('ResourceRevocation', `the task exhausted its heap (a task worker's V8 limit is ${this.#heapCapMb} MB)`, {
              code: 'HEAP_EXHAUSTED',
              cause: err,
            }),
          );
        } else {
          end(new TaskError('WORKER_FAILED', `the task worker failed: ${err.message}`, { cause: err }));
        }
      };
      const onExit = (code: number) => {
        end(new TaskError('TASK_EXITED', `the task ended its worker with process.exit(${code}) before it completed`));
      };
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      // A kept worker serves another run later: this run's listeners must not stay behind.
      detach.push(() => worker.off('message', onMessage).off('error', onError).off('exit', onExit));
    };

    this.#pool.acquire(request.moduleUrl).then(
      (acquired) => {
        if (ended) {
          acquired.release();
          return;
        }
        lease = acquired;
        attach(acquired.worker);
        const run: ToWorker = {
          t: 'run',
          instanceId: request.instanceId,
          task: request.task,
          moduleUrl: request.moduleUrl!,
          exportName: request.exportName ?? 'default',
          triggerDetails: request.triggerDetails,
          suspendedCount: request.suspendedCount,
          throttle: request.throttle,
          workCost: request.workCost,
          capabilities: request.capabilities,
          budgetBytes: request.budgetBytes ?? Number.MAX_SAFE_INTEGER,
          sampleMs: this.#sampleMs,
        };
        try {
          acquired.worker.postMessage(run);
        } catch (err) {
          end(new TaskError('TRIGGER_DETAILS_UNCLONEABLE', `the trigger details cannot be sent to a worker: ${(err as Error).message}`, { cause: err }));
          return;
        }
        if (pendingCancel) send({ t: 'cancel', ...pendingCancel });
        // After the run message, so reading the task's console output never delays its start.
        detach.push(pipeLines(acquired.worker.stdout, (line) => callbacks.log('info', line, { stream: 'stdout' })));
        detach.push(pipeLines(acquired.worker.stderr, (line) => callbacks.log('warn', line, { stream: 'stderr' })));
      },
      (err: Error) => end(new TaskError('WORKER_FAILED', `no task worker could be started: ${err.message}`, { cause: err })),
    );

    return {
      cancel: (reason, detail) => {
        if (!lease) pendingCancel = { reason, detail };
        send({ t: 'cancel', reason, detail });
      },
      kill: () => {
        // The supervisor has already decided how this run ended; stop the thread quietly.
        if (ended) return;
        ended = true;
        for (const off of detach.splice(0)) off();
        lease?.release();
      },
      setWorkCost: (value) => send({ t: 'cost', value }),
    };
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}

function revive(e: SerializedError): TaskError {
  const err = new TaskError(e.code ?? 'TASK_FAILED', e.message, { remote: e });
  if (e.stack) err.stack = e.stack;
  return err;
}

function pipeLines(stream: Readable | null | undefined, onLine: (line: string) => void): () => void {
  if (!stream) return () => {};
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  rl.on('line', (line) => {
    if (line.trim() !== '') onLine(line);
  });
  return () => rl.close();
}
