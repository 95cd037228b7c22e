/**
 * Errors the simulator raises for its own controls and set-up: DriverErrors of the modem family
 * with a code saying which kind, like the other simulated drivers' SIM_BAD_VALUE.
 */
import { DriverError } from '../../../runtime/errors.js';

export type SimErrorCode = 'SIM_BAD_VALUE' | 'SIM_BAD_STATE' | 'SIM_BAD_TRANSCRIPT' | 'SOCAT_MISSING' | 'PTY_FAILED';

export function simError(message: string, code: SimErrorCode = 'SIM_BAD_VALUE', cause?: unknown): DriverError {
  return new DriverError('modem', message, cause === undefined ? { code } : { code, cause });
}
