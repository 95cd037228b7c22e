/**
 * The board: the driver instances a configuration asks for, real or simulated. This is the one
 * place that knows concrete bindings; the runtime receives them by their interfaces. Bindings
 * are imported only when asked for: a simulated board never loads the real ones, and a real
 * binding's library is loaded only on a device that uses it.
 */
import type { Clock } from '../runtime/clock.js';
import type { DeviceConfig } from '../runtime/config.js';
import { ConfigError, DriverError } from '../runtime/errors.js';
import type { SimStep } from './system/sim.js';
import type { SystemDriver } from './system/system.js';

export interface Board {
  system: SystemDriver;
}

export async function createBoard(config: DeviceConfig, options: { sim?: boolean; clock?: Clock } = {}): Promise<Board> {
  const cfg = config.drivers.system;
  const clock = options.clock ? { clock: options.clock } : {};
  if (!(options.sim === true || cfg.binding === 'sim')) {
    const { LinuxSystem } = await import('./system/linux.js');
    return { system: new LinuxSystem({ pollMs: cfg.pollMs, ...(cfg.probe ? { probe: cfg.probe } : {}), ...clock }) };
  }
  const { SimSystem } = await import('./system/sim.js');
  try {
    return {
      system: new SimSystem({
        pollMs: cfg.pollMs,
        timeline: (config.sim?.timeline ?? []) as unknown as SimStep[],
        ...(config.sim?.repeatSec !== undefined ? { repeatSec: config.sim.repeatSec } : {}),
        ...clock,
      }),
    };
  } catch (err) {
    if (err instanceof DriverError) throw new ConfigError(`config ${config.file}: sim.timeline: ${err.message}`, { path: 'sim.timeline', cause: err });
    throw err;
  }
}
