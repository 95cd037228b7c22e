/**
 * A runtime in a temporary directory, on the simulated board, with bundles written from
 * strings: the real runtime code, the real worker threads, the real store on disk.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createBoard, followWifiLink, type Board } from '../../drivers/board.js';
import type { SimModem } from '../../drivers/modem/sim/modem.js';
import type { SimGpio } from '../../drivers/gpio/sim.js';
import type { SimI2cBus } from '../../drivers/i2c/sim/bus.js';
import { SimSystem } from '../../drivers/system/sim.js';
import type { Clock } from '../../runtime/clock.js';
import { parseConfig, type DeviceConfig } from '../../runtime/config.js';
import type { DispatcherEvents } from '../../runtime/dispatcher.js';
import type { TriggerDefinition } from '../../runtime/broker.js';
import { Runtime } from '../../runtime/runtime.js';

export function tempDir(prefix = 'vigil-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface BundleSpec {
  name: string;
  version?: string;
  tasks: Record<string, unknown>[];
  files: Record<string, string>;
}

export function writeBundle(bundlesDir: string, spec: BundleSpec): string {
  const dir = join(bundlesDir, spec.name);
  mkdirSync(dir, { recursive: true });
  // Bundles say they are ES modules, as `vigil bundle` makes them; the tests' TypeScript loader
  // would otherwise compile a bare .js file as CommonJS.
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  for (const [file, text] of Object.entries(spec.files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ name: spec.name, version: spec.version ?? '1.0.0', tasks: spec.tasks }, null, 2));
  return dir;
}

export interface Harness {
  root: string;
  bundlesDir: string;
  stateDir: string;
  config: DeviceConfig;
  system: SimSystem;
  runtime: Runtime;
  /** The simulated GPIO lines and I2C bus, when the config declares them. */
  gpio: SimGpio | undefined;
  bus: SimI2cBus | undefined;
  /** The simulated modem (its SIM outlives a restart). */
  modem: SimModem | undefined;
  board: Board;
  /** Stop and start again on the same directories (a restart of the device). */
  restart(options?: { clock?: Clock; system?: SimSystem }): Promise<Runtime>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  bundles?: BundleSpec[];
  policy?: Record<string, unknown>;
  clock?: Clock;
  config?: Record<string, unknown>;
  system?: SimSystem;
  root?: string;
  /** Trigger types a driver would add. */
  triggers?: TriggerDefinition[];
}

export function makeConfig(root: string, options: HarnessOptions = {}): DeviceConfig {
  return parseConfig(
    {
      stateDir: 'state',
      bundlesDir: 'bundles',
      policy: { cancelGraceMs: 200, shutdownGraceMs: 500, pool: { warm: 1, maxWorkers: 4 }, ...options.policy },
      logging: { level: 'debug' },
      ...options.config,
      drivers: { system: { binding: 'sim', pollMs: 1000 }, ...(options.config?.drivers as object | undefined) },
    },
    join(root, 'config.json'),
  );
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const root = options.root ?? tempDir();
  const config = makeConfig(root, options);
  mkdirSync(config.bundlesDir, { recursive: true });
  for (const bundle of options.bundles ?? []) writeBundle(config.bundlesDir, bundle);
  let system = options.system ?? new SimSystem(options.clock ? { clock: options.clock } : {});
  const extra = options.triggers ? { triggers: options.triggers } : {};
  let board = await createBoard(config, { sim: true });
  const drivers = () => {
    // The board's default route follows its simulated Wi-Fi; here the harness's system carries the route.
    if (board.wifi && board.sim?.nm) followWifiLink(board.wifi, system);
    return { system, gpio: board.gpio, sensors: board.sensors, modem: board.modem, ble: board.ble, wifi: board.wifi };
  };
  const net = () => (board.netStatsDir ? { netStatsDir: board.netStatsDir } : {});
  let runtime = await Runtime.start({ config, drivers: drivers(), ...net(), logSync: true, ...extra, ...(options.clock ? { clock: options.clock } : {}) });
  const h: Harness = {
    root,
    bundlesDir: config.bundlesDir,
    stateDir: config.stateDir,
    config,
    get system() {
      return system;
    },
    get runtime() {
      return runtime;
    },
    get gpio() {
      return board.sim?.gpio;
    },
    get bus() {
      return board.sim?.bus;
    },
    get modem() {
      return board.sim?.modem;
    },
    get board() {
      return board;
    },
    async restart(next = {}) {
      await runtime.stop();
      system = next.system ?? new SimSystem(next.clock ? { clock: next.clock } : {});
      board = await createBoard(config, { sim: true, ...(board.sim?.modem ? { simModem: board.sim.modem } : {}) });
      runtime = await Runtime.start({ config, drivers: drivers(), ...net(), logSync: true, ...extra, ...(next.clock ? { clock: next.clock } : {}) });
      return runtime;
    },
    async close() {
      await runtime.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
  return h;
}

/** The next dispatcher event of a kind that satisfies `pick`, or a rejection after `ms`. */
export function next<K extends keyof DispatcherEvents>(
  runtime: Runtime,
  kind: K,
  pick: (...args: DispatcherEvents[K]) => boolean = () => true,
  ms = 10_000,
): Promise<DispatcherEvents[K][0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no "${String(kind)}" event within ${ms} ms`));
    }, ms);
    const off = runtime.dispatcher.events.on(kind, ((...args: DispatcherEvents[K]) => {
      if (!pick(...args)) return;
      clearTimeout(timer);
      off();
      resolve(args[0]);
    }) as never);
  });
}

/** The next run of the named task to finish. */
export function finished(runtime: Runtime, taskName: string, ms?: number) {
  return next(runtime, 'finished', (e) => e.name === taskName, ms).then((e) => e.result);
}

export function taskId(runtime: Runtime, name: string): string {
  const record = runtime.registry.records().find((r) => r.name === name);
  if (!record) throw new Error(`no registration named ${name}`);
  return record.taskId;
}

/** Let pending I/O callbacks and microtasks run. */
export function tick(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
