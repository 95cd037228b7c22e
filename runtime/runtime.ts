/**
 * The runtime: wires the store, the broker and the core's triggers, the registry, the hosts,
 * the dispatcher, the bundles and the drivers, and takes them down again in order. Drivers
 * arrive already constructed (by drivers/board.ts): the runtime knows them by their interfaces.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { GpioDriver } from '../drivers/gpio/gpio.js';
import type { ModemDriver } from '../drivers/modem/modem.js';
import type { BleCentral, BlePeripheral } from '../drivers/ble/ble.js';
import type { SensorHub } from '../drivers/i2c/hub.js';
import type { SystemDriver } from '../drivers/system/system.js';
import { AccessManager } from './access.js';
import { Broker, type TriggerDefinition } from './broker.js';
import { BundleManager } from './bundles.js';
import { Capabilities } from './capabilities.js';
import { systemClock, type Clock } from './clock.js';
import type { DeviceConfig } from './config.js';
import { bindContext, type RuntimeContext } from './context.js';
import { DeviceState } from './device-state.js';
import { Dispatcher } from './dispatcher.js';
import type { Unsubscribe } from './emitter.js';
import type { ApplicationTriggerResult } from './enums.js';
import { errorMessage, VigilError } from './errors.js';
import { InProcessHost } from './host/inprocess-host.js';
import { WorkerHost } from './host/worker-host.js';
import { WorkerPool } from './host/worker-pool.js';
import { ControlServer } from './control-server.js';
import { handleControl } from './control-methods.js';
import { createLogger, type Logger } from './logger.js';
import { statePaths } from './paths.js';
import { DevicePolicy } from './policy.js';
import type { BackgroundActivatedEventArgs } from './registration.js';
import { TaskRegistry } from './registry.js';
import { buildStatus, type StatusReport } from './status.js';
import { Store } from './store.js';
import type { ApplicationTriggerData } from './trigger.js';
import { applicationTrigger } from './triggers/application.js';
import { customEventKey, customSystemEventTrigger, EVENT_ID } from './triggers/custom-event.js';
import { systemTriggerDefinition } from './triggers/system.js';
import { maintenanceTrigger, timeTrigger } from './triggers/time.js';
import { connectSystem } from './system-source.js';
import { connectGpio, defineGpio } from './gpio-source.js';
import { connectSensors, defineSensors, hubFeed, logReadings } from './sensor-source.js';
import { BleSource } from './ble-source.js';
import { defineNetworkTriggers, NetworkMonitor } from './network-source.js';
import { WifiSource } from './wifi-source.js';
import type { WifiDriver } from '../drivers/wifi/wifi.js';
import type { SensorFeed } from './triggers/sensor-threshold.js';
import { ModemSource, pinProvider } from './modem-source.js';
import { WorkCostMonitor } from './work-cost.js';

export interface RuntimeOptions {
  config: DeviceConfig;
  drivers: {
    system: SystemDriver;
    gpio?: GpioDriver | undefined;
    sensors?: SensorHub | undefined;
    modem?: ModemDriver | undefined;
    ble?: { central?: BleCentral | undefined; peripheral?: BlePeripheral | undefined } | undefined;
    wifi?: WifiDriver | undefined;
  };
  /** Where network interfaces' byte counters are read (/sys/class/net; the simulated board has its own). */
  netStatsDir?: string;
  clock?: Clock;
  /** The readable console view (`vigil run` in a terminal); absent: the JSON log file only. */
  console?: { out: NodeJS.WritableStream; color: boolean };
  /** Write log lines synchronously (tests that read the log right after an event). */
  logSync?: boolean;
  /** Extra trigger definitions (drivers of later families, tests). */
  triggers?: TriggerDefinition[];
  /**
   * Serve the control socket in the state directory. It is opened first: it is also the lock
   * that keeps a second runtime off the same state.
   */
  control?: boolean;
  /** Control methods beyond the core's, served by the same socket (`vigil run` adds a deploy's upload). */
  controlMethods?: Record<string, (runtime: Runtime, params: Record<string, unknown>) => unknown>;
}

