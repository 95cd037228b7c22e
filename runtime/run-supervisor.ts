/**
 * One run of a task, watched from the runtime's side: the wall-clock quota
 * (ExecutionTimeExceeded), the memory budget (ResourceRevocation), the idle limit (IdleTask),
 * and cancellation with a grace period before the run is stopped. It decides how the run
 * ended and reports that exactly once, synchronously, so a registration is free to run again
 * in the same tick (in-process dispatch depends on it).
 */
import type { Clock, TimerHandle } from './clock.js';
import type { BackgroundTaskCancellationReason, BackgroundWorkCostValue, EnergyUseLevel, RunOutcome, TaskIsolation } from './enums.js';
import { TaskCanceledError, TaskError } from './errors.js';
import type { HostCallbacks, HostedRun, RunRequest, TaskHost } from './host/host.js';
import { energyUseLevel } from './work-cost.js';

export interface RunResult {
  instanceId: string;
  outcome: RunOutcome;
  reason?: BackgroundTaskCancellationReason;
  error?: TaskError;
  progress: number;
  startedAt: number;
  endedAt: number;
  durationMs: number;
  host: TaskIsolation;
  peakBytes?: number;
  budgetBytes?: number;
  energy?: EnergyUseLevel;
}

/** What the host reports passes through (memory and the ending are the supervisor's to judge). */
export interface SupervisorHooks extends Omit<HostCallbacks, 'memory' | 'ended'> {
  canceled(reason: BackgroundTaskCancellationReason, detail: string): void;
  finished(result: RunResult): void;
}

export interface SupervisorOptions {
  request: RunRequest;
  host: TaskHost;
  clock: Clock;
  quotaMs: number;
  idleMs: number;
  graceMs: number;
  hooks: SupervisorHooks;
}

interface Cancellation {
  reason: BackgroundTaskCancellationReason;
  detail: string;
  code?: string;
}

const MB = 1024 * 1024;

export class RunSupervisor {
  readonly instanceId: string;
  readonly startedAt: number;
  readonly budgetBytes: number | undefined;
  readonly done: Promise<RunResult>;
  #o: SupervisorOptions;
  #run: HostedRun | undefined;
  #resolve!: (r: RunResult) => void;
  #progress = 0;
  #peak = 0;
  #lastActivity: number;
  #cancellation: Cancellation | undefined;
  #finished = false;
  #timers: TimerHandle[] = [];
  #idleTimer: TimerHandle | undefined;

