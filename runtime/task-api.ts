/**
 * What a task sees — the whole of it. A task bundle's module exports `run(instance)` (as a
 * function, an object with `run`, or a class with `run`); the instance below is its only door
 * to the runtime and the device.
 *
 *   export default async function run(instance) {
 *     instance.progress = 50;
 *     await instance.call('events.emit', 'door.checked');
 *   }
 */
import type { Unsubscribe } from './emitter.js';
import type {
  BackgroundTaskCancellationReason,
  BackgroundTaskThrottleCounter,
  BackgroundWorkCostValue,
} from './enums.js';
import type { TriggerData } from './trigger.js';

export type { Unsubscribe } from './emitter.js';
export type {
  BackgroundTaskCancellationReason,
  BackgroundTaskThrottleCounter,
  BackgroundWorkCostValue,
} from './enums.js';

export interface BackgroundTaskDeferral {
  /** The work the deferral stood for is done. Calling it again does nothing. */
  complete(): void;
}

export interface TaskLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** The registration a run belongs to. */
export interface TaskInfo {
  taskId: string;
  name: string;
  bundle: string;
  trigger: TriggerData;
  taskGroup?: string;
}

export interface BackgroundTaskInstance {
  readonly instanceId: string;
  readonly task: TaskInfo;
  /** What fired the trigger: the ApplicationTrigger's arguments, the event's details, the due time… */
  readonly triggerDetails: unknown;
  /** 0–100; setting it reports progress to the registration's `progress` listeners. */
  progress: number;
  /** Times policy held this activation back before it ran. */
  readonly suspendedCount: number;
  /** Keep the task alive past `run` returning until `complete()`; an async `run` needs none. */
  getDeferral(): BackgroundTaskDeferral;
  /** Times this task was held back by CPU (work cost) or network policy. */
  getThrottleCount(counter: BackgroundTaskThrottleCounter): number;
  /** The task is being cancelled; finish quickly (the reason says why). */
  on(event: 'canceled', listener: (reason: BackgroundTaskCancellationReason) => void): Unsubscribe;
  /** Aborted on cancellation, with a TaskCanceledError as its reason: pass it to fetch, timers, … */
  readonly signal: AbortSignal;
  readonly cancellationReason: BackgroundTaskCancellationReason | undefined;
  /** The device's current BackgroundWorkCost: size the work to it. */
  readonly workCost: BackgroundWorkCostValue;
  readonly log: TaskLogger;
  /** The device capabilities the manifest declares ("events.emit:door.opened"). */
  readonly capabilities: readonly string[];
  /** Use a device capability; rejects with CAPABILITY_DENIED unless the manifest declares it. */
  call(capability: string, ...args: unknown[]): Promise<unknown>;
}

export interface BackgroundTask {
  run(instance: BackgroundTaskInstance): void | Promise<void>;
}

/** What a bundle module may export as a task. */
export type TaskExport = ((instance: BackgroundTaskInstance) => void | Promise<void>) | BackgroundTask | (new () => BackgroundTask);