export interface TriggerOutcome {
  result: ApplicationTriggerResult;
  tasks: { taskId: string; name: string; bundle: string; result: ApplicationTriggerResult }[];
}

export class Runtime {
  readonly config: DeviceConfig;
  readonly clock: Clock;
  readonly log: Logger;
  readonly store: Store;
  readonly state = new DeviceState();
  readonly broker: Broker;
  readonly registry: TaskRegistry;
  readonly access: AccessManager;
  readonly capabilities = new Capabilities();
  readonly dispatcher: Dispatcher;
  readonly bundles: BundleManager;
  readonly workCost: WorkCostMonitor;
  readonly pool: WorkerPool;
  readonly system: SystemDriver;
  readonly gpio: GpioDriver | undefined;
  readonly sensors: SensorHub | undefined;
  readonly modem: ModemSource | undefined;
  readonly ble: BleSource | undefined;
  readonly wifi: WifiSource | undefined;
  /** Network state from the system and Wi-Fi drivers; absent while the system driver has not opened. */
  network: NetworkMonitor | undefined;
  /** Drivers that failed to open, with why (status shows them). */
  readonly driverErrors = new Map<string, string>();
  #activity: ReturnType<typeof defineGpio>['activity'] | undefined;
  readonly startedAt: number;
  readyMs = 0;
  /** The single-process model's app-level handler, for entry-point-less tasks outside any group. */
  onBackgroundActivated: ((args: BackgroundActivatedEventArgs) => unknown) | undefined;
  #policy: DevicePolicy;
  #closeLogger: () => Promise<void>;
  #inprocess = new InProcessHost();
  #worker: WorkerHost;
  #offs: Unsubscribe[] = [];
  #stopping: Promise<void> | undefined;
  #control: ControlServer | undefined;

