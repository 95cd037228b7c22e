/**
 * The broker: trigger definitions (the core's and those drivers add), the armed registrations,
 * and the one small interface event sources use. A source either raises an event by key
 * (`raise("CustomSystemEventTrigger:door.opened")`, an O(1) lookup of the registrations armed on
 * that key) or, when it keeps per-registration state (due times, thresholds), learns each
 * registration through `arm()` and fires it directly.
 */
import type { Clock } from './clock.js';
import type { DeviceState } from './device-state.js';
import type { Unsubscribe } from './emitter.js';
import { RegistrationError, UnsupportedTriggerError } from './errors.js';
import type { TriggerStateRecord } from './store-types.js';
import type { TriggerData } from './trigger.js';
import { knownTriggerHint } from './triggers/catalogue.js';
import { parseSystemTrigger } from './triggers/system.js';

export interface TriggerContext {
  /** Field path for messages ("tasks[1].trigger"). */
  field: string;
  minTimeTriggerMinutes: number;
}

/** A registration as a source sees it. `state` is persisted: change it, then call `saveState()`. */
export interface ArmedRegistration {
  readonly taskId: string;
  readonly name: string;
  readonly bundle: string;
  readonly trigger: TriggerData;
  readonly state: TriggerStateRecord;
  saveState(): void;
}

/** What event sources (drivers, the core's own) are given. */
export interface SourcePort {
  readonly clock: Clock;
  readonly state: DeviceState;
  /** Fire one registration. */
  fire(taskId: string, details?: unknown): void;
  /** Fire every armed registration whose trigger maps to `key`, optionally only a bundle's. */
  raise(key: string, details?: unknown, scope?: { bundle?: string }): number;
}

export interface TriggerDefinition {
  /** The trigger's `type`, or "SystemTrigger:<SystemTriggerType>" for one SystemTrigger type. */
  readonly id: string;
  /** Check and normalise the data (defaults applied); throw RegistrationError naming ctx.field. */
  parse?(data: Record<string, unknown>, ctx: TriggerContext): TriggerData;
  /** The key `raise()` uses to reach registrations with this trigger. */
  key?(trigger: TriggerData): string;
  /** May run up to the long-running quota (10 minutes by default). */
  readonly longRunning?: boolean;
  /** Cannot run in the runtime's own thread. */
  readonly isolatedOnly?: boolean;
  /** Fires at most once (oneShot, recurrence Once). */
  oneShot?(trigger: TriggerData): boolean;
  /** Repeated firings while an activation is still waiting collapse into one (the newest); per trigger when a function. */
  readonly coalesce?: boolean | ((trigger: TriggerData) => boolean);
  /** A registration was armed: start producing its events; the returned function disarms it. */
  arm?(registration: ArmedRegistration, port: SourcePort): Unsubscribe | void;
}

interface Armed {
  registration: ArmedRegistration;
  definition: TriggerDefinition;
  key: string | undefined;
  disarm: Unsubscribe | void;
}

export class Broker {
  readonly #definitions = new Map<string, TriggerDefinition>();
  readonly #armed = new Map<string, Armed>();
  readonly #byKey = new Map<string, Set<Armed>>();
  readonly port: SourcePort;

