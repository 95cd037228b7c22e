/**
 * The code inside a task worker. It waits, warm, for a run; loads the task's module; runs it
 * through a TaskInstance whose channel is this worker's port; samples its own memory so the
 * runtime can enforce the budget; and reports how the task ended — including the endings a
 * task does not choose: an unhandled rejection or an uncaught exception. (process.exit() and
 * heap exhaustion end the thread itself; the runtime sees those from outside.)
 *
 * After a clean run the worker says whether it could serve the same module again: only if the
 * task left nothing running (no timers, sockets or calls in flight) and kept little memory.
 */
import { parentPort } from 'node:worker_threads';
import { serializeError, TaskError, type SerializedError } from '../errors.js';
import { TaskInstance, toTaskError } from '../task-instance.js';
import { resolveTaskFunction } from '../task-loader.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('worker-entry must run in a worker thread');

/** Memory a kept worker may have grown by since it started; beyond it, it is not reused. */
const REUSE_GROWTH_LIMIT = 16 * 1024 * 1024;

interface Run {
  instance: TaskInstance | undefined;
  finished: boolean;
  baseline: number;
  peak: number;
  sampler: ReturnType<typeof setInterval>;
}

const post = (message: FromWorker) => port.postMessage(message);
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
let nextCall = 1;
let current: Run | undefined;
let idleResources: string[] = [];
let startMemory = 0;

const memory = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

function sample(run: Run, budget: number): void {
  const now = Math.max(0, memory() - run.baseline);
  // Report growth in steps and every sample once over budget, not every sample: the port is
  // shared with progress and calls.
  if (now > run.peak + 1024 * 1024 || now > budget) post({ t: 'mem', used: now, peak: Math.max(run.peak, now) });
  run.peak = Math.max(run.peak, now);
}

/** Nothing of the task still runs here: the same resources as when the worker was fresh. */
function leftClean(): boolean {
  if (pending.size > 0) return false;
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  for (const r of idleResources) counts.set(r, (counts.get(r) ?? 0) - 1);
  return [...counts.values()].every((n) => n <= 0) && memory() - startMemory < REUSE_GROWTH_LIMIT;
}

function finish(run: Run, error: TaskError | undefined): void {
  if (run.finished) return;
  run.finished = true;
  clearInterval(run.sampler);
  run.peak = Math.max(run.peak, memory() - run.baseline);
  current = undefined;
  const message: FromWorker = { t: 'done', peak: run.peak, reusable: false };
  if (error) message.error = serializeError(error);
  // Decided after this turn: a task's last callbacks may still be unwinding now.
  setImmediate(() => {
    message.reusable = !error && leftClean();
    post(message);
  });
}

function failCurrent(code: string, reason: unknown): void {
  const error = toTaskError(code, reason);
  if (current?.instance) current.instance.fail(error);
  else if (current) finish(current, error);
  // Between runs: something the last task left behind failed. This worker is not to be trusted
  // with another run; ending it takes it out of the pool.
  else process.exit(70);
}

process.on('unhandledRejection', (reason) => failCurrent('UNHANDLED_REJECTION', reason));
process.on('uncaughtException', (err) => failCurrent('UNCAUGHT_EXCEPTION', err));

function remoteError(e: SerializedError): Error {
  const err = new Error(e.message) as Error & { code?: string };
  err.name = e.name;
  if (e.code) err.code = e.code;
  return err;
}

port.on('message', (message: ToWorker) => {
  switch (message.t) {
    case 'run':
      void run(message);
      break;
    case 'cancel':
      current?.instance?.cancel(message.reason, message.detail);
      break;
    case 'cost':
      current?.instance?.setWorkCost(message.value);
      break;
    case 'reply': {
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (!waiter) break;
      if (message.ok) waiter.resolve(message.value);
      else waiter.reject(remoteError(message.error));
      break;
    }
  }
});

async function run(message: Extract<ToWorker, { t: 'run' }>): Promise<void> {
  const state: Run = { instance: undefined, finished: false, baseline: memory(), peak: 0, sampler: setInterval(() => sample(state, message.budgetBytes), message.sampleMs) };
  current = state;
  const where = `${message.task.bundle}/${message.moduleUrl.split('/').pop() ?? message.moduleUrl}`;
  let fn;
  try {
    fn = resolveTaskFunction(await import(message.moduleUrl), message.exportName, where);
  } catch (err) {
    finish(state, err instanceof TaskError ? err : new TaskError('TASK_LOAD_FAILED', `cannot load ${where}: ${err instanceof Error ? err.message : String(err)}`));
    return;
  }
  state.instance = new TaskInstance(message, {
    progress: (value) => post({ t: 'progress', value }),
    log: (level, msg, fields) => {
      const m: FromWorker = { t: 'log', level, msg };
      if (fields !== undefined) m.fields = fields;
      try {
        post(m);
      } catch {
        // fields that cannot be cloned (functions, sockets) are dropped, the line is kept
        post({ t: 'log', level, msg, fields: { unserialisable: true } });
      }
    },
    call: (capability, args) =>
      new Promise((resolve, reject) => {
        const id = nextCall++;
        pending.set(id, { resolve, reject });
        post({ t: 'call', id, capability, args });
      }),
    ended: (error) => finish(state, error),
  });
  post({ t: 'started' });
  state.instance.start(fn);
}

// The first import in a fresh worker sets up its module loader; do that now, while warm and
// idle, rather than on the first run's clock.
await import('./warmup.js');
idleResources = process.getActiveResourcesInfo();
startMemory = memory();
post({ t: 'ready' });
