/**
 * ActivitySensorTrigger: fires when the device's activity sensor reports one of the subscribed
 * activities, at most once per report interval; the task receives every reading since its last
 * activation (the seed's ReadReports). On a Pi the readings come from a PIR on a GPIO line:
 * motion reports the line's "active" activity, the line dropping its "inactive" one.
 */
import * as v from 'valibot';
import type { ArmedRegistration, SourcePort, TriggerDefinition } from '../broker.js';
import type { TimerHandle } from '../clock.js';
import type { Unsubscribe } from '../emitter.js';
import { ActivityType } from '../enums.js';
import type { TriggerData } from '../trigger.js';
import { parseTriggerData } from './parse.js';

export interface ActivityReading {
  activity: ActivityType;
  confidence: 'High' | 'Low';
  /** ISO 8601. */
  timestamp: string;
  /** Which input reported it ("gpio/pir"). */
  source: string;
}

export interface ActivityFeed {
  onReading(listener: (reading: ActivityReading) => void): Unsubscribe;
}

const schema = v.strictObject({
  type: v.literal('ActivitySensorTrigger'),
  subscribedActivities: v.pipe(v.array(v.picklist(ActivityType.all)), v.minLength(1, 'at least one activity')),
  /** 0: report each reading as it comes. */
  reportIntervalInMilliseconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(86_400_000)), 0),
});

type ActivityTriggerData = TriggerData & { subscribedActivities: ActivityType[]; reportIntervalInMilliseconds: number };

export function activitySensorTrigger(feed: ActivityFeed): TriggerDefinition {
  return {
    id: 'ActivitySensorTrigger',
    parse: (data, ctx) => parseTriggerData(schema, data, ctx.field) as TriggerData,
    coalesce: false,
    arm: (registration, port) => arm(feed, registration, port),
  };
}

function arm(feed: ActivityFeed, registration: ArmedRegistration, port: SourcePort): Unsubscribe {
  const t = registration.trigger as unknown as ActivityTriggerData;
  const subscribed = new Set<string>(t.subscribedActivities);
  let reports: ActivityReading[] = [];
  let wanted = false;
  let lastFired = Number.NEGATIVE_INFINITY;
  let timer: TimerHandle | undefined;
  const fire = () => {
    timer = undefined;
    lastFired = port.clock.now();
    const batch = reports;
    reports = [];
    wanted = false;
    port.fire(registration.taskId, { reports: batch });
  };
  const off = feed.onReading((reading) => {
    reports.push(reading);
    // Keep a bounded history between activations: a PIR chattering for hours is not a leak.
    if (reports.length > 256) reports.splice(0, reports.length - 256);
    if (subscribed.has(reading.activity)) wanted = true;
    if (!wanted || timer) return;
    const wait = lastFired + t.reportIntervalInMilliseconds - port.clock.now();
    if (wait <= 0) fire();
    else {
      timer = port.clock.setTimeout(fire, wait);
      timer.unref();
    }
  });
  return () => {
    off();
    if (timer) port.clock.clearTimeout(timer);
  };
}
