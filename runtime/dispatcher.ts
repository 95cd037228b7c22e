/**
 * From a fired trigger to a running task: access, one-shot bookkeeping, conditions (an unmet
 * condition holds the activation until it is met), one instance per registration at a time
 * (later activations queue, bounded), the host, and the record of how each run ended. Device
 * state changes come back here too: held activations start, and running tasks are cancelled
 * for ConditionLoss, EnergySaver or a lost supply.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from './clock.js';
import type { AccessManager } from './access.js';
import type { Broker } from './broker.js';
import type { Capabilities } from './capabilities.js';
import { firstUnmet, throttleCounterFor } from './conditions.js';
import type { DeviceState, DeviceStateChange } from './device-state.js';
import { Emitter } from './emitter.js';
import type { BackgroundTaskCancellationReason } from './enums.js';
import { errorMessage, TaskError } from './errors.js';
import type { InProcessHost } from './host/inprocess-host.js';
import type { TaskHost } from './host/host.js';
import type { Logger } from './logger.js';
import type { DevicePolicy } from './policy.js';
import type { TaskRegistry } from './registry.js';
import { completedEvent, completionFields, round1, runRecord } from './run-outcome.js';
import { RunSupervisor, type RunResult } from './run-supervisor.js';
import type { Store } from './store.js';
import type { PendingActivation, RegistrationRecord, TaskEntryPoint, ThrottleRecord } from './store-types.js';
import type { TaskFunction } from './task-instance.js';
import { describeTrigger } from './trigger.js';

export type ActivationOutcome = 'started' | 'queued' | 'held' | 'denied' | 'done' | 'unknown';

export type DispatcherEvents = {
  activated: [{ taskId: string; outcome: ActivationOutcome }];
  started: [{ taskId: string; name: string; instanceId: string; warm: boolean }];
  progress: [{ taskId: string; name: string; instanceId: string; progress: number }];
  canceled: [{ taskId: string; name: string; instanceId: string; reason: BackgroundTaskCancellationReason; detail: string }];
  /** `details` are the trigger details the run started with (sources that track delivery match on them). */
  finished: [{ taskId: string; name: string; result: RunResult; details: unknown }];
};

export interface DispatcherDeps {
  clock: Clock;
  store: Store;
  registry: TaskRegistry;
  broker: Broker;
  state: DeviceState;
  access: AccessManager;
  policy: () => DevicePolicy;
  inprocess: InProcessHost;
  worker: TaskHost;
  capabilities: Capabilities;
  log: Logger;
  moduleUrl(entry: TaskEntryPoint): string;
  /** The single-process model: the handler that runs a task without an entry point. */
  activationHandler(record: RegistrationRecord): TaskFunction | undefined;
}

interface Running {
  record: RegistrationRecord;
  supervisor: RunSupervisor;
}

const MB = 1024 * 1024;

export class Dispatcher {
  readonly events = new Emitter<DispatcherEvents>();
  readonly #d: DispatcherDeps;
  readonly #running = new Map<string, Running>();
  /** Registrations whose head activation is held, and by what (so each hold is counted once). */
  readonly #heldBy = new Map<string, string>();
  #accepting = true;

  constructor(deps: DispatcherDeps) {
    this.#d = deps;
    deps.state.events.on('change', (change) => this.#onStateChange(change));
  }

  isRunning(taskId: string): boolean {
    return this.#running.has(taskId);
  }

  runningCount(): number {
    return this.#running.size;
  }

  running(taskId: string): RunSupervisor | undefined {
    return this.#running.get(taskId)?.supervisor;
  }

  /** A trigger fired for a registration. */
  activate(taskId: string, details: unknown): ActivationOutcome {
    const outcome = this.#activate(taskId, details);
    this.events.emit('activated', { taskId, outcome });
    return outcome;
  }

  /** The runtime is stopping: nothing new starts (what fires now is left for the next start). */
  stopAccepting(): void {
    this.#accepting = false;
  }

  #activate(taskId: string, details: unknown): ActivationOutcome {
    const { store, registry, broker, clock, log } = this.#d;
    const record = registry.record(taskId);
    if (!record) return 'unknown';
    if (!this.#accepting) return 'denied';
    const state = (store.data.triggerState[taskId] ??= {});
    if (state.done) return 'done';
    if (!this.#mayRun(record)) {
      log.info({ evt: 'held', task: record.name, why: `access denied by device policy (${this.#d.access.getAccessStatus(record.entryPoint.bundle)})` }, 'activation dropped');
      return 'denied';
    }
    const now = clock.now();
    state.lastFiredAt = now;
    state.fireCount = (state.fireCount ?? 0) + 1;
    const definition = registry.definitionOf(record);
    if (definition.oneShot?.(record.trigger)) {
      state.done = true;
      broker.disarm(taskId);
    }
    store.changed();
    log.info({ evt: 'trigger', task: record.name, taskId, bundle: record.entryPoint.bundle, trigger: describeTrigger(record.trigger), details: loggedDetails(details) }, 'trigger fired');

    const activation: PendingActivation = { at: now, details, suspended: 0 };
    const queue = state.pending;
    if (!this.#running.has(taskId) && (!queue || queue.length === 0)) {
      // The common case: nothing waiting ahead of it.
      const unmet = firstUnmet(record.conditions, this.#d.state.values);
      if (!unmet) {
        this.#start(record, activation);
        return 'started';
      }
    }
    this.#enqueue(record, activation, typeof definition.coalesce === 'function' ? definition.coalesce(record.trigger) : definition.coalesce === true);
    return this.#pump(taskId) ?? 'queued';
  }

  #mayRun(record: RegistrationRecord): boolean {
    const bundle = record.entryPoint.bundle;
    return this.#d.access.allowed(bundle) && this.#d.policy().triggerAllowed(bundle, record.trigger);
  }

  #enqueue(record: RegistrationRecord, activation: PendingActivation, coalesce: boolean): void {
    const { store, log } = this.#d;
    const state = (store.data.triggerState[record.taskId] ??= {});
    const queue = (state.pending ??= []);
    if (coalesce && queue.length > 0) {
      // A periodic trigger that fires again while its last activation still waits is one run.
      queue[queue.length - 1] = { ...activation, suspended: queue[queue.length - 1]!.suspended };
    } else {
      queue.push(activation);
      const max = this.#d.policy().config.maxQueued;
      if (queue.length > max) {
        queue.shift();
        log.warn({ task: record.name, max }, `activation queue of ${record.name} is full (${max}): dropped the oldest`);
      }
    }
    store.changed();
  }

