/**
 * The contract between the run supervisor and a task host. Two hosts exist: in-process (the
 * runtime's own thread; fastest, no isolation) and worker (a worker thread from a warm pool,
 * with a memory budget and a hard stop).
 */
import type { BackgroundTaskCancellationReason, BackgroundWorkCostValue, TaskIsolation } from '../enums.js';
import type { TaskError } from '../errors.js';
import type { ThrottleRecord } from '../store-types.js';
import type { TaskInfo } from '../task-api.js';
import type { LogLevel, TaskFunction } from '../task-instance.js';

export interface RunRequest {
  instanceId: string;
  task: TaskInfo;
  /** The bundle module and export to run; absent when `handler` is given. */
  moduleUrl?: string;
  exportName?: string;
  /** The single-process model: a backgroundActivated handler runs the task in-process. */
  handler?: TaskFunction;
  /** The task's code cannot be found (its bundle was rejected or removed): the run fails with this. */
  loadError?: TaskError;
  triggerDetails: unknown;
  suspendedCount: number;
  throttle: ThrottleRecord;
  workCost: BackgroundWorkCostValue;
  capabilities: readonly string[];
  /** Memory budget (isolated hosts): heap + external memory the task may add. */
  budgetBytes?: number;
}

export interface HostCallbacks {
  /** The task's run() is about to be entered (after a worker was acquired and the module loaded). */
  started(info: { warm: boolean }): void;
  progress(value: number): void;
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
  call(capability: string, args: unknown[]): Promise<unknown>;
  /** Memory the task is using now (isolated hosts only). */
  memory(usedBytes: number): void;
  /** Exactly once: undefined when the task succeeded, else why it failed. */
  ended(error: TaskError | undefined, info?: { peakBytes?: number }): void;
}

export interface HostedRun {
  /** Tell the task it is cancelled; it gets a grace period to finish. */
  cancel(reason: BackgroundTaskCancellationReason, detail: string): void;
  /** Stop it now. In-process code cannot be stopped, only abandoned. */
  kill(): void;
  setWorkCost(value: BackgroundWorkCostValue): void;
}

export interface TaskHost {
  readonly kind: TaskIsolation;
  start(request: RunRequest, callbacks: HostCallbacks): HostedRun;
  close(): Promise<void>;
}
