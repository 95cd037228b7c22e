/**
 * Every error vigil raises is a VigilError with a stable `code`, so callers (the CLI, tests, tasks
 * checking a completed run) branch on the code rather than on message text. Messages quote the
 * bad value and say what was expected.
 */
export class VigilError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
  toJSON(): SerializedError {
    return serializeError(this);
  }
}

/** The device configuration is invalid. `path` names the field ("policy.memory.maxMb"). */
export class ConfigError extends VigilError {
  readonly path: string | undefined;
  constructor(message: string, options?: { cause?: unknown; path?: string; code?: string }) {
    super(options?.code ?? 'CONFIG_INVALID', message, options);
    this.path = options?.path;
  }
}

/** A bundle manifest is invalid. `field` names it ("tasks[2].trigger.freshnessTime"). */
export class ManifestError extends VigilError {
  readonly field: string | undefined;
  readonly bundle: string | undefined;
  constructor(message: string, options?: { cause?: unknown; field?: string; bundle?: string; code?: string }) {
    super(options?.code ?? 'MANIFEST_INVALID', message, options);
    this.field = options?.field;
    this.bundle = options?.bundle;
  }
}

/** A registration cannot be made as asked (bad trigger data, under a policy minimum, …). */
export class RegistrationError extends VigilError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The trigger type (or SystemTrigger type) exists in the model but nothing on this device implements it. */
export class UnsupportedTriggerError extends RegistrationError {
  readonly triggerType: string;
  constructor(triggerType: string, message: string) {
    super('TRIGGER_UNSUPPORTED', message);
    this.triggerType = triggerType;
  }
}

/** Device policy does not let this bundle do what it asked. */
export class AccessDeniedError extends VigilError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'ACCESS_DENIED', message, options);
  }
}

/** A task used a device capability its manifest does not declare. */
export class CapabilityError extends VigilError {
  readonly capability: string;
  constructor(capability: string, message: string, code = 'CAPABILITY_DENIED') {
    super(code, message);
    this.capability = capability;
  }
}

/** A driver could not open or talk to its hardware. */
export class DriverError extends VigilError {
  readonly driver: string;
  constructor(driver: string, message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'DRIVER_FAILED', message, options);
    this.driver = driver;
  }
}

/** The persisted store could not be read or written. */
export class StoreError extends VigilError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * Why a task run did not succeed, as `checkResult()` throws it. Codes:
 * TASK_THREW, TASK_REJECTED, UNHANDLED_REJECTION, UNCAUGHT_EXCEPTION, TASK_EXITED,
 * HEAP_EXHAUSTED, TASK_LOAD_FAILED, WORKER_FAILED, TASK_CANCELED.
 */
export class TaskError extends VigilError {
  readonly remote: SerializedError | undefined;
  constructor(code: string, message: string, options?: { cause?: unknown; remote?: SerializedError }) {
    super(code, message, options);
    this.remote = options?.remote;
  }
}

/**
 * A run that was cancelled; `reason` is the BackgroundTaskCancellationReason. The code says more
 * where there is more to say: QUOTA_EXCEEDED, MEMORY_BUDGET_EXCEEDED, HEAP_EXHAUSTED, else
 * TASK_CANCELED.
 */
export class TaskCanceledError extends TaskError {
  readonly reason: string;
  constructor(reason: string, message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'TASK_CANCELED', message, options);
    this.reason = reason;
  }
}

/** The CLI could not do what it was asked (no runtime running, bad argument, …). */
export class CliError extends VigilError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export interface SerializedError {
  name: string;
  code?: string;
  message: string;
  stack?: string;
  [extra: string]: unknown;
}

/** Errors cross worker ports and the control socket as plain data. */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const out: SerializedError = { name: err.name, message: err.message };
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') out.code = code;
    if (err.stack) out.stack = err.stack;
    for (const key of ['reason', 'field', 'path', 'capability', 'triggerType', 'detail'] as const) {
      const value = (err as unknown as Record<string, unknown>)[key];
      if (value !== undefined) out[key] = value;
    }
    return out;
  }
  return { name: 'NonError', message: describeThrown(err) };
}

/** What was thrown, in words, when it was not an Error (`throw "x"`, `throw 42`, `throw {}`). */
export function describeThrown(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return `a non-Error value was thrown: ${JSON.stringify(value) ?? String(value)}`;
  } catch {
    return `a non-Error value was thrown: ${String(value)}`;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : describeThrown(err);
}
