/**
 * A warm pool of task workers. A run gets a worker already started (warm), so it pays only
 * for a message and a module import; when none is ready it waits for a cold start.
 * `maxWorkers` bounds how many isolated tasks run at once; further runs queue.
 *
 * A worker that misbehaved is never used again. One whose run ended cleanly — nothing left
 * running in it, little memory kept — may be kept for the next run of the same module, which
 * then skips the import too (like a seed task host serving the same task again). Nothing from
 * another bundle ever runs in it.
 *
 * A live worker costs about 8 MB of RAM, a lot on a 512 MB board, so workers are kept only
 * while isolated tasks run: `keepWarmMs` after the last one, idle workers go. With `keepWarmMs`
 * 0 the pool is warmed at start and stays warm.
 */
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from './spawn-worker.js';
import type { FromWorker } from './worker-protocol.js';

export interface PoolOptions {
  warm: number;
  maxWorkers: number;
  /** V8 old-space ceiling of every worker: the hard wall behind the per-task budget. */
  heapCapMb: number;
  /** How long workers stay warm after the last isolated run; 0: always. */
  keepWarmMs: number;
  onError?: (err: Error) => void;
}

export interface Lease {
  worker: Worker;
  warm: boolean;
  /** The worker ran this module before: it is already loaded. */
  reused: boolean;
  /**
   * The task is running: now the pool may start a replacement. Starting one earlier would
   * compete for the CPU with the import this run is waiting for (a board has 1–4 cores).
   */
  started(): void;
  /** Done with this worker. With `keepFor` (its module), the run ended cleanly and it may serve that module again. */
  release(keepFor?: string): void;
}

interface Waiter {
  key: string | undefined;
  resolve: (lease: Lease) => void;
  reject: (err: Error) => void;
}

export class WorkerPool {
  readonly #options: PoolOptions;
  readonly #idle: Worker[] = [];
  /** Workers that ran a module cleanly, by module; oldest first (they are evicted first). */
  readonly #kept = new Map<string, Worker>();
  readonly #starting = new Set<Worker>();
  readonly #waiters: Waiter[] = [];
  #busy = 0;
  #closed = false;
  #active: boolean;
  #drainTimer: ReturnType<typeof setTimeout> | undefined;
  readonly stats = { spawned: 0, warmLeases: 0, coldLeases: 0, reusedLeases: 0 };

  constructor(options: PoolOptions) {
    this.#options = options;
    this.#active = options.keepWarmMs === 0;
  }

  /** At runtime start: warm the pool if it is to stay warm; otherwise the first run warms it. */
  warmUp(): void {
    this.#refill();
  }

  /** Workers ready for a run: fresh warm ones and ones kept for a module. */
  get idle(): number {
    return this.#idle.length + this.#kept.size;
  }

  /** Fresh warm workers ready for any module. */
  get warmIdle(): number {
    return this.#idle.length;
  }

  get busy(): number {
    return this.#busy;
  }

  /** A worker for a run of `key` (the module URL): one that ran it before, else a warm one, else a new one. */
  acquire(key?: string): Promise<Lease> {
    if (this.#closed) return Promise.reject(new Error('the worker pool is closed'));
    this.#touch();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ key, resolve, reject });
      this.#serve();
    });
  }

  /** Isolated work is happening: keep the pool warm for another `keepWarmMs`. */
  #touch(): void {
    if (this.#options.keepWarmMs === 0) return;
    this.#active = true;
    if (this.#drainTimer) clearTimeout(this.#drainTimer);
    this.#drainTimer = setTimeout(() => this.#drain(), this.#options.keepWarmMs);
    this.#drainTimer.unref();
  }

  #drain(): void {
    this.#active = false;
    for (const worker of [...this.#idle.splice(0), ...this.#kept.values()]) void worker.terminate();
    this.#kept.clear();
  }

  #serve(): void {
    while (this.#waiters.length > 0 && this.#busy < this.#options.maxWorkers) {
      const waiter = this.#waiters[0]!;
      const kept = waiter.key !== undefined ? this.#kept.get(waiter.key) : undefined;
      if (kept) {
        this.#kept.delete(waiter.key!);
        this.#lease(kept, 'reused');
        continue;
      }
      const worker = this.#idle.shift();
      if (worker) {
        this.#lease(worker, 'warm');
        continue;
      }
      // No warm worker: start one for the first waiter (cold start), unless one is coming.
      if (this.#starting.size < this.#waiters.length) this.#spawn();
      // Someone waits for these now: they keep the process alive until they are ready.
      for (const starting of this.#starting) starting.ref();
      break;
    }
  }

  #lease(worker: Worker, how: 'warm' | 'cold' | 'reused'): void {
    const waiter = this.#waiters.shift();
    if (!waiter) {
      this.#idle.push(worker);
      return;
    }
    this.#busy++;
    // A running task keeps the process alive; an idle worker does not.
    worker.ref();
    if (how === 'reused') this.stats.reusedLeases++;
    else if (how === 'warm') this.stats.warmLeases++;
    else this.stats.coldLeases++;
    let released = false;
    let refilled = false;
    const refill = () => {
      if (refilled) return;
      refilled = true;
      setImmediate(() => this.#refill());
    };
    waiter.resolve({
      worker,
      warm: how !== 'cold',
      reused: how === 'reused',
      started: refill,
      release: (keepFor) => {
        if (released) return;
        released = true;
        this.#busy--;
        worker.removeAllListeners('message');
        if (keepFor !== undefined && this.#active && !this.#closed) this.#keep(keepFor, worker);
        else void worker.terminate();
        this.#serve();
        refill();
      },
    });
  }

  #keep(key: string, worker: Worker): void {
    worker.unref();
    const previous = this.#kept.get(key);
    if (previous) void previous.terminate();
    this.#kept.delete(key);
    this.#kept.set(key, worker);
    // As many kept as warm ones (at least one): the oldest goes first.
    while (this.#kept.size > Math.max(1, this.#options.warm)) {
      const [oldestKey, oldest] = this.#kept.entries().next().value as [string, Worker];
      this.#kept.delete(oldestKey);
      void oldest.terminate();
    }
  }

  #refill(): void {
    if (this.#closed || !this.#active) return;
    const want = this.#options.warm - this.#idle.length - this.#starting.size;
    const room = this.#options.maxWorkers + this.#options.warm - this.#busy - this.#idle.length - this.#starting.size;
    for (let i = 0; i < Math.min(want, room); i++) this.#spawn();
  }

  #spawn(): void {
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
      for (const [key, kept] of this.#kept) if (kept === worker) this.#kept.delete(key);
    });
    worker.once('message', (message: FromWorker) => {
      if (message.t !== 'ready') return;
      worker.off('error', onFailure);
      this.#starting.delete(worker);
      if (this.#closed) {
        void worker.terminate();
        return;
      }
      if (this.#waiters.length > 0 && this.#busy < this.#options.maxWorkers) this.#lease(worker, 'cold');
      else this.#idle.push(worker);
      this.#serve();
    });
    // Idle workers must not keep a stopping runtime alive.
    worker.unref();
  }

  #failWaiter(err: Error): void {
    this.#waiters.shift()?.reject(err);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#drainTimer) clearTimeout(this.#drainTimer);
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new Error('the worker pool is closed'));
    const all = [...this.#idle.splice(0), ...this.#kept.values(), ...this.#starting];
    this.#kept.clear();
    this.#starting.clear();
    await Promise.all(all.map((w) => w.terminate()));
  }
}
