/**
 * vigil's programming interface, for programs that embed the runtime (tests, a custom
 * launcher) rather than run it as `vigil run`. Tasks import only `vigil/task`.
 */
export { BackgroundExecutionManager } from './access.js';
export { BackgroundTaskBuilder, parseEntryPoint } from './builder.js';
export type { TriggerDefinition, SourcePort, ArmedRegistration, TriggerContext } from './broker.js';
export type { CapabilityProvider, CapabilityCaller } from './capabilities.js';
export { FakeClock, systemClock, type Clock } from './clock.js';
export { loadConfig, parseConfig, resolveConfigPath, type DeviceConfig } from './config.js';
export type { DeviceStateValues } from './device-state.js';
export * from './enums.js';
export * from './errors.js';
export {
  BackgroundTaskRegistration,
  BackgroundTaskRegistrationGroup,
  type BackgroundActivatedEventArgs,
  type BackgroundTaskCompletedEventArgs,
  type BackgroundTaskProgressEventArgs,
} from './registration.js';
export { Runtime, type RuntimeOptions, type TriggerOutcome } from './runtime.js';
export type { StatusReport, TaskStatus } from './status.js';
export type * from './task-api.js';
export type * from './trigger.js';
export { EVENT_ID, describeTrigger } from './trigger.js';