  constructor(options: SupervisorOptions) {
    this.#o = options;
    this.instanceId = options.request.instanceId;
    this.startedAt = options.clock.now();
    this.#lastActivity = this.startedAt;
    this.budgetBytes = options.host.kind === 'worker' ? options.request.budgetBytes : undefined;
    this.done = new Promise((resolve) => (this.#resolve = resolve));
  }

  get progress(): number {
    return this.#progress;
  }

  get cancellation(): BackgroundTaskCancellationReason | undefined {
    return this.#cancellation?.reason;
  }

  get finished(): boolean {
    return this.#finished;
  }

  start(): void {
    const { quotaMs, hooks } = this.#o;
    this.#after(quotaMs, () =>
      this.cancel('ExecutionTimeExceeded', `ran past its quota of ${formatSec(quotaMs)}`, { code: 'QUOTA_EXCEEDED' }),
    );
    this.#armIdle();
    this.#run = this.#o.host.start(this.#o.request, {
      started: (info) => hooks.started(info),
      progress: (value) => {
        this.#progress = value;
        this.#touch();
        hooks.progress(value);
      },
      log: (level, msg, fields) => {
        this.#touch();
        hooks.log(level, msg, fields);
      },
      call: (capability, args) => {
        this.#touch();
        return hooks.call(capability, args);
      },
      memory: (used) => this.#memory(used),
      ended: (error, info) => this.#end(error, info?.peakBytes),
    });
  }

  /** Cancel the run: the first reason wins; after `graceMs` (policy's grace by default) it is stopped. */
  cancel(reason: BackgroundTaskCancellationReason, detail: string, options?: { graceMs?: number; code?: string }): void {
    if (this.#finished || this.#cancellation) return;
    this.#cancellation = { reason, detail, ...(options?.code ? { code: options.code } : {}) };
    this.#o.hooks.canceled(reason, detail);
    this.#run?.cancel(reason, detail);
    // An in-process task may finish inside its canceled listener, before this line.
    if (this.#finished) return;
    const grace = options?.graceMs ?? this.#o.graceMs;
    if (grace <= 0) this.#stop();
    else this.#after(grace, () => this.#stop());
  }

  setWorkCost(value: BackgroundWorkCostValue): void {
    this.#run?.setWorkCost(value);
  }

  #memory(used: number): void {
    this.#peak = Math.max(this.#peak, used);
    const budget = this.budgetBytes;
    if (budget !== undefined && used > budget) {
      // Memory over budget is reclaimed now, not after a grace period.
      this.cancel('ResourceRevocation', `used ${(used / MB).toFixed(1)} MB, over its budget of ${(budget / MB).toFixed(1)} MB`, {
        graceMs: 0,
        code: 'MEMORY_BUDGET_EXCEEDED',
      });
    }
  }

  #stop(): void {
    if (this.#finished) return;
    this.#run?.kill();
    const c = this.#cancellation!;
    this.#finish(new TaskCanceledError(c.reason, c.detail, c.code ? { code: c.code } : undefined));
  }

  #end(error: TaskError | undefined, peakBytes: number | undefined): void {
    if (peakBytes !== undefined) this.#peak = Math.max(this.#peak, peakBytes);
    if (this.#finished) return;
    const c = this.#cancellation;
    if (c) {
      // Cancelled and then finished within the grace period: still a cancelled run.
      this.#finish(new TaskCanceledError(c.reason, c.detail, { ...(c.code ? { code: c.code } : {}), cause: error }));
      return;
    }
    this.#finish(error);
  }

  #finish(error: TaskError | undefined): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const t of this.#timers) this.#o.clock.clearTimeout(t);
    if (this.#idleTimer) this.#o.clock.clearTimeout(this.#idleTimer);
    const endedAt = this.#o.clock.now();
    const result: RunResult = {
      instanceId: this.instanceId,
      outcome: error instanceof TaskCanceledError ? 'canceled' : error ? 'failed' : 'succeeded',
      progress: this.#progress,
      startedAt: this.startedAt,
      endedAt,
      durationMs: endedAt - this.startedAt,
      host: this.#o.host.kind,
    };
    if (error) result.error = error;
    if (error instanceof TaskCanceledError) result.reason = error.reason as BackgroundTaskCancellationReason;
    if (this.budgetBytes !== undefined) {
      result.peakBytes = this.#peak;
      result.budgetBytes = this.budgetBytes;
      result.energy = energyUseLevel(this.#peak, this.budgetBytes);
    }
    this.#o.hooks.finished(result);
    this.#resolve(result);
  }

  #after(ms: number, fn: () => void): void {
    const timer = this.#o.clock.setTimeout(fn, ms);
    timer.unref();
    this.#timers.push(timer);
  }

  #touch(): void {
    this.#lastActivity = this.#o.clock.now();
  }

  #armIdle(): void {
    const { clock, idleMs } = this.#o;
    const due = this.#lastActivity + idleMs;
    this.#idleTimer = clock.setTimeout(() => {
      if (this.#finished) return;
      if (clock.now() - this.#lastActivity >= idleMs) {
        this.cancel('IdleTask', `made no progress for ${formatSec(idleMs)} while holding a deferral`);
      } else {
        this.#armIdle();
      }
    }, Math.max(0, due - clock.now()));
    this.#idleTimer.unref();
  }
}

function formatSec(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
