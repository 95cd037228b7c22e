/**
 * The simulated modem as the board builds it: the simulator on the far side of a real
 * pseudo-terminal (socat), opened by the same serialport binding a real modem uses, so the AT
 * engine, the driver and the runtime above it run exactly as on a device. Without socat (a
 * machine where it cannot be installed) the simulator is reached through an in-process pipe,
 * and the runtime says so.
 */
import { spawnSync } from 'node:child_process';
import type { Clock } from '../../runtime/clock.js';
import type { DeviceConfig } from '../../runtime/config.js';
import { DriverError } from '../../runtime/errors.js';
import { AtModem } from './at-modem.js';
import { MemoryPort } from './memory-port.js';
import { SerialModemPort } from './serialport.js';
import { SimModem } from './sim/modem.js';
import { openPtyModem, type PtyModem } from './sim/pty.js';

type ModemConfig = NonNullable<DeviceConfig['drivers']['modem']>;

export interface SimModemBoard {
  driver: AtModem;
  sim: SimModem;
  /** The pseudo-terminal, when the simulator is reached through one. */
  pty?: PtyModem;
}

export function socatAvailable(): boolean {
  return spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
}

export async function createSimModem(cfg: ModemConfig, options: { clock?: Clock; sim?: SimModem } = {}): Promise<SimModemBoard> {
  const sim = options.sim ?? new SimModem({ ...(cfg.sim.pin !== undefined ? { pin: cfg.sim.pin } : {}), ...(options.clock ? { clock: options.clock } : {}) });
  const transport = cfg.sim.transport === 'auto' ? (socatAvailable() ? 'pty' : 'memory') : cfg.sim.transport;
  const common = { storage: cfg.storage, signalPollMs: cfg.signalPollSec * 1000, defaultTimeoutMs: cfg.timeoutMs, ...(options.clock ? { clock: options.clock } : {}) };
  if (transport === 'memory') {
    if (cfg.sim.transport === 'auto') process.emitWarning('socat is not installed: the simulated modem is reached through an in-process pipe instead of a pseudo-terminal (apt-get install socat)');
    const port = new MemoryPort(sim);
    return { sim, driver: new SimBoardModem(port, { binding: 'sim (in-process)', ...common }, undefined) };
  }
  let pty: PtyModem;
  try {
    pty = await openPtyModem(sim, cfg.path !== undefined ? { path: cfg.path } : {});
  } catch (err) {
    throw new DriverError('modem', `simulated modem: ${(err as Error).message}`, { cause: err });
  }
  const port = new SerialModemPort(pty.path, { baudRate: cfg.baudRate });
  return { sim, pty, driver: new SimBoardModem(port, { binding: `sim (pty ${pty.path})`, ...common }, pty) };
}

/** Closing the driver also takes the simulator's pseudo-terminal down. */
class SimBoardModem extends AtModem {
  readonly #pty: PtyModem | undefined;
  constructor(port: ConstructorParameters<typeof AtModem>[0], options: ConstructorParameters<typeof AtModem>[1], pty: PtyModem | undefined) {
    super(port, options);
    this.#pty = pty;
  }
  override async close(): Promise<void> {
    await super.close();
    await this.#pty?.close();
  }
}
