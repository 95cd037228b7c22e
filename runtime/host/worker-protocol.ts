/** Messages between the runtime and a task worker. Plain data: they cross a MessagePort. */
import type { BackgroundTaskCancellationReason, BackgroundWorkCostValue } from '../enums.js';
import type { SerializedError } from '../errors.js';
import type { ThrottleRecord } from '../store-types.js';
import type { TaskInfo } from '../task-api.js';
import type { LogLevel } from '../task-instance.js';

export type ToWorker =
  | {
      t: 'run';
      instanceId: string;
      task: TaskInfo;
      moduleUrl: string;
      exportName: string;
      triggerDetails: unknown;
      suspendedCount: number;
      throttle: ThrottleRecord;
      workCost: BackgroundWorkCostValue;
      capabilities: readonly string[];
      budgetBytes: number;
      sampleMs: number;
    }
  | { t: 'cancel'; reason: BackgroundTaskCancellationReason; detail: string }
  | { t: 'cost'; value: BackgroundWorkCostValue }
  | { t: 'reply'; id: number; ok: true; value: unknown }
  | { t: 'reply'; id: number; ok: false; error: SerializedError };

export type FromWorker =
  | { t: 'ready' }
  | { t: 'started' }
  | { t: 'progress'; value: number }
  | { t: 'log'; level: LogLevel; msg: string; fields?: Record<string, unknown> }
  | { t: 'call'; id: number; capability: string; args: unknown[] }
  | { t: 'mem'; used: number; peak: number }
  /** `reusable`: the run ended cleanly and left nothing behind; the worker may serve the module again. */
  | { t: 'done'; error?: SerializedError; peak: number; reusable: boolean };
