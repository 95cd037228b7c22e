/**
 * The task instance, shared by both hosts: in-process it talks to the run supervisor directly,
 * in a worker it talks through the worker's port. It tracks when the task has ended — `run`
 * returned (or its promise settled) and every deferral is complete — and reports that once.
 */
import { Emitter, type Unsubscribe } from './emitter.js';
import type {
  BackgroundTaskCancellationReason,
  BackgroundTaskThrottleCounter,
  BackgroundWorkCostValue,
} from './enums.js';
import { describeThrown, TaskCanceledError, TaskError } from './errors.js';
import type { ThrottleRecord } from './store-types.js';
import type { BackgroundTaskDeferral, BackgroundTaskInstance, TaskInfo, TaskLogger } from './task-api.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface InstanceChannel {
  progress(value: number): void;
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
  call(capability: string, args: unknown[]): Promise<unknown>;
  /** Exactly once: undefined when the task succeeded, else why it failed. */
  ended(error: TaskError | undefined): void;
}

export interface InstanceInit {
  instanceId: string;
  task: TaskInfo;
  triggerDetails: unknown;
  suspendedCount: number;
  throttle: ThrottleRecord;
  workCost: BackgroundWorkCostValue;
  capabilities: readonly string[];
}

export type TaskFunction = (instance: BackgroundTaskInstance) => unknown;

export class TaskInstance implements BackgroundTaskInstance {
  readonly instanceId: string;
  readonly task: TaskInfo;
  readonly triggerDetails: unknown;
  readonly suspendedCount: number;
  readonly capabilities: readonly string[];
  readonly log: TaskLogger;
  #channel: InstanceChannel;
  #throttle: ThrottleRecord;
  #workCost: BackgroundWorkCostValue;
  #progress = 0;
  #deferrals = 0;
  #returned = false;
  #ended = false;
  #reason: BackgroundTaskCancellationReason | undefined;
  #controller = new AbortController();
  #events = new Emitter<{ canceled: [BackgroundTaskCancellationReason] }>((err) => {
    this.#channel.log('error', `a canceled listener threw: ${err instanceof Error ? err.message : describeThrown(err)}`);
  });

  constructor(init: InstanceInit, channel: InstanceChannel) {
    this.instanceId = init.instanceId;
    this.task = init.task;
    this.triggerDetails = init.triggerDetails;
    this.suspendedCount = init.suspendedCount;
    this.capabilities = Object.freeze([...init.capabilities]);
    this.#throttle = init.throttle;
    this.#workCost = init.workCost;
    this.#channel = channel;
    const at = (level: LogLevel) => (msg: string, fields?: Record<string, unknown>) => channel.log(level, String(msg), fields);
    this.log = Object.freeze({ debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') });
  }

  get progress(): number {
    return this.#progress;
  }

  set progress(value: number) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new TypeError(`progress must be a number from 0 to 100, got ${describeThrown(value)}`);
    }
    const next = Math.min(100, Math.max(0, Math.round(value)));
    if (next === this.#progress) return;
    this.#progress = next;
    if (!this.#ended) this.#channel.progress(next);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get cancellationReason(): BackgroundTaskCancellationReason | undefined {
    return this.#reason;
  }

  get workCost(): BackgroundWorkCostValue {
    return this.#workCost;
  }

  getThrottleCount(counter: BackgroundTaskThrottleCounter): number {
    if (counter === 'All') return this.#throttle.Cpu + this.#throttle.Network;
    return this.#throttle[counter] ?? 0;
  }

  getDeferral(): BackgroundTaskDeferral {
    this.#deferrals++;
    let done = false;
    return Object.freeze({
      complete: () => {
        if (done) return;
        done = true;
        this.#deferrals--;
        this.#settleIfDone();
      },
    });
  }

  on(event: 'canceled', listener: (reason: BackgroundTaskCancellationReason) => void): Unsubscribe {
    if (event !== 'canceled') throw new TypeError(`unknown task instance event "${String(event)}": expected "canceled"`);
    return this.#events.on('canceled', listener);
  }

  call(capability: string, ...args: unknown[]): Promise<unknown> {
    if (typeof capability !== 'string' || capability === '') {
      return Promise.reject(new TypeError(`call() needs a capability name such as "events.emit", got ${describeThrown(capability)}`));
    }
    return this.#channel.call(capability, args);
  }

  /** Deliver a cancellation (first reason wins). */
  cancel(reason: BackgroundTaskCancellationReason, detail: string): void {
    if (this.#reason !== undefined || this.#ended) return;
    this.#reason = reason;
    this.#controller.abort(new TaskCanceledError(reason, detail));
    this.#events.emit('canceled', reason);
  }

  setWorkCost(value: BackgroundWorkCostValue): void {
    this.#workCost = value;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Call the task. A synchronous run with no deferral ends before this returns, which keeps
   * in-process dispatch free of microtask hops.
   */
  start(fn: TaskFunction): void {
    let result: unknown;
    try {
      result = fn(this);
    } catch (err) {
      this.#end(toTaskError('TASK_THREW', err));
      return;
    }
    if (isThenable(result)) {
      result.then(
        () => {
          this.#returned = true;
          this.#settleIfDone();
        },
        (err: unknown) => this.#end(toTaskError('TASK_REJECTED', err)),
      );
      return;
    }
    this.#returned = true;
    this.#settleIfDone();
  }

  /** End now with a failure found outside `run` (an unhandled rejection in a worker, …). */
  fail(error: TaskError): void {
    this.#end(error);
  }

  #settleIfDone(): void {
    if (this.#returned && this.#deferrals === 0) this.#end(undefined);
  }

  #end(error: TaskError | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#channel.ended(error);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

export function toTaskError(code: string, err: unknown): TaskError {
  const message = err instanceof Error ? err.message : describeThrown(err);
  const prefix = code === 'TASK_THREW' ? 'run() threw' : code === 'TASK_REJECTED' ? 'run() rejected' : code.toLowerCase().replace(/_/g, ' ');
  return new TaskError(code, `${prefix}: ${message}`, { cause: err });
}
