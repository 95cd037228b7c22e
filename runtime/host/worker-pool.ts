/**
 * A warm pool of task workers. Each run gets a fresh worker (a fresh V8 isolate: no state
 * leaks from one run into the next, and a worker that misbehaved is simply discarded); the pool
 * keeps `warm` workers started and idle so a run only pays for a message and a module import.
 * When the pool is empty the run waits for a cold start. `maxWorkers` bounds how many isolated
 * tasks run at once; further runs queue.
 */
import { Worker } from 'node:worker_threads';
import type { FromWorker } from './worker-protocol.js';

export interface PoolOptions {
  warm: number;
  maxWorkers: number;
  /** V8 old-space ceiling of every worker: the hard wall behind the per-task budget. */
  heapCapMb: number;
  onError?: (err: Error) => void;
}

export interface Lease {
  worker: Worker;
  warm: boolean;
  /** Done with this worker: it is terminated, and the pool refilled. */
  release(): void;
}

const entryUrl = new URL(`./worker-entry${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

function spawnWorker(heapCapMb: number): Worker {
  const options = {
    resourceLimits: { maxOldGenerationSizeMb: heapCapMb, maxYoungGenerationSizeMb: Math.min(16, Math.max(4, heapCapMb >> 3)) },
    stdout: true,
    stderr: true,
    execArgv: [] as string[],
  };
  if (entryUrl.pathname.endsWith('.ts')) {
    // Running from sources (tests, development): workers do not inherit --import hooks on
    // Node 20, so the TypeScript loader is registered inside the worker before the entry.
    const tsx = import.meta.resolve('tsx/esm/api');
    const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entryUrl.href)}); })`;
    return new Worker(code, { ...options, eval: true });
  }
  return new Worker(entryUrl, options);
}

interface Waiter {
  resolve: (lease: Lease) => void;
  reject: (err: Error) => void;
}

export class WorkerPool {
  readonly #options: PoolOptions;
  readonly #idle: Worker[] = [];
  readonly #starting = new Set<Worker>();
  readonly #waiters: Waiter[] = [];
  #busy = 0;
  #closed = false;
  readonly stats = { spawned: 0, warmLeases: 0, coldLeases: 0 };

  constructor(options: PoolOptions) {
    this.#options = options;
  }

  /** Start the warm workers now (at runtime start) instead of on the first run. */
  warmUp(): void {
    this.#refill();
  }

  get idle(): number {
    return this.#idle.length;
  }

  get busy(): number {
    return this.#busy;
  }

  acquire(): Promise<Lease> {
    if (this.#closed) return Promise.reject(new Error('the worker pool is closed'));
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#serve();
    });
  }

  #serve(): void {
    while (this.#waiters.length > 0 && this.#busy < this.#options.maxWorkers) {
      const worker = this.#idle.shift();
      if (worker) {
        this.#lease(worker, true);
        continue;
      }
      // No warm worker: start one for the first waiter (cold start), unless one is coming.
      const coming = this.#starting.size;
      const waitingForCold = this.#waiters.length;
      if (coming < waitingForCold) this.#spawn(false);
      // Someone waits for these now: they keep the process alive until they are ready.
      for (const starting of this.#starting) starting.ref();
      break;
    }
    this.#refill();
  }

  #lease(worker: Worker, warm: boolean): void {
    const waiter = this.#waiters.shift();
    if (!waiter) {
      this.#idle.push(worker);
      return;
    }
    this.#busy++;
    // A running task keeps the process alive; an idle warm worker does not.
    worker.ref();
    if (warm) this.stats.warmLeases++;
    else this.stats.coldLeases++;
    let released = false;
    waiter.resolve({
      worker,
      warm,
      release: () => {
        if (released) return;
        released = true;
        this.#busy--;
        worker.removeAllListeners('message');
        void worker.terminate();
        this.#serve();
      },
    });
  }

  #refill(): void {
    if (this.#closed) return;
    const want = this.#options.warm - this.#idle.length - this.#starting.size;
    const room = this.#options.maxWorkers + this.#options.warm - this.#busy - this.#idle.length - this.#starting.size;
    for (let i = 0; i < Math.min(want, room); i++) this.#spawn(true);
  }

  #spawn(_forWaiter: boolean): void {
    let worker: Worker;
    try {
      worker = spawnWorker(this.#options.heapCapMb);
    } catch (err) {
      this.#failWaiter(err as Error);
      return;
    }
    this.stats.spawned++;
    this.#starting.add(worker);
    const onFailure = (err: Error) => {
      this.#starting.delete(worker);
      this.#options.onError?.(err);
      this.#failWaiter(err);
    };
    worker.once('error', onFailure);
    worker.once('exit', (code) => {
      if (this.#starting.delete(worker)) onFailure(new Error(`a task worker exited during start-up with code ${code}`));
      const at = this.#idle.indexOf(worker);
      if (at >= 0) this.#idle.splice(at, 1);
    });
    worker.once('message', (message: FromWorker) => {
      if (message.t !== 'ready') return;
      worker.off('error', onFailure);
      this.#starting.delete(worker);
      if (this.#closed) {
        void worker.terminate();
        return;
      }
      if (this.#waiters.length > 0 && this.#busy < this.#options.maxWorkers) this.#lease(worker, false);
      else this.#idle.push(worker);
      this.#serve();
    });
    // Idle workers must not keep a stopping runtime alive.
    worker.unref();
  }

  #failWaiter(err: Error): void {
    const waiter = this.#waiters.shift();
    waiter?.reject(err);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new Error('the worker pool is closed'));
    const all = [...this.#idle.splice(0), ...this.#starting];
    this.#starting.clear();
    await Promise.all(all.map((w) => w.terminate()));
  }
}
