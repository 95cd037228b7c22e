/**
 * What the store holds, by schema version. Everything here is plain JSON: the store is one file
 * a user can read, and a newer vigil migrates it forward by version.
 */
import type {
  BackgroundAccessStatus,
  BackgroundTaskCancellationReason,
  EnergyUseLevel,
  RunOutcome,
  TaskIsolation,
} from './enums.js';
import type { ConditionData, TriggerData } from './trigger.js';

export const STORE_SCHEMA_VERSION = 1;

/** Which code a registration runs: a module of a bundle and the export in it. */
export interface TaskEntryPoint {
  bundle: string;
  /** Path of the module inside the bundle directory ("index.js"). */
  module: string;
  /** Export name; "default" for the default export. */
  export: string;
}

export interface RegistrationRecord {
  taskId: string;
  name: string;
  entryPoint: TaskEntryPoint;
  trigger: TriggerData;
  conditions: ConditionData[];
  cancelOnConditionLoss: boolean;
  isNetworkRequested: boolean;
  /** Group id, when the task belongs to a BackgroundTaskRegistrationGroup. */
  taskGroup?: string;
  isolation: TaskIsolation;
  /** Memory budget asked for (isolated tasks); policy caps it. */
  memoryMb?: number;
  /** Wall-clock quota asked for; policy caps it. */
  timeoutSec?: number;
  /** Device capabilities the task may use ("events.emit:door.opened"). */
  capabilities: string[];
  /** Registered from a bundle manifest (replaced when the bundle is) or through the API. */
  source: 'manifest' | 'api';
  bundleVersion?: string;
  registeredAt: number;
}

export interface GroupRecord {
  id: string;
  name: string;
}

/** An activation waiting for its conditions (or for the running instance to finish). */
export interface PendingActivation {
  /** When the trigger fired. */
  at: number;
  details: unknown;
  /** Times policy held it back so far. */
  suspended: number;
}

export interface TriggerStateRecord {
  /** Next due time for time-based triggers (ms since the epoch). */
  dueAt?: number;
  /** A one-shot trigger that has fired (or a Once custom event): never fires again. */
  done?: boolean;
  lastFiredAt?: number;
  fireCount?: number;
  pending?: PendingActivation[];
  /** SensorDataThresholdTrigger: the values last reported (movement is measured from them). */
  baseline?: Record<string, number>;
  /** SensorDataThresholdTrigger level crossing: false after firing, until the re-arm level. */
  armed?: boolean;
}

export interface ThrottleRecord {
  Cpu: number;
  Network: number;
}

export interface RunRecord {
  instanceId: string;
  trigger: string;
  startedAt: number;
  endedAt: number;
  durationMs: number;
  outcome: RunOutcome;
  reason?: BackgroundTaskCancellationReason;
  error?: { code: string; message: string };
  progress: number;
  host: TaskIsolation;
  memoryPeakBytes?: number;
  budgetBytes?: number;
  energy?: EnergyUseLevel;
}

export interface AccessRecord {
  status: BackgroundAccessStatus;
  at: number;
}

export interface StoreData {
  schemaVersion: number;
  registrations: Record<string, RegistrationRecord>;
  groups: Record<string, GroupRecord>;
  triggerState: Record<string, TriggerStateRecord>;
  throttle: Record<string, ThrottleRecord>;
  /** The last runs of each task (newest last), capped per task. */
  runs: Record<string, RunRecord[]>;
  /** BackgroundExecutionManager decisions, by bundle. */
  access: Record<string, AccessRecord>;
}

export function emptyStore(): StoreData {
  return {
    schemaVersion: STORE_SCHEMA_VERSION,
    registrations: {},
    groups: {},
    triggerState: {},
    throttle: {},
    runs: {},
    access: {},
  };
}
