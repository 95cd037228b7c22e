/**
 * The registrations: validated as register() must (typed errors for every bad combination),
 * persisted in the store, armed with the broker, and exposed as BackgroundTaskRegistration
 * objects. Bundles register through `upsert`, which keeps a task's id (and its trigger state,
 * while the trigger is unchanged) across restarts and redeploys.
 */
import { randomUUID } from 'node:crypto';
import type { AccessManager } from './access.js';
import type { Broker, TriggerDefinition } from './broker.js';
import { parseCondition } from './conditions.js';
import type { TaskIsolation } from './enums.js';
import { AccessDeniedError, RegistrationError } from './errors.js';
import type { DevicePolicy } from './policy.js';
import { BackgroundTaskRegistration, BackgroundTaskRegistrationGroup } from './registration.js';
import type { Store } from './store.js';
import type { RegistrationRecord, TaskEntryPoint } from './store-types.js';
import type { ApplicationTriggerData, ConditionData, TriggerData } from './trigger.js';

export interface RegistrationSpec {
  name: string;
  /** The bundle that owns the task (access and policy are decided per bundle). */
  bundle: string;
  /** Absent: the single-process model — the task runs through its group's backgroundActivated. */
  entryPoint?: TaskEntryPoint;
  trigger: unknown;
  conditions?: unknown[];
  cancelOnConditionLoss?: boolean;
  isNetworkRequested?: boolean;
  taskGroup?: BackgroundTaskRegistrationGroup;
  isolation?: TaskIsolation;
  memoryMb?: number;
  timeoutSec?: number;
  capabilities?: string[];
  bundleVersion?: string;
  /** Field path for messages ("tasks[1]"); "" for API registrations. */
  field?: string;
}

/** "events.emit" or "events.emit:door.opened" — a family, a verb, an optional target. */
const CAPABILITY = /^[a-z][a-z0-9]*(\.[a-z][a-z0-9-]*)+(:[^\s:][^\s]*)?$/;

export interface RegistryDeps {
  store: Store;
  broker: Broker;
  access: AccessManager;
  policy: () => DevicePolicy;
  now: () => number;
  /** Throws when the entry point's module cannot be found. */
  checkEntryPoint: (entry: TaskEntryPoint, field: string) => void;
  /** A registration is going away; cancel its running instance when asked. */
  onUnregister: (taskId: string, cancelTask: boolean) => void;
}

export class TaskRegistry {
  readonly #deps: RegistryDeps;
  readonly #objects = new Map<string, BackgroundTaskRegistration>();
  readonly #groups = new Map<string, BackgroundTaskRegistrationGroup>();

  constructor(deps: RegistryDeps) {
    this.#deps = deps;
    const { store } = deps;
    for (const group of Object.values(store.data.groups)) this.#adoptGroup(new BackgroundTaskRegistrationGroup(group.id, group.name));
    for (const record of Object.values(store.data.registrations)) this.#objects.set(record.taskId, this.#wrap(record));
  }

  record(taskId: string): RegistrationRecord | undefined {
    return this.#deps.store.data.registrations[taskId];
  }

