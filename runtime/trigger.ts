/**
 * Triggers and conditions are plain, serialisable data, so registrations survive restarts,
 * travel in bundle manifests and cross worker ports unchanged. The core's trigger types are
 * spelled out here; trigger types that drivers add are any object with a `type` string, checked
 * by the definition the driver registers with the broker.
 */
import type {
  CustomSystemEventTriggerRecurrence,
  SystemConditionType,
  SystemTriggerType,
} from './enums.js';

/**
 * Custom event ids are dotted names ("door.opened"): they appear in CLIs, logs, capability
 * names and simulated-board scripts, so every producer checks them the same way.
 */
export const EVENT_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export interface TimeTriggerData {
  type: 'TimeTrigger';
  /** Minutes between runs (the seed's freshnessTime). Policy sets the minimum (15 by default). */
  freshnessTime: number;
  oneShot: boolean;
}

export interface MaintenanceTriggerData {
  type: 'MaintenanceTrigger';
  freshnessTime: number;
  oneShot: boolean;
}

export interface ApplicationTriggerData {
  type: 'ApplicationTrigger';
  /** The name `vigil trigger NAME` uses; the task's name when not given. */
  name?: string;
}

export interface CustomSystemEventTriggerData {
  type: 'CustomSystemEventTrigger';
  triggerId: string;
  recurrence: CustomSystemEventTriggerRecurrence;
}

export interface SystemTriggerData {
  type: 'SystemTrigger';
  triggerType: SystemTriggerType;
  oneShot: boolean;
}

/** Any trigger: the core's, or one a driver defines (`{ type: "SensorDataThresholdTrigger", … }`). */
export type TriggerData =
  | TimeTriggerData
  | MaintenanceTriggerData
  | ApplicationTriggerData
  | CustomSystemEventTriggerData
  | SystemTriggerData
  | ({ type: string } & Record<string, unknown>);

export interface SystemConditionData {
  type: 'SystemCondition';
  conditionType: SystemConditionType;
}

export type ConditionData = SystemConditionData;

/** One line for logs and `vigil status`: "TimeTrigger every 15 min", "SystemTrigger TimeZoneChange". */
export function describeTrigger(trigger: TriggerData): string {
  const t = trigger as Record<string, unknown>;
  switch (trigger.type) {
    case 'TimeTrigger':
    case 'MaintenanceTrigger':
      return `${trigger.type} ${t.oneShot ? 'once after' : 'every'} ${String(t.freshnessTime)} min`;
    case 'ApplicationTrigger':
      return t.name ? `ApplicationTrigger "${String(t.name)}"` : 'ApplicationTrigger';
    case 'CustomSystemEventTrigger':
      return `CustomSystemEventTrigger "${String(t.triggerId)}" (${String(t.recurrence)})`;
    case 'SystemTrigger':
      return `SystemTrigger ${String(t.triggerType)}${t.oneShot ? ' (once)' : ''}`;
    default:
      return trigger.type;
  }
}
