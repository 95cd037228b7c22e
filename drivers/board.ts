/**
 * The board: the driver instances a configuration asks for, real or simulated. This is the one
 * place that knows concrete bindings; the runtime receives them by their interfaces.
 */
import type { Clock } from '../runtime/clock.js';
import type { DeviceConfig } from '../runtime/config.js';
import { ConfigError, DriverError } from '../runtime/errors.js';
import { LinuxSystem } from './system/linux.js';
import { SimSystem, type SimStep } from './system/sim.js';
import type { SystemDriver } from './system/system.js';

export interface Board {
  system: SystemDriver;
}

export function createBoard(config: DeviceConfig, options: { sim?: boolean; clock?: Clock } = {}): Board {
  const cfg = config.drivers.system;
  const simulated = options.sim === true || cfg.binding === 'sim';
  if (!simulated) {
    return {
      system: new LinuxSystem({ pollMs: cfg.pollMs, ...(cfg.probe ? { probe: cfg.probe } : {}), ...(options.clock ? { clock: options.clock } : {}) }),
    };
  }
  try {
    return {
      system: new SimSystem({
        pollMs: cfg.pollMs,
        timeline: (config.sim?.timeline ?? []) as unknown as SimStep[],
        ...(config.sim?.repeatSec !== undefined ? { repeatSec: config.sim.repeatSec } : {}),
        ...(options.clock ? { clock: options.clock } : {}),
      }),
    };
  } catch (err) {
    if (err instanceof DriverError) throw new ConfigError(`config ${config.file}: sim.timeline: ${err.message}`, { path: 'sim.timeline', cause: err });
    throw err;
  }
}
