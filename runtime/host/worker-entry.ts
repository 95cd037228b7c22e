/**
 * The code inside a task worker. It waits, warm, for one run; loads the task's module; runs it
 * through a TaskInstance whose channel is this worker's port; samples its own memory so the
 * runtime can enforce the budget; and reports how the task ended — including the endings a
 * task does not choose: an unhandled rejection or an uncaught exception. (process.exit() and
 * heap exhaustion end the thread itself; the runtime sees those from outside.)
 */
import { parentPort } from 'node:worker_threads';
import { serializeError, TaskError, type SerializedError } from '../errors.js';
import { TaskInstance, toTaskError } from '../task-instance.js';
import { resolveTaskFunction } from '../task-loader.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('worker-entry must run in a worker thread');

const post = (message: FromWorker) => port.postMessage(message);
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
let nextCall = 1;
let instance: TaskInstance | undefined;
let finished = false;
let baseline = 0;
let peak = 0;
let sampler: ReturnType<typeof setInterval> | undefined;

const used = () => {
  const m = process.memoryUsage();
  return Math.max(0, m.heapUsed + m.external - baseline);
};

function sample(budget: number): void {
  const now = used();
  // Report growth in steps and every sample once over budget, not every sample: the port is
  // shared with progress and calls.
  if (now > peak + 1024 * 1024 || now > budget) post({ t: 'mem', used: now, peak: Math.max(peak, now) });
  peak = Math.max(peak, now);
}

function finish(error: TaskError | undefined): void {
  if (finished) return;
  finished = true;
  if (sampler) clearInterval(sampler);
  peak = Math.max(peak, used());
  const message: FromWorker = { t: 'done', peak };
  if (error) message.error = serializeError(error);
  post(message);
}

function remoteError(e: SerializedError): Error {
  const err = new Error(e.message) as Error & { code?: string };
  err.name = e.name;
  if (e.code) err.code = e.code;
  return err;
}

process.on('unhandledRejection', (reason) => {
  const error = toTaskError('UNHANDLED_REJECTION', reason);
  if (instance) instance.fail(error);
  else finish(error);
});
process.on('uncaughtException', (err) => {
  const error = toTaskError('UNCAUGHT_EXCEPTION', err);
  if (instance) instance.fail(error);
  else finish(error);
});

port.on('message', (message: ToWorker) => {
  switch (message.t) {
    case 'run':
      void run(message);
      break;
    case 'cancel':
      instance?.cancel(message.reason, message.detail);
      break;
    case 'cost':
      instance?.setWorkCost(message.value);
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
  baseline = process.memoryUsage().heapUsed + process.memoryUsage().external;
  sampler = setInterval(() => sample(message.budgetBytes), message.sampleMs);
  const where = `${message.task.bundle}/${message.moduleUrl.split('/').pop() ?? message.moduleUrl}`;
  let fn;
  try {
    fn = resolveTaskFunction(await import(message.moduleUrl), message.exportName, where);
  } catch (err) {
    finish(err instanceof TaskError ? err : new TaskError('TASK_LOAD_FAILED', `cannot load ${where}: ${err instanceof Error ? err.message : String(err)}`));
    return;
  }
  instance = new TaskInstance(message, {
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
    ended: finish,
  });
  post({ t: 'started' });
  instance.start(fn);
}

post({ t: 'ready' });
