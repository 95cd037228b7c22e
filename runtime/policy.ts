/**
 * Device policy: the part of the configuration that decides what bundles may do — access
 * (what requestAccess() answers), which trigger types and capabilities they may use, whether
 * they may run in-process, the time-trigger minimum, quotas and memory budgets.
 */
import type { DevicePolicyConfig } from './config.js';
import type { BackgroundAccessStatus, BackgroundWorkCostValue } from './enums.js';
import type { TriggerData } from './trigger.js';
import { scaledBudgetMb } from './work-cost.js';

export class DevicePolicy {
  readonly config: DevicePolicyConfig;

  constructor(config: DevicePolicyConfig) {
    this.config = config;
  }

  get minTimeTriggerMinutes(): number {
    return this.config.minTimeTriggerMinutes;
  }

  accessFor(bundle: string): BackgroundAccessStatus {
    return this.config.access.bundles[bundle]?.access ?? this.config.access.default;
  }

  static allows(status: BackgroundAccessStatus): boolean {
    return status === 'AlwaysAllowed' || status === 'AllowedSubjectToSystemPolicy' || status.startsWith('AllowedWith') || status === 'AllowedMayUseActiveRealTimeConnectivity';
  }

  /** A trigger is allowed when the bundle's list names its type, or "SystemTrigger:<type>" for one SystemTrigger type. */
  triggerAllowed(bundle: string, trigger: TriggerData): boolean {
    const list = this.config.access.bundles[bundle]?.triggers;
    if (!list) return true;
    if (list.includes(trigger.type)) return true;
    return trigger.type === 'SystemTrigger' && list.includes(`SystemTrigger:${String((trigger as { triggerType?: unknown }).triggerType)}`);
  }

  /** "events.emit" in the policy allows "events.emit" and "events.emit:<anything>". */
  capabilityAllowed(bundle: string, capability: string): boolean {
    const list = this.config.access.bundles[bundle]?.capabilities;
    if (!list) return true;
    return list.some((allowed) => capability === allowed || capability.startsWith(`${allowed}:`));
  }

  inProcessAllowed(bundle: string): boolean {
    return this.config.access.bundles[bundle]?.inProcess ?? true;
  }

  /** The wall-clock quota: what the task asked for, capped by its trigger class. */
  quotaMs(longRunning: boolean, requestedSec?: number): number {
    const cap = longRunning ? this.config.quotas.longRunningSec : this.config.quotas.defaultSec;
    return Math.round(Math.min(requestedSec ?? cap, cap) * 1000);
  }

  /** The memory budget of an isolated run: asked for (or the default), capped, scaled by the work cost. */
  budgetBytes(requestedMb: number | undefined, cost: BackgroundWorkCostValue): number {
    const mb = Math.min(requestedMb ?? this.config.memory.defaultMb, this.config.memory.maxMb);
    return Math.round(scaledBudgetMb(mb, cost) * 1024 * 1024);
  }
}
