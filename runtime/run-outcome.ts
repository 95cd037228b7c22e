/** How a finished run is told: the completion log line, the run record kept in the store, the completed event. */
import { completedArgs, type BackgroundTaskCompletedEventArgs } from './registration.js';
import type { RunResult } from './run-supervisor.js';
import type { RegistrationRecord, RunRecord } from './store-types.js';
import { describeTrigger } from './trigger.js';

const MB = 1024 * 1024;

export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** The `evt: "complete"` log record's fields. */
export function completionFields(record: RegistrationRecord, result: RunResult): Record<string, unknown> {
  const err = result.error;
  return {
    evt: 'complete',
    task: record.name,
    iid: result.instanceId,
    outcome: result.outcome,
    ms: result.durationMs,
    ...(result.reason ? { reason: result.reason } : {}),
    ...(err ? { err: { code: err.code, message: err.message } } : {}),
    ...(result.peakBytes !== undefined ? { memPeakMb: round1(result.peakBytes / MB) } : {}),
    ...(result.budgetBytes !== undefined ? { budgetMb: round1(result.budgetBytes / MB) } : {}),
    ...(result.energy ? { energy: result.energy } : {}),
  };
}

export function runRecord(record: RegistrationRecord, result: RunResult): RunRecord {
  const run: RunRecord = {
    instanceId: result.instanceId,
    trigger: describeTrigger(record.trigger),
    startedAt: result.startedAt,
    endedAt: result.endedAt,
    durationMs: result.durationMs,
    outcome: result.outcome,
    progress: result.progress,
    host: result.host,
  };
  if (result.reason) run.reason = result.reason;
  if (result.error) run.error = { code: result.error.code, message: result.error.message };
  if (result.peakBytes !== undefined) run.memoryPeakBytes = result.peakBytes;
  if (result.budgetBytes !== undefined) run.budgetBytes = result.budgetBytes;
  if (result.energy) run.energy = result.energy;
  return run;
}

export function completedEvent(result: RunResult): BackgroundTaskCompletedEventArgs {
  return completedArgs(
    {
      instanceId: result.instanceId,
      outcome: result.outcome,
      durationMs: result.durationMs,
      ...(result.reason ? { reason: result.reason } : {}),
      ...(result.peakBytes !== undefined ? { peakBytes: result.peakBytes } : {}),
      ...(result.budgetBytes !== undefined ? { budgetBytes: result.budgetBytes } : {}),
      ...(result.energy ? { energy: result.energy } : {}),
    },
    result.error,
  );
}