  /** Start the head of a registration's queue if nothing runs and its conditions hold. */
  #pump(taskId: string): ActivationOutcome | undefined {
    const { store, registry, log } = this.#d;
    const record = registry.record(taskId);
    const state = store.data.triggerState[taskId];
    const head = state?.pending?.[0];
    if (!record || !state || !head || this.#running.has(taskId) || !this.#accepting) return undefined;
    if (!this.#mayRun(record)) return 'denied';
    const unmet = firstUnmet(record.conditions, this.#d.state.values);
    if (unmet) {
      if (this.#heldBy.get(taskId) !== unmet.conditionType) {
        this.#heldBy.set(taskId, unmet.conditionType);
        head.suspended++;
        const counter = throttleCounterFor(unmet.conditionType);
        if (counter) {
          const throttle = (store.data.throttle[taskId] ??= { Cpu: 0, Network: 0 });
          throttle[counter]++;
        }
        store.changed();
        log.info({ evt: 'held', task: record.name, why: `condition ${unmet.conditionType} not met` }, 'activation held');
      }
      return 'held';
    }
    this.#heldBy.delete(taskId);
    state.pending!.shift();
    if (state.pending!.length === 0) delete state.pending;
    store.changed();
    this.#start(record, head);
    return 'started';
  }

  #start(record: RegistrationRecord, activation: PendingActivation): void {
    const d = this.#d;
    const policy = d.policy();
    const definition = d.registry.definitionOf(record);
    const instanceId = randomUUID();
    const entryless = record.entryPoint.module === '';
    const handler = entryless ? d.activationHandler(record) : undefined;
    let moduleUrl: string | undefined;
    let loadError: TaskError | undefined;
    if (!entryless) {
      try {
        moduleUrl = d.moduleUrl(record.entryPoint);
      } catch (err) {
        // A trigger source must never see this throw: the run fails, and says why.
        loadError = err instanceof TaskError ? err : new TaskError('TASK_LOAD_FAILED', errorMessage(err), { cause: err });
      }
    }
    const isolated = record.isolation === 'worker' && !entryless && !loadError;
    const host = isolated ? d.worker : d.inprocess;
    const cost = d.state.values.workCost;
    const budgetBytes = isolated ? policy.budgetBytes(record.memoryMb, cost) : undefined;
    const quotaMs = policy.quotaMs(definition.longRunning === true, record.timeoutSec);
    const throttle: ThrottleRecord = { ...(d.store.data.throttle[record.taskId] ?? { Cpu: 0, Network: 0 }) };
    const task = { taskId: record.taskId, name: record.name, bundle: record.entryPoint.bundle, trigger: record.trigger, ...(record.taskGroup ? { taskGroup: record.taskGroup } : {}) };
    const base = { task: record.name, iid: instanceId };
    const caller = { taskId: record.taskId, name: record.name, bundle: record.entryPoint.bundle, instanceId, details: activation.details };
    const request = {
      instanceId,
      task,
      triggerDetails: activation.details,
      suspendedCount: activation.suspended,
      throttle,
      workCost: cost,
      capabilities: record.capabilities,
      ...(budgetBytes !== undefined ? { budgetBytes } : {}),
      // Entry-point-less tasks run through a backgroundActivated handler (when there is one).
      ...(handler ? { handler } : {}),
      ...(moduleUrl ? { moduleUrl, exportName: record.entryPoint.export } : {}),
      ...(loadError ? { loadError } : {}),
    };
    const supervisor = new RunSupervisor({
      request,
      host,
      clock: d.clock,
      quotaMs,
      idleMs: Math.round(policy.config.idleSec * 1000),
      graceMs: policy.config.cancelGraceMs,
      hooks: {
        started: ({ warm }) => {
          d.log.info(
            { evt: 'start', ...base, host: host.kind, warm, quotaSec: quotaMs / 1000, ...(budgetBytes ? { budgetMb: round1(budgetBytes / MB) } : {}) },
            'task started',
          );
          this.events.emit('started', { taskId: record.taskId, name: record.name, instanceId, warm });
        },
        progress: (progress) => {
          d.log.info({ evt: 'progress', ...base, progress }, 'task progress');
          d.registry.get(record.taskId)?.events.emit('progress', { instanceId, progress });
          this.events.emit('progress', { taskId: record.taskId, name: record.name, instanceId, progress });
        },
        log: (level, msg, fields) => d.log[level]({ evt: 'task', ...fields, ...base }, msg),
        call: (capability, args) => d.capabilities.call(capability, args, record.capabilities, caller),
        canceled: (reason, detail) => {
          d.log.info({ evt: 'cancel', ...base, reason, detail }, 'task canceled');
          this.events.emit('canceled', { taskId: record.taskId, name: record.name, instanceId, reason, detail });
        },
        finished: (result) => this.#finished(record, result, activation.details),
      },
    });
    this.#running.set(record.taskId, { record, supervisor });
    supervisor.start();
  }

  #finished(record: RegistrationRecord, result: RunResult, details: unknown): void {
    const { store, log, registry, policy } = this.#d;
    if (this.#running.get(record.taskId)?.supervisor.instanceId === result.instanceId) this.#running.delete(record.taskId);
    const fields = completionFields(record, result);
    if (result.outcome === 'failed') log.error(fields, 'task failed');
    else if (result.outcome === 'canceled') log.warn(fields, 'task canceled');
    else log.info(fields, 'task completed');
    if (store.data.registrations[record.taskId]) {
      const runs = (store.data.runs[record.taskId] ??= []);
      runs.push(runRecord(record, result));
      const keep = policy().config.runsKept;
      if (runs.length > keep) runs.splice(0, runs.length - keep);
      store.changed();
    }
    registry.get(record.taskId)?.events.emit('completed', completedEvent(result));
    this.events.emit('finished', { taskId: record.taskId, name: record.name, result, details });
    this.#pump(record.taskId);
  }

  /** Cancel the running instances the predicate picks; resolves when they have ended. */
  cancelWhere(pick: (record: RegistrationRecord) => boolean, reason: BackgroundTaskCancellationReason, detail: string, graceMs?: number): Promise<RunResult[]> {
    const ending: Promise<RunResult>[] = [];
    for (const { record, supervisor } of [...this.#running.values()]) {
      if (!pick(record)) continue;
      supervisor.cancel(reason, detail, graceMs === undefined ? undefined : { graceMs });
      ending.push(supervisor.done);
    }
    return Promise.all(ending);
  }

  /** Forget what waits for a registration (it is being unregistered). */
  dropPending(taskId: string): void {
    this.#heldBy.delete(taskId);
  }

  #onStateChange(change: DeviceStateChange): void {
    const { values, changed } = change;
    const policy = this.#d.policy();
    if (changed.includes('workCost')) {
      for (const { supervisor } of this.#running.values()) supervisor.setWorkCost(values.workCost);
    }
    // Supply first: a maintenance task loses its supply (Abort) before energy saving cancels the rest.
    if (changed.includes('supplyGood') && !values.supplyGood) {
      void this.cancelWhere((r) => r.trigger.type === 'MaintenanceTrigger', 'Abort', `maintenance needs a good supply: ${change.cause}`);
    }
    if (changed.includes('energySaver') && values.energySaver && policy.config.energySaver === 'cancel') {
      void this.cancelWhere(() => true, 'EnergySaver', `the SoC reports under-voltage or throttling (${change.cause})`);
    }
    for (const { record, supervisor } of [...this.#running.values()]) {
      if (!record.cancelOnConditionLoss) continue;
      const lost = firstUnmet(record.conditions, values);
      if (lost) supervisor.cancel('ConditionLoss', `condition ${lost.conditionType} no longer holds (${change.cause})`);
    }
    this.resumePending();
  }

  /** Start whatever waits and may now run (at start: what waited when the runtime last stopped). */
  resumePending(): void {
    for (const [taskId, state] of Object.entries(this.#d.store.data.triggerState)) {
      if (state.pending?.length) this.#pump(taskId);
    }
  }
}

/** Trigger details as the log keeps them: a batch (adverts, readings) is counted, not copied into every line. */
function loggedDetails(details: unknown): unknown {
  if (typeof details !== 'object' || details === null || Array.isArray(details)) return details;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(details)) {
    if (Array.isArray(v) && v.length > 3) (out ??= { ...details })[k] = { count: v.length };
  }
  return out ?? details;
}
