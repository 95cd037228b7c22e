/**
 * The seed API's enumerations, as string unions: readable in JSON (the store, logs, `--json`
 * output, worker messages) and checked by the compiler. Each `X` is both the list of values and
 * the type `X` of one value.
 */
function values<const T extends readonly string[]>(...v: T): { readonly [K in T[number]]: K } & { readonly all: T } {
  const out = Object.fromEntries(v.map((k) => [k, k]));
  return Object.freeze(Object.assign(out, { all: v })) as unknown as { readonly [K in T[number]]: K } & { readonly all: T };
}
type ValueOf<T extends { all: readonly string[] }> = T['all'][number];

export const BackgroundTaskCancellationReason = values(
  'Abort',
  'Terminating',
  'LoggingOff',
  'ServicingUpdate',
  'IdleTask',
  'Uninstall',
  'ConditionLoss',
  'SystemPolicy',
  'QuietHoursEntered',
  'ExecutionTimeExceeded',
  'ResourceRevocation',
  'EnergySaver',
);
export type BackgroundTaskCancellationReason = ValueOf<typeof BackgroundTaskCancellationReason>;

export const BackgroundAccessStatus = values(
  'Unspecified',
  'AllowedWithAlwaysOnRealTimeConnectivity',
  'AllowedMayUseActiveRealTimeConnectivity',
  'Denied',
  'AlwaysAllowed',
  'AllowedSubjectToSystemPolicy',
  'DeniedBySystemPolicy',
  'DeniedByUser',
);
export type BackgroundAccessStatus = ValueOf<typeof BackgroundAccessStatus>;

export const BackgroundAccessRequestKind = values('AlwaysAllowed', 'AllowedSubjectToSystemPolicy');
export type BackgroundAccessRequestKind = ValueOf<typeof BackgroundAccessRequestKind>;

export const ApplicationTriggerResult = values('Allowed', 'CurrentlyRunning', 'DisabledByPolicy', 'UnknownError');
export type ApplicationTriggerResult = ValueOf<typeof ApplicationTriggerResult>;

export const SystemConditionType = values(
  'UserPresent',
  'UserNotPresent',
  'InternetAvailable',
  'InternetNotAvailable',
  'SessionConnected',
  'SessionDisconnected',
  'FreeNetworkAvailable',
  'BackgroundWorkCostNotHigh',
);
export type SystemConditionType = ValueOf<typeof SystemConditionType>;

export const SystemTriggerType = values(
  'SmsReceived',
  'UserPresent',
  'UserAway',
  'NetworkStateChange',
  'ControlChannelReset',
  'InternetAvailable',
  'SessionConnected',
  'ServicingComplete',
  'LockScreenApplicationAdded',
  'LockScreenApplicationRemoved',
  'TimeZoneChange',
  'OnlineIdConnectedStateChange',
  'BackgroundWorkCostChange',
  'PowerStateChange',
  'DefaultSignInAccountChange',
);
export type SystemTriggerType = ValueOf<typeof SystemTriggerType>;

export const CustomSystemEventTriggerRecurrence = values('Once', 'Always');
export type CustomSystemEventTriggerRecurrence = ValueOf<typeof CustomSystemEventTriggerRecurrence>;

export const BackgroundTaskThrottleCounter = values('All', 'Cpu', 'Network');
export type BackgroundTaskThrottleCounter = ValueOf<typeof BackgroundTaskThrottleCounter>;

export const BackgroundWorkCostValue = values('Low', 'Medium', 'High');
export type BackgroundWorkCostValue = ValueOf<typeof BackgroundWorkCostValue>;

export const EnergyUseLevel = values('UnderHalf', 'OverHalf', 'OverBudget');
export type EnergyUseLevel = ValueOf<typeof EnergyUseLevel>;

/** How a task is hosted: in the runtime's own thread, or isolated in a worker thread. */
export const TaskIsolation = values('inprocess', 'worker');
export type TaskIsolation = ValueOf<typeof TaskIsolation>;

/** How a run ended, as recorded in the store and carried by the completed event. */
export const RunOutcome = values('succeeded', 'failed', 'canceled');
export type RunOutcome = ValueOf<typeof RunOutcome>;

/** The seed's ActivityType: what an activity sensor reports. */
export const ActivityType = values('Unknown', 'Idle', 'Stationary', 'Fidgeting', 'Walking', 'Running', 'InVehicle', 'Biking');
export type ActivityType = ValueOf<typeof ActivityType>;
