/**
 * BackgroundTaskBuilder, as in the seed: set the name, the entry point, the trigger and the
 * conditions, then register(). Every invalid combination is a typed error from register():
 * a TimeTrigger under the policy minimum, a trigger nothing on this device implements, an
 * isolated task without an entry point, an in-process task with a trigger that must be isolated.
 */
import { currentContext, type RuntimeContext } from './context.js';
import type { SystemConditionType, TaskIsolation } from './enums.js';
import { RegistrationError } from './errors.js';
import type { BackgroundTaskRegistration, BackgroundTaskRegistrationGroup } from './registration.js';
import type { TaskEntryPoint } from './store-types.js';
import type { ConditionData, TriggerData } from './trigger.js';

/** "bundle/path/to/module.js#export" (export defaults to "default"). */
export function parseEntryPoint(text: string): TaskEntryPoint {
  const match = /^([^/#]+)\/([^#]+?)(?:#([A-Za-z_$][\w$]*))?$/.exec(text);
  if (!match) {
    throw new RegistrationError('ENTRY_POINT_INVALID', `taskEntryPoint is ${JSON.stringify(text)}: expected "bundle/module.js" or "bundle/module.js#exportName"`);
  }
  return { bundle: match[1]!, module: match[2]!, export: match[3] ?? 'default' };
}

export class BackgroundTaskBuilder {
  name = '';
  /** "bundle/module.js#export", or the parts. Leave unset for the single-process model. */
  taskEntryPoint: string | TaskEntryPoint | undefined;
  cancelOnConditionLoss = false;
  isNetworkRequested = false;
  taskGroup: BackgroundTaskRegistrationGroup | undefined;
  /** vigil: "worker" (isolated, the default with an entry point) or "inprocess". */
  isolation: TaskIsolation | undefined;
  memoryMb: number | undefined;
  timeoutSec: number | undefined;
  capabilities: string[] = [];
  /** The bundle that owns a task without an entry point (policy is decided per bundle). */
  bundle = 'app';
  #trigger: unknown;
  #conditions: unknown[] = [];
  #context: RuntimeContext | undefined;

  /** Bind to a runtime explicitly; by default the runtime running in this process. */
  constructor(context?: RuntimeContext) {
    this.#context = context;
  }

  setTrigger(trigger: TriggerData): void {
    this.#trigger = trigger;
  }

  addCondition(condition: ConditionData | SystemConditionType): void {
    this.#conditions.push(condition);
  }

  register(): BackgroundTaskRegistration {
    const context = this.#context ?? currentContext();
    if (this.#trigger === undefined) throw new RegistrationError('TRIGGER_MISSING', `task "${this.name}" has no trigger: call setTrigger() before register()`);
    const entryPoint = typeof this.taskEntryPoint === 'string' ? parseEntryPoint(this.taskEntryPoint) : this.taskEntryPoint;
    return context.registry.register({
      name: this.name,
      bundle: entryPoint?.bundle ?? this.bundle,
      ...(entryPoint ? { entryPoint } : {}),
      trigger: this.#trigger,
      conditions: this.#conditions,
      cancelOnConditionLoss: this.cancelOnConditionLoss,
      isNetworkRequested: this.isNetworkRequested,
      ...(this.taskGroup ? { taskGroup: this.taskGroup } : {}),
      ...(this.isolation ? { isolation: this.isolation } : {}),
      ...(this.memoryMb !== undefined ? { memoryMb: this.memoryMb } : {}),
      ...(this.timeoutSec !== undefined ? { timeoutSec: this.timeoutSec } : {}),
      capabilities: this.capabilities,
    });
  }
}