  records(): RegistrationRecord[] {
    return Object.values(this.#deps.store.data.registrations);
  }

  byBundle(bundle: string): RegistrationRecord[] {
    return this.records().filter((r) => r.entryPoint.bundle === bundle);
  }

  get(taskId: string): BackgroundTaskRegistration | undefined {
    return this.#objects.get(taskId);
  }

  allTasks(): ReadonlyMap<string, BackgroundTaskRegistration> {
    return new Map([...this.#objects].filter(([, r]) => r.record.taskGroup === undefined));
  }

  allTaskGroups(): ReadonlyMap<string, BackgroundTaskRegistrationGroup> {
    return new Map(this.#groups);
  }

  group(id: string): BackgroundTaskRegistrationGroup | undefined {
    return this.#groups.get(id);
  }

  /** Validate and register; throws RegistrationError / UnsupportedTriggerError / AccessDeniedError. */
  register(spec: RegistrationSpec): BackgroundTaskRegistration {
    const record = this.#validate(spec, randomUUID(), 'api');
    return this.#commit(record, true);
  }

  /** Register a bundle's task, keeping the task id (and trigger state, if the trigger is unchanged). */
  upsert(spec: RegistrationSpec): BackgroundTaskRegistration {
    const existing = this.records().find((r) => r.source === 'manifest' && r.entryPoint.bundle === spec.bundle && r.name === spec.name);
    const record = this.#validate(spec, existing?.taskId ?? randomUUID(), 'manifest');
    const triggerChanged = !existing || JSON.stringify(existing.trigger) !== JSON.stringify(record.trigger);
    if (existing) record.registeredAt = existing.registeredAt;
    return this.#commit(record, triggerChanged);
  }

  /** Check a spec without registering it (a manifest is validated whole before anything changes). */
  validate(spec: RegistrationSpec): void {
    this.#validate(spec, 'validation', 'manifest');
  }

  unregister(taskId: string, cancelTask: boolean): void {
    const { store, broker } = this.#deps;
    if (!store.data.registrations[taskId]) return;
    this.#deps.onUnregister(taskId, cancelTask);
    broker.disarm(taskId);
    delete store.data.registrations[taskId];
    delete store.data.triggerState[taskId];
    delete store.data.throttle[taskId];
    delete store.data.runs[taskId];
    this.#objects.get(taskId)?.events.removeAll();
    this.#objects.delete(taskId);
    this.#dropEmptyGroups();
    store.changed();
  }

  /** Arm every registration whose trigger can still fire (at start, and after a policy change). */
  armAll(pick: (record: RegistrationRecord) => boolean, onError: (record: RegistrationRecord, err: unknown) => void): void {
    for (const record of this.records()) {
      if (!pick(record)) continue;
      try {
        this.arm(record);
      } catch (err) {
        onError(record, err);
      }
    }
  }

  arm(record: RegistrationRecord): void {
    const { store, broker } = this.#deps;
    const state = (store.data.triggerState[record.taskId] ??= {});
    if (state.done) return;
    broker.arm({
      taskId: record.taskId,
      name: record.name,
      bundle: record.entryPoint.bundle,
      trigger: record.trigger,
      state,
      saveState: () => store.changed(),
    });
  }

  definitionOf(record: RegistrationRecord): TriggerDefinition {
    return this.#deps.broker.armedDefinition(record.taskId) ?? this.#deps.broker.definitionFor(record.trigger as { type: string });
  }

  #commit(record: RegistrationRecord, resetTriggerState: boolean): BackgroundTaskRegistration {
    const { store, broker } = this.#deps;
    broker.disarm(record.taskId);
    store.data.registrations[record.taskId] = record;
    if (resetTriggerState) store.data.triggerState[record.taskId] = {};
    if (record.taskGroup !== undefined && !store.data.groups[record.taskGroup]) {
      const group = this.#groups.get(record.taskGroup)!;
      store.data.groups[group.id] = { id: group.id, name: group.name };
    }
    store.changed();
    // Listeners attached to the object keep working across a redeploy of the same task.
    let object = this.#objects.get(record.taskId);
    if (object) object.refresh(record);
    else this.#objects.set(record.taskId, (object = this.#wrap(record)));
    this.arm(record);
    this.#dropEmptyGroups();
    return object;
  }

  #validate(spec: RegistrationSpec, taskId: string, source: RegistrationRecord['source']): RegistrationRecord {
    const { access, broker, now } = this.#deps;
    const policy = this.#deps.policy();
    const field = spec.field ?? '';
    const at = (name: string) => (field ? `${field}.${name}` : name);
    if (typeof spec.name !== 'string' || spec.name.trim() === '' || spec.name.length > 128) {
      throw new RegistrationError('NAME_INVALID', `${at('name')} is ${JSON.stringify(spec.name)}: expected a non-empty name of at most 128 characters`);
    }
    const status = access.getAccessStatus(spec.bundle);
    if (!access.allowed(spec.bundle)) {
      const hint = status === 'Unspecified' ? 'call BackgroundExecutionManager.requestAccess() first' : 'the device policy denies it (policy.access)';
      throw new AccessDeniedError(`bundle "${spec.bundle}" may not register background tasks (access ${status}): ${hint}`);
    }
    const { trigger: parsed, definition } = broker.parse(spec.trigger, { field: at('trigger'), minTimeTriggerMinutes: policy.minTimeTriggerMinutes });
    let trigger: TriggerData = parsed;
    if (trigger.type === 'ApplicationTrigger' && !(trigger as ApplicationTriggerData).name) trigger = { ...trigger, name: spec.name } as ApplicationTriggerData;
    if (!policy.triggerAllowed(spec.bundle, trigger)) {
      throw new AccessDeniedError(`bundle "${spec.bundle}" may not register ${describeType(trigger)}: the device policy's policy.access.bundles["${spec.bundle}"].triggers does not list it`, {
        code: 'TRIGGER_NOT_ALLOWED',
      });
    }
    const conditions: ConditionData[] = (spec.conditions ?? []).map((c, i) => parseCondition(c, `${at('conditions')}[${i}]`));
    const isolation: TaskIsolation = spec.isolation ?? (spec.entryPoint ? 'worker' : 'inprocess');
    if (!spec.entryPoint && isolation !== 'inprocess') {
      throw new RegistrationError('ENTRY_POINT_REQUIRED', `${at('isolation')} is "${isolation}" but the task has no entry point: an isolated task needs taskEntryPoint (bundle, module, export)`);
    }
    if (definition.isolatedOnly && isolation === 'inprocess') {
      throw new RegistrationError('ISOLATION_REQUIRED', `${describeType(trigger)} cannot run in-process: set ${at('isolation')} to "worker"`);
    }
    if (isolation === 'inprocess' && !policy.inProcessAllowed(spec.bundle)) {
      throw new AccessDeniedError(`bundle "${spec.bundle}" may not run tasks in-process (policy.access.bundles["${spec.bundle}"].inProcess is false): use "worker"`, {
        code: 'INPROCESS_NOT_ALLOWED',
      });
    }
    const capabilities = [...new Set(spec.capabilities ?? [])];
    capabilities.forEach((capability, i) => {
      if (typeof capability !== 'string' || !CAPABILITY.test(capability)) {
        throw new RegistrationError('CAPABILITY_INVALID', `${at('capabilities')}[${i}] is ${JSON.stringify(capability)}: expected a capability such as "events.emit" or "gpio.write:led"`);
      }
      if (!policy.capabilityAllowed(spec.bundle, capability)) {
        throw new AccessDeniedError(`bundle "${spec.bundle}" may not use capability "${capability}": the device policy does not allow it`, { code: 'CAPABILITY_NOT_ALLOWED' });
      }
    });
    for (const [key, value] of [['memoryMb', spec.memoryMb], ['timeoutSec', spec.timeoutSec]] as const) {
      if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)) {
        throw new RegistrationError('BUDGET_INVALID', `${at(key)} is ${JSON.stringify(value)}: expected a number > 0`);
      }
    }
    const entryPoint = spec.entryPoint ?? { bundle: spec.bundle, module: '', export: '' };
    if (spec.entryPoint) this.#deps.checkEntryPoint(spec.entryPoint, at('entry'));
    let taskGroup: string | undefined;
    if (spec.taskGroup) {
      this.#adoptGroup(spec.taskGroup);
      taskGroup = spec.taskGroup.id;
    }
    const record: RegistrationRecord = {
      taskId,
      name: spec.name,
      entryPoint,
      trigger,
      conditions,
      cancelOnConditionLoss: spec.cancelOnConditionLoss ?? false,
      isNetworkRequested: spec.isNetworkRequested ?? false,
      isolation,
      capabilities,
      source,
      registeredAt: now(),
    };
    if (taskGroup !== undefined) record.taskGroup = taskGroup;
    if (spec.memoryMb !== undefined) record.memoryMb = spec.memoryMb;
    if (spec.timeoutSec !== undefined) record.timeoutSec = spec.timeoutSec;
    if (spec.bundleVersion !== undefined) record.bundleVersion = spec.bundleVersion;
    return record;
  }

  #adoptGroup(group: BackgroundTaskRegistrationGroup): void {
    const known = this.#groups.get(group.id);
    if (known && known !== group) return;
    this.#groups.set(group.id, group);
    group.attach(() => new Map([...this.#objects].filter(([, r]) => r.record.taskGroup === group.id)));
  }

  #dropEmptyGroups(): void {
    const { store } = this.#deps;
    const used = new Set(this.records().map((r) => r.taskGroup));
    for (const id of new Set([...Object.keys(store.data.groups), ...this.#groups.keys()])) {
      if (used.has(id)) continue;
      this.#groups.delete(id);
      if (store.data.groups[id]) {
        delete store.data.groups[id];
        store.changed();
      }
    }
  }

  #wrap(record: RegistrationRecord): BackgroundTaskRegistration {
    return new BackgroundTaskRegistration(record, {
      unregister: (taskId, cancelTask) => this.unregister(taskId, cancelTask),
      group: (id) => this.#groups.get(id),
    });
  }
}

function describeType(trigger: TriggerData): string {
  return trigger.type === 'SystemTrigger' ? `SystemTrigger ${String((trigger as { triggerType?: unknown }).triggerType)}` : trigger.type;
}
