/**
 * SystemCondition evaluation. Conditions are checked when a trigger fires (an unmet condition
 * holds the activation until it is met, as the seed does) and again whenever the device state
 * changes, which is also when `cancelOnConditionLoss` cancels running tasks.
 */
import type { DeviceStateValues } from './device-state.js';
import { SystemConditionType, type BackgroundTaskThrottleCounter } from './enums.js';
import { RegistrationError } from './errors.js';
import type { ConditionData } from './trigger.js';

export function conditionHolds(type: SystemConditionType, s: Readonly<DeviceStateValues>): boolean {
  switch (type) {
    case 'UserPresent':
      return s.userPresent;
    case 'UserNotPresent':
      return !s.userPresent;
    case 'InternetAvailable':
      return s.internet;
    case 'InternetNotAvailable':
      return !s.internet;
    case 'SessionConnected':
      return s.sessionConnected;
    case 'SessionDisconnected':
      return !s.sessionConnected;
    case 'FreeNetworkAvailable':
      return s.internet && !s.metered;
    case 'BackgroundWorkCostNotHigh':
      return s.workCost !== 'High';
  }
}

/** The first condition that does not hold, if any. */
export function firstUnmet(conditions: readonly ConditionData[], s: Readonly<DeviceStateValues>): ConditionData | undefined {
  return conditions.find((c) => !conditionHolds(c.conditionType, s));
}

/** Which throttle counter a held activation counts against (the seed counts CPU and network). */
export function throttleCounterFor(type: SystemConditionType): Exclude<BackgroundTaskThrottleCounter, 'All'> | undefined {
  if (type === 'BackgroundWorkCostNotHigh') return 'Cpu';
  if (type === 'InternetAvailable' || type === 'FreeNetworkAvailable') return 'Network';
  return undefined;
}

/** Accepts `"InternetAvailable"` or `{ type: "SystemCondition", conditionType: "InternetAvailable" }`. */
export function parseCondition(raw: unknown, field: string): ConditionData {
  const type = typeof raw === 'string' ? raw : (raw as { conditionType?: unknown } | null)?.conditionType;
  if (typeof raw === 'object' && raw !== null && (raw as { type?: unknown }).type !== 'SystemCondition') {
    throw new RegistrationError(
      'CONDITION_INVALID',
      `${field} has type ${JSON.stringify((raw as { type?: unknown }).type)}: expected "SystemCondition"`,
    );
  }
  if (typeof type !== 'string' || !(SystemConditionType.all as readonly string[]).includes(type)) {
    throw new RegistrationError(
      'CONDITION_INVALID',
      `${field} is ${JSON.stringify(type ?? raw)}: expected one of ${SystemConditionType.all.join(', ')}`,
    );
  }
  return { type: 'SystemCondition', conditionType: type as SystemConditionType };
}
