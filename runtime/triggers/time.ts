/**
 * TimeTrigger and MaintenanceTrigger: run every `freshnessTime` minutes (or once, with oneShot).
 * Due times are persisted, so a run missed while the device was off runs once at start, not
 * once per missed period. MaintenanceTrigger also waits for a good supply.
 *
 * Timers never sleep longer than a minute at a time: a Pi has no RTC and its wall clock jumps
 * when NTP syncs after boot, so the due time is re-checked against the wall clock regularly
 * instead of trusting one long monotonic timeout.
 */
import * as v from 'valibot';
import type { ArmedRegistration, SourcePort, TriggerContext, TriggerDefinition } from '../broker.js';
import type { Unsubscribe } from '../emitter.js';
import { RegistrationError } from '../errors.js';
import type { MaintenanceTriggerData, TimeTriggerData, TriggerData } from '../trigger.js';
import { parseTriggerData } from './parse.js';

const RECHECK_MS = 60_000;

type TimedData = TimeTriggerData | MaintenanceTriggerData;

function schemaFor(type: TimedData['type']) {
  return v.strictObject({
    type: v.literal(type),
    freshnessTime: v.pipe(v.number(), v.gtValue(0)),
    oneShot: v.optional(v.boolean(), false),
  });
}

function parseTimed(type: TimedData['type'], data: Record<string, unknown>, ctx: TriggerContext): TimedData {
  const trigger = parseTriggerData(schemaFor(type), data, ctx.field) as TimedData;
  if (trigger.freshnessTime < ctx.minTimeTriggerMinutes) {
    throw new RegistrationError(
      'TRIGGER_BELOW_MINIMUM',
      `${ctx.field}.freshnessTime is ${trigger.freshnessTime} minutes: the device policy's minimum is ${ctx.minTimeTriggerMinutes} (policy.minTimeTriggerMinutes)`,
    );
  }
  return trigger;
}

export interface TimeTriggerDetails {
  /** When the run was due (ISO 8601). */
  scheduledAt: string;
  firedAt: string;
  /** The device was off (or the runtime stopped) when it fell due; this is the catch-up run. */
  missed: boolean;
}

function armTimed(registration: ArmedRegistration, port: SourcePort, maintenance: boolean): Unsubscribe {
  const trigger = registration.trigger as TimedData;
  const state = registration.state;
  const period = Math.round(trigger.freshnessTime * 60_000);
  const { clock } = port;
  const armedAt = clock.now();
  if (state.done) return () => {};
  if (state.dueAt === undefined) {
    state.dueAt = armedAt + period;
    registration.saveState();
  }
  const missedAtStart = state.dueAt <= armedAt;
  let timer: ReturnType<typeof clock.setTimeout> | undefined;
  let waitingForSupply: Unsubscribe | undefined;
  let stopped = false;

  const schedule = (delay?: number) => {
    const wait = delay ?? Math.min(Math.max(0, (state.dueAt ?? clock.now()) - clock.now()), RECHECK_MS);
    timer = clock.setTimeout(tick, wait);
    timer.unref();
  };

  const tick = () => {
    timer = undefined;
    if (stopped || state.dueAt === undefined) return;
    const now = clock.now();
    if (now < state.dueAt) return schedule();
    if (maintenance && !port.state.values.supplyGood) {
      // Due, but maintenance only runs on a good supply: wait for it rather than polling.
      waitingForSupply ??= port.state.events.on('change', (change) => {
        if (change.changed.includes('supplyGood') && change.values.supplyGood) {
          waitingForSupply?.();
          waitingForSupply = undefined;
          tick();
        }
      });
      return;
    }
    const details: TimeTriggerDetails = {
      scheduledAt: new Date(state.dueAt).toISOString(),
      firedAt: new Date(now).toISOString(),
      missed: missedAtStart && state.dueAt <= armedAt,
    };
    state.dueAt = trigger.oneShot ? undefined : now + period;
    registration.saveState();
    port.fire(registration.taskId, details);
    if (!trigger.oneShot && !stopped) schedule();
  };

  // A due time already past at arming is the run missed while the device was off: run it now.
  schedule(missedAtStart ? 0 : undefined);
  return () => {
    stopped = true;
    if (timer) clock.clearTimeout(timer);
    waitingForSupply?.();
  };
}

export const timeTrigger: TriggerDefinition = {
  id: 'TimeTrigger',
  coalesce: true,
  parse: (data, ctx) => parseTimed('TimeTrigger', data, ctx),
  oneShot: (t: TriggerData) => (t as TimeTriggerData).oneShot,
  arm: (registration, port) => armTimed(registration, port, false),
};

export const maintenanceTrigger: TriggerDefinition = {
  id: 'MaintenanceTrigger',
  coalesce: true,
  longRunning: true,
  parse: (data, ctx) => parseTimed('MaintenanceTrigger', data, ctx),
  oneShot: (t: TriggerData) => (t as MaintenanceTriggerData).oneShot,
  arm: (registration, port) => armTimed(registration, port, true),
};
