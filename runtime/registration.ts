/**
 * BackgroundTaskRegistration and BackgroundTaskRegistrationGroup: the live objects over the
 * persisted registration records. Listeners for `progress` and `completed` live here, not in
 * the store; they are re-attached by the program after a restart, as with the seed.
 */
import { currentContext } from './context.js';
import { Emitter, type Unsubscribe } from './emitter.js';
import type { BackgroundTaskCancellationReason, EnergyUseLevel, RunOutcome } from './enums.js';
import type { TaskError } from './errors.js';
import type { RegistrationRecord } from './store-types.js';
import type { BackgroundTaskInstance } from './task-api.js';
import type { TriggerData } from './trigger.js';

export interface BackgroundTaskProgressEventArgs {
  instanceId: string;
  progress: number;
}

export interface BackgroundTaskCompletedEventArgs {
  instanceId: string;
  outcome: RunOutcome;
  reason?: BackgroundTaskCancellationReason;
  durationMs: number;
  peakBytes?: number;
  budgetBytes?: number;
  energy?: EnergyUseLevel;
  /** Throws the run's error (a TaskError, or a TaskCanceledError carrying the reason); returns when it succeeded. */
  checkResult(): void;
}

export function completedArgs(
  base: Omit<BackgroundTaskCompletedEventArgs, 'checkResult'>,
  error: TaskError | undefined,
): BackgroundTaskCompletedEventArgs {
  return {
    ...base,
    checkResult() {
      if (error) throw error;
    },
  };
}

type RegistrationEvents = {
  progress: [BackgroundTaskProgressEventArgs];
  completed: [BackgroundTaskCompletedEventArgs];
};

/** What a registration needs from its registry. */
export interface RegistrationOwner {
  unregister(taskId: string, cancelTask: boolean): void;
  group(id: string): BackgroundTaskRegistrationGroup | undefined;
}

export class BackgroundTaskRegistration {
  #record: RegistrationRecord;
  readonly #owner: RegistrationOwner;
  readonly events = new Emitter<RegistrationEvents>();

  constructor(record: RegistrationRecord, owner: RegistrationOwner) {
    this.#record = record;
    this.#owner = owner;
  }

  get taskId(): string {
    return this.#record.taskId;
  }
  get name(): string {
    return this.#record.name;
  }
  get trigger(): TriggerData {
    return this.#record.trigger;
  }
  get bundle(): string {
    return this.#record.entryPoint.bundle;
  }
  get taskGroup(): BackgroundTaskRegistrationGroup | undefined {
    return this.#record.taskGroup === undefined ? undefined : this.#owner.group(this.#record.taskGroup);
  }
  /** @internal a redeploy changed the record; listeners stay attached to this object. */
  refresh(record: RegistrationRecord): void {
    this.#record = record;
  }

  /** The persisted record (read-only view). */
  get record(): Readonly<RegistrationRecord> {
    return this.#record;
  }

  on<K extends keyof RegistrationEvents>(event: K, listener: (...args: RegistrationEvents[K]) => void): Unsubscribe {
    return this.events.on(event, listener);
  }

  /** Remove the registration; with cancelTask, a running instance is cancelled with Abort. */
  unregister(cancelTask: boolean): void {
    this.#owner.unregister(this.taskId, cancelTask);
  }

  /** Registrations outside any group, by task id (the seed's AllTasks). */
  static get allTasks(): ReadonlyMap<string, BackgroundTaskRegistration> {
    return currentContext().registry.allTasks();
  }

  static get allTaskGroups(): ReadonlyMap<string, BackgroundTaskRegistrationGroup> {
    return currentContext().registry.allTaskGroups();
  }

  static getTaskGroup(groupId: string): BackgroundTaskRegistrationGroup | undefined {
    return currentContext().registry.group(groupId);
  }
}

export interface BackgroundActivatedEventArgs {
  taskInstance: BackgroundTaskInstance;
}

/**
 * A named set of registrations with its own activation handling: tasks registered in a group
 * without an entry point are delivered to this group's `backgroundActivated` listener (the
 * seed's single-process model) and never to another group's.
 */
export class BackgroundTaskRegistrationGroup {
  readonly id: string;
  readonly name: string;
  #members: (() => ReadonlyMap<string, BackgroundTaskRegistration>) | undefined;
  #handler: ((args: BackgroundActivatedEventArgs) => unknown) | undefined;

  constructor(id: string, name?: string) {
    if (typeof id !== 'string' || id.trim() === '') throw new TypeError(`a task group needs a non-empty id, got ${JSON.stringify(id)}`);
    this.id = id;
    this.name = name ?? id;
  }

  /** @internal the registry shows the group its members. */
  attach(members: () => ReadonlyMap<string, BackgroundTaskRegistration>): void {
    this.#members = members;
  }

  get allTasks(): ReadonlyMap<string, BackgroundTaskRegistration> {
    return this.#members?.() ?? new Map();
  }

  /**
   * The handler that runs this group's entry-point-less tasks. One per group (a later one
   * replaces it): the task ends when the handler's promise settles, like run().
   */
  on(event: 'backgroundActivated', listener: (args: BackgroundActivatedEventArgs) => unknown): Unsubscribe {
    if (event !== 'backgroundActivated') throw new TypeError(`unknown group event "${String(event)}": expected "backgroundActivated"`);
    this.#handler = listener;
    return () => {
      if (this.#handler === listener) this.#handler = undefined;
    };
  }

  /** @internal */
  get activationHandler(): ((args: BackgroundActivatedEventArgs) => unknown) | undefined {
    return this.#handler;
  }
}