  constructor(deps: { clock: Clock; state: DeviceState; activate: (taskId: string, details: unknown) => void }) {
    const activate = deps.activate;
    this.port = {
      clock: deps.clock,
      state: deps.state,
      fire: (taskId, details) => {
        if (this.#armed.has(taskId)) activate(taskId, details);
      },
      raise: (key, details, scope) => {
        const set = this.#byKey.get(key);
        if (!set) return 0;
        let n = 0;
        for (const armed of [...set]) {
          if (scope?.bundle !== undefined && armed.registration.bundle !== scope.bundle) continue;
          activate(armed.registration.taskId, details);
          n++;
        }
        return n;
      },
    };
  }

  /** Add a trigger type (or a SystemTrigger type). Returns a function that removes it again. */
  define(definition: TriggerDefinition): Unsubscribe {
    if (this.#definitions.has(definition.id)) {
      throw new RegistrationError('TRIGGER_DEFINED_TWICE', `trigger type ${definition.id} is already defined`);
    }
    this.#definitions.set(definition.id, definition);
    return () => {
      this.#definitions.delete(definition.id);
    };
  }

  /**
   * The definition a trigger resolves to; throws a typed error when nothing implements it.
   * `field` ("tasks[1].trigger") makes the message say which trigger of a manifest is meant.
   */
  definitionFor(trigger: { type: string; triggerType?: unknown }, field?: string): TriggerDefinition {
    const id = trigger.type === 'SystemTrigger' ? `SystemTrigger:${String(trigger.triggerType)}` : trigger.type;
    const found = this.#definitions.get(id);
    if (found) return found;
    const where = field ? `${field}: ` : '';
    const hint = knownTriggerHint(id);
    if (hint !== undefined) throw new UnsupportedTriggerError(id, `${where}${id.replace(':', ' ')} is not supported on this device yet: ${hint}`);
    throw new RegistrationError('TRIGGER_UNKNOWN', `${where}unknown trigger type ${JSON.stringify(trigger.type)}: expected one of ${[...this.supportedTypes()].join(', ')}`);
  }

  supportedTypes(): Set<string> {
    return new Set([...this.#definitions.keys()].map((id) => id.split(':')[0]!));
  }

  supportedIds(): string[] {
    return [...this.#definitions.keys()].sort();
  }

  /** Validate trigger data as register() must: shape, then whether anything implements it. */
  parse(raw: unknown, ctx: TriggerContext): { trigger: TriggerData; definition: TriggerDefinition } {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new RegistrationError('TRIGGER_INVALID', `${ctx.field} is ${JSON.stringify(raw)}: expected an object with a "type"`);
    }
    const data = raw as Record<string, unknown>;
    if (typeof data.type !== 'string' || data.type === '') {
      throw new RegistrationError('TRIGGER_INVALID', `${ctx.field}.type is ${JSON.stringify(data.type)}: expected a trigger type name such as "TimeTrigger"`);
    }
    // SystemTrigger's shape is checked before its type is looked up, so a typo in triggerType
    // reads as a typo, not as "not supported".
    if (data.type === 'SystemTrigger') {
      const trigger = parseSystemTrigger(data, ctx);
      return { trigger, definition: this.definitionFor(trigger, `${ctx.field}.triggerType`) };
    }
    const definition = this.definitionFor(data as { type: string }, `${ctx.field}.type`);
    return { trigger: definition.parse ? definition.parse(data, ctx) : (data as TriggerData), definition };
  }

  arm(registration: ArmedRegistration): void {
    this.disarm(registration.taskId);
    const definition = this.definitionFor(registration.trigger as { type: string });
    const key = definition.key?.(registration.trigger);
    const armed: Armed = { registration, definition, key, disarm: undefined };
    this.#armed.set(registration.taskId, armed);
    if (key !== undefined) {
      let set = this.#byKey.get(key);
      if (!set) this.#byKey.set(key, (set = new Set()));
      set.add(armed);
    }
    armed.disarm = definition.arm?.(registration, this.port);
  }

  disarm(taskId: string): void {
    const armed = this.#armed.get(taskId);
    if (!armed) return;
    this.#armed.delete(taskId);
    if (armed.key !== undefined) {
      const set = this.#byKey.get(armed.key);
      set?.delete(armed);
      if (set?.size === 0) this.#byKey.delete(armed.key);
    }
    armed.disarm?.();
  }

  armedDefinition(taskId: string): TriggerDefinition | undefined {
    return this.#armed.get(taskId)?.definition;
  }

  disarmAll(): void {
    for (const taskId of [...this.#armed.keys()]) this.disarm(taskId);
  }
}