  private constructor(options: RuntimeOptions, store: Store, logger: { logger: Logger; close(): Promise<void> }, startedAt: number) {
    const { config } = options;
    this.config = config;
    this.clock = options.clock ?? systemClock;
    this.startedAt = startedAt;
    this.store = store;
    this.log = logger.logger;
    this.#closeLogger = logger.close;
    this.system = options.drivers.system;
    this.gpio = options.drivers.gpio;
    this.sensors = options.drivers.sensors;
    this.#policy = new DevicePolicy(config.policy);
    this.workCost = new WorkCostMonitor({ thresholds: mergeThresholds(config.workCost), clock: this.clock });
    this.broker = new Broker({ clock: this.clock, state: this.state, activate: (taskId, details) => this.dispatcher.activate(taskId, details) });
    for (const def of [timeTrigger, maintenanceTrigger, applicationTrigger, customSystemEventTrigger, systemTriggerDefinition('ServicingComplete'), ...(options.triggers ?? [])]) {
      this.broker.define(def);
    }
    // Driver triggers exist from the config, before the hardware opens: registrations arm even
    // if a line or sensor then fails, and fire once it works.
    if (this.gpio) {
      const { offs, activity } = defineGpio(this.gpio, config.drivers.gpio?.lines ?? {}, { broker: this.broker, state: this.state, capabilities: this.capabilities, log: this.log });
      this.#offs.push(...offs);
      this.#activity = activity;
    }
    const bleCfg = config.drivers.ble;
    const bleDrivers = options.drivers.ble;
    if (bleCfg && bleDrivers && (bleDrivers.central || bleDrivers.peripheral)) {
      this.ble = BleSource.fromConfig(bleCfg, config.device.name, bleDrivers, { broker: this.broker, capabilities: this.capabilities, log: this.log, clock: this.clock });
    }
    this.#offs.push(defineNetworkTriggers(this.broker));
    const wifiCfg = config.drivers.wifi;
    if (wifiCfg && options.drivers.wifi) {
      this.wifi = new WifiSource(wifiCfg, options.drivers.wifi, { broker: this.broker, capabilities: this.capabilities, log: this.log, clock: this.clock, configFile: config.file, networkChanged: () => this.network?.update() });
    }
    const feeds: SensorFeed[] = [...(this.sensors ? [hubFeed(this.sensors)] : []), ...(this.ble && this.ble.sensors.size > 0 ? [this.ble.sensors] : [])];
    if (feeds.length > 0) this.#offs.push(defineSensors(feeds, this.broker));
    const modemCfg = config.drivers.modem;
    if (options.drivers.modem && modemCfg) {
      this.modem = new ModemSource(options.drivers.modem, modemCfg, {
        broker: this.broker,
        capabilities: this.capabilities,
        log: this.log,
        clock: this.clock,
        stateDir: config.stateDir,
        policy: () => this.#policy,
        queued: (taskId, id) => (this.store.data.triggerState[taskId]?.pending ?? []).some((p) => (p.details as { messageId?: unknown } | null)?.messageId === id),
        netStatsDir: options.netStatsDir ?? '/sys/class/net',
      });
    }
    this.access = new AccessManager(store, this.#policy, () => this.clock.now());
    this.pool = new WorkerPool({
      warm: config.policy.pool.warm,
      maxWorkers: config.policy.pool.maxWorkers,
      heapCapMb: config.policy.memory.maxMb,
      keepWarmMs: Math.round(config.policy.pool.keepWarmSec * 1000),
      onError: (err) => this.log.error({ err: errorMessage(err) }, `task worker failed to start: ${errorMessage(err)}`),
    });
    this.#worker = new WorkerHost({ pool: this.pool, heapCapMb: config.policy.memory.maxMb });
    this.registry = new TaskRegistry({
      store,
      broker: this.broker,
      access: this.access,
      policy: () => this.#policy,
      now: () => this.clock.now(),
      checkEntryPoint: (entry, field) => this.bundles.checkEntryPoint(entry, field),
      onUnregister: (taskId, cancelTask) => {
        this.dispatcher.dropPending(taskId);
        if (cancelTask) void this.dispatcher.cancelWhere((r) => r.taskId === taskId, 'Abort', 'its registration was removed');
      },
    });
    this.dispatcher = new Dispatcher({
      clock: this.clock,
      store,
      registry: this.registry,
      broker: this.broker,
      state: this.state,
      access: this.access,
      policy: () => this.#policy,
      inprocess: this.#inprocess,
      worker: this.#worker,
      capabilities: this.capabilities,
      log: this.log,
      moduleUrl: (entry) => this.bundles.moduleUrl(entry),
      activationHandler: (record) => {
        const handler = record.taskGroup !== undefined ? this.registry.group(record.taskGroup)?.activationHandler : this.onBackgroundActivated;
        return handler ? (taskInstance) => handler({ taskInstance }) : undefined;
      },
    });
    this.bundles = new BundleManager({
      dir: config.bundlesDir,
      registry: this.registry,
      access: this.access,
      dispatcher: this.dispatcher,
      inprocess: this.#inprocess,
      port: this.broker.port,
      log: this.log,
      graceMs: () => this.#policy.config.cancelGraceMs,
    });
    this.access.onRevoked = (bundle, status) => {
      void this.dispatcher.cancelWhere((r) => r.entryPoint.bundle === bundle, 'SystemPolicy', `device policy revoked the access of bundle ${bundle} (${status})`);
    };
    this.access.onRemoved = (bundle) => {
      for (const record of this.registry.byBundle(bundle)) this.registry.unregister(record.taskId, true);
    };
    this.capabilities.define('events.emit', {
      target: (args) => (typeof args[0] === 'string' ? args[0] : undefined),
      invoke: (args, caller) => this.emit(String(args[0]), asDetails(args[1]), `task ${caller.bundle}/${caller.name}`),
    });
    this.capabilities.define('tasks.trigger', {
      target: (args) => (typeof args[0] === 'string' ? args[0] : undefined),
      invoke: (args) => this.trigger(String(args[0]), asArguments(args[1])).result,
    });
  }

  static async start(options: RuntimeOptions): Promise<Runtime> {
    const startedAt = Date.now();
    const t0 = performance.now();
    const { config } = options;
    const paths = statePaths(config.stateDir);
    mkdirSync(dirname(paths.logFile), { recursive: true, mode: 0o700 });
    let runtime: Runtime | undefined;
    const control = options.control
      ? await ControlServer.listen(paths.socket, (method, params) => {
          if (!runtime) throw new VigilError('STARTING', 'the runtime is still starting: try again in a moment');
          const extra = options.controlMethods?.[method];
          return extra ? extra(runtime, params) : handleControl(runtime, method, params);
        })
      : undefined;
    const logger = createLogger({
      level: config.logging.level,
      file: { path: paths.logFile, maxBytes: Math.round(config.logging.maxFileMb * 1024 * 1024), files: config.logging.files },
      ...(options.console ? { console: options.console } : {}),
      ...(options.logSync ? { sync: true } : {}),
    });
    const log = logger.logger;
    log.info({ evt: 'runtime', phase: 'starting', pid: process.pid, config: config.file }, 'vigil starting');
    let store: Store;
    try {
      store = await Store.open({
        dir: config.stateDir,
        ...(options.clock ? { clock: options.clock } : {}),
        onRecovered: (info) => log.warn({ evt: 'store', action: 'recovered', reason: info.reason, from: info.from, keptAs: info.keptAs }, `store recovered: ${info.reason}`),
        onWriteError: (err) => log.error({ evt: 'store', err: { code: err.code, message: err.message } }, err.message),
      });
    } catch (err) {
      log.fatal({ evt: 'runtime', phase: 'stopped', err: { code: (err as VigilError).code, message: errorMessage(err) } }, errorMessage(err));
      await Promise.all([logger.close(), control?.close()]);
      throw err;
    }
    runtime = new Runtime(options, store, logger, startedAt);
    runtime.#control = control;
    await runtime.#open();
    runtime.readyMs = Math.round(performance.now() - t0);
    log.info({ evt: 'runtime', phase: 'ready', ms: runtime.readyMs, bundles: runtime.bundles.loaded.size, tasks: runtime.registry.records().length }, 'vigil ready');
    return runtime;
  }

  async #open(): Promise<void> {
    const { log } = this;
    try {
      await this.system.open();
      log.info({ evt: 'driver', driver: 'system', binding: this.system.binding, state: 'open' }, `system driver open (${this.system.binding})`);
      const wifi = this.wifi?.driver;
      this.network = new NetworkMonitor({ broker: this.broker, state: this.state, log, system: () => this.system.network(), wifi: () => (wifi ? wifi.state() : undefined) });
      this.#offs.push(connectSystem(this.system, { broker: this.broker, state: this.state, workCost: this.workCost, log, network: this.network }));
    } catch (err) {
      // The runtime runs on without readings: conditions keep their defaults, triggers from
      // the system family never fire, and `vigil status` shows the driver as failed.
      this.driverErrors.set(this.system.name, errorMessage(err));
      log.error({ evt: 'driver', driver: 'system', binding: this.system.binding, state: 'failed', err: { code: (err as VigilError).code ?? 'DRIVER_FAILED', message: errorMessage(err) } }, errorMessage(err));
    }
    if (this.gpio) {
      const gpio = this.gpio;
      try {
        await gpio.open();
        log.info({ evt: 'driver', driver: 'gpio', binding: gpio.binding, state: 'open', lines: gpio.lines().length }, `gpio driver open (${gpio.binding}, ${gpio.lines().length} lines)`);
        this.#offs.push(connectGpio(gpio, this.config.drivers.gpio?.lines ?? {}, { broker: this.broker, state: this.state, capabilities: this.capabilities, log }, this.#activity!));
      } catch (err) {
        this.driverErrors.set('gpio', errorMessage(err));
        log.error({ evt: 'driver', driver: 'gpio', binding: gpio.binding, state: 'failed', err: { code: (err as VigilError).code ?? 'DRIVER_FAILED', message: errorMessage(err) } }, errorMessage(err));
      }
    }
    if (this.sensors) {
      this.#offs.push(connectSensors(this.sensors, this.config.drivers.i2c?.sensors ?? {}, log));
      this.sensors.start();
      log.info({ evt: 'driver', driver: 'i2c', binding: this.sensors.bus.name, state: 'open', sensors: this.sensors.names() }, `i2c sensors polling on ${this.sensors.bus.name}: ${this.sensors.names().join(', ')}`);
    }
    await this.bundles.load();
    // A bundle rejected at start keeps its registrations (ids, trigger state) for when it is
    // fixed, but they are not armed: there is no code to run.
    for (const bundle of this.bundles.rejected.keys()) {
      if (this.registry.byBundle(bundle).length > 0) {
        log.warn({ bundle }, `bundle ${bundle} was rejected: its registrations are kept but not armed until it is fixed`);
      }
    }
    // Bundle registrations were armed as their bundles loaded; those made through the API remain.
    this.registry.armAll((record) => record.source === 'api', (record, err) =>
      log.error({ task: record.name, err: errorMessage(err) }, `registration ${record.name} cannot be armed: ${errorMessage(err)}`),
    );
    this.dispatcher.resumePending();
    if (this.modem) {
      const modem = this.modem;
      this.#offs.push(this.dispatcher.events.on('finished', (e) => modem.finished(e.taskId, e.details, e.result.outcome === 'succeeded')));
      modem.modem.pinProvider = pinProvider(this.config.drivers.modem!, log);
      // Opening waits for the first attempt only; a missing modem is retried in the background.
      await modem.connect().catch((err: unknown) => {
        this.driverErrors.set('modem', errorMessage(err));
        log.error({ evt: 'driver', driver: 'modem', state: 'failed', err: { code: (err as VigilError).code ?? 'DRIVER_FAILED', message: errorMessage(err) } }, errorMessage(err));
      });
    }
    if (this.ble) {
      const ble = this.ble;
      this.#offs.push(
        this.dispatcher.events.on('finished', (e) => ble.finished(e.taskId, e.details, e.result.outcome === 'succeeded')),
        logReadings((listener) => ble.sensors.events.on('reading', listener), (sensor) => this.config.drivers.ble?.sensors[sensor]?.logEverySec ?? 10, log),
      );
      await ble.connect();
    }
    if (this.wifi) {
      const wifi = this.wifi;
      this.#offs.push(this.dispatcher.events.on('finished', (e) => wifi.finished(e.taskId, e.details)));
      await wifi.connect();
    }
    this.pool.warmUp();
    this.bundles.watch();
    this.#offs.push(bindContext(this.context));
  }

  get context(): RuntimeContext {
    return { registry: this.registry, access: this.access };
  }

  get policy(): DevicePolicy {
    return this.#policy;
  }

  /** A new device policy (config reloaded): access re-decided, revoked bundles' tasks cancelled. */
  setPolicy(policy: DevicePolicy): void {
    this.#policy = policy;
    this.access.setPolicy(policy);
    // A trigger type the policy no longer allows: its running task is cancelled too.
    void this.dispatcher.cancelWhere((r) => !policy.triggerAllowed(r.entryPoint.bundle, r.trigger), 'SystemPolicy', 'device policy no longer allows its trigger');
  }

  /** Fire the ApplicationTriggers named `name` (`vigil trigger NAME --arg k=v`). */
  trigger(name: string, args: Record<string, string> = {}): TriggerOutcome {
    const records = this.registry.records().filter((r) => r.trigger.type === 'ApplicationTrigger' && (r.trigger as ApplicationTriggerData).name === name);
    if (records.length === 0) {
      const known = this.registry.records().filter((r) => r.trigger.type === 'ApplicationTrigger').map((r) => (r.trigger as ApplicationTriggerData).name);
      throw new VigilError('TRIGGER_NOT_FOUND', `no ApplicationTrigger named "${name}" is registered${known.length ? ` (registered: ${[...new Set(known)].join(', ')})` : ''}`);
    }
    const tasks = records.map((record) => {
      let result: ApplicationTriggerResult;
      if (!this.access.allowed(record.entryPoint.bundle) || !this.#policy.triggerAllowed(record.entryPoint.bundle, record.trigger)) result = 'DisabledByPolicy';
      else if (this.dispatcher.isRunning(record.taskId)) result = 'CurrentlyRunning';
      else {
        const outcome = this.dispatcher.activate(record.taskId, { arguments: args });
        result = outcome === 'started' || outcome === 'held' || outcome === 'queued' ? 'Allowed' : outcome === 'denied' ? 'DisabledByPolicy' : 'UnknownError';
      }
      return { taskId: record.taskId, name: record.name, bundle: record.entryPoint.bundle, result };
    });
    const results = new Set(tasks.map((t) => t.result));
    const result: ApplicationTriggerResult = results.has('Allowed') ? 'Allowed' : results.has('CurrentlyRunning') ? 'CurrentlyRunning' : results.has('DisabledByPolicy') ? 'DisabledByPolicy' : 'UnknownError';
    return { result, tasks };
  }

  /** Raise a named device event (`vigil emit ID`); returns how many registrations it reached. */
  emit(id: string, details: Record<string, unknown> = {}, source = 'cli'): number {
    if (typeof id !== 'string' || !EVENT_ID.test(id)) {
      throw new VigilError('EVENT_ID_INVALID', `event id ${JSON.stringify(id)} is not valid: expected letters, digits, ".", "_", ":" or "-" (at most 128), such as "door.opened"`);
    }
    this.log.info({ evt: 'event', id, source }, `event ${id}`);
    return this.broker.port.raise(customEventKey(id), { id, source, ...details });
  }

  status(): StatusReport {
    return buildStatus(this);
  }

  get stopping(): boolean {
    return this.#stopping !== undefined;
  }

  /** Stop: Terminating to running tasks, a grace period, the store flushed. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const { log } = this;
    log.info({ evt: 'runtime', phase: 'stopping', running: this.dispatcher.runningCount() }, 'vigil stopping');
    this.dispatcher.stopAccepting();
    await this.bundles.close();
    this.broker.disarmAll();
    for (const off of this.#offs.splice(0).reverse()) off();
    await this.dispatcher.cancelWhere(() => true, 'Terminating', 'the runtime is stopping', this.#policy.config.shutdownGraceMs);
    await Promise.allSettled([this.system.close(), this.gpio?.close(), this.sensors?.close(), this.modem?.close(), this.ble?.close(), this.wifi?.close(), this.#worker.close(), this.#inprocess.close()]);
    try {
      await this.store.close();
    } catch (err) {
      log.error({ evt: 'store', err: { code: (err as VigilError).code, message: errorMessage(err) } }, `the store could not be written at stop: ${errorMessage(err)}`);
    }
    await this.#control?.close();
    log.info({ evt: 'runtime', phase: 'stopped' }, 'vigil stopped');
    await this.#closeLogger();
  }
}

function mergeThresholds(overrides: DeviceConfig['workCost']) {
  return Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as never;
}

function asDetails(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : value === undefined ? {} : { value };
}

function asArguments(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}
