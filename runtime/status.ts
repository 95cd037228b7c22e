/** What `vigil status` shows: registrations with their state and last run, the work cost, drivers, bundles. */
import type { LineInfo } from '../drivers/gpio/gpio.js';
import type { SensorInfo } from '../drivers/i2c/hub.js';
import type { SystemReadings } from '../drivers/system/system.js';
import type { ModemSource } from './modem-source.js';
import type { BleStatus } from './ble-source.js';
import type { NetworkView } from './network-source.js';
import type { WifiStatus } from './wifi-source.js';
import type { DeviceStateValues } from './device-state.js';
import type { BackgroundWorkCostValue } from './enums.js';
import type { RejectedBundle } from './bundles.js';
import type { Runtime } from './runtime.js';
import type { RunRecord, ThrottleRecord } from './store-types.js';
import { describeTrigger } from './trigger.js';

export interface TaskStatus {
  taskId: string;
  name: string;
  bundle: string;
  version?: string;
  trigger: string;
  conditions: string[];
  group?: string;
  isolation: string;
  state: 'idle' | 'running' | 'waiting' | 'done';
  running?: { instanceId: string; since: number; progress: number; cancelling?: string };
  waiting?: number;
  nextDueAt?: number;
  fireCount: number;
  throttle: ThrottleRecord;
  lastRun?: RunRecord;
}

export interface StatusReport {
  device: string;
  pid: number;
  startedAt: number;
  uptimeSec: number;
  readyMs: number;
  stateDir: string;
  workCost: { value: BackgroundWorkCostValue; causes: string[] };
  conditions: DeviceStateValues;
  readings?: SystemReadings;
  drivers: { name: string; binding: string; state: 'ok' | 'failed'; error?: string }[];
  gpio?: LineInfo[];
  sensors?: SensorInfo[];
  modem?: ReturnType<ModemSource['status']>;
  ble?: BleStatus;
  network?: NetworkView;
  wifi?: WifiStatus;
  pool: { idle: number; busy: number; spawned: number; warmLeases: number; coldLeases: number };
  bundles: { name: string; version: string; tasks: number }[];
  rejected: RejectedBundle[];
  tasks: TaskStatus[];
  store: { file: string; writes: number };
  memory: { rssMb: number; heapUsedMb: number };
}

export function buildStatus(rt: Runtime): StatusReport {
  const data = rt.store.data;
  const tasks: TaskStatus[] = rt.registry.records().map((r) => {
    const state = data.triggerState[r.taskId] ?? {};
    const runs = data.runs[r.taskId];
    const sup = rt.dispatcher.running(r.taskId);
    const waiting = state.pending?.length ?? 0;
    const t: TaskStatus = {
      taskId: r.taskId,
      name: r.name,
      bundle: r.entryPoint.bundle,
      trigger: describeTrigger(r.trigger),
      conditions: r.conditions.map((c) => c.conditionType),
      isolation: r.isolation,
      state: sup ? 'running' : waiting ? 'waiting' : state.done ? 'done' : 'idle',
      fireCount: state.fireCount ?? 0,
      throttle: data.throttle[r.taskId] ?? { Cpu: 0, Network: 0 },
    };
    if (r.bundleVersion) t.version = r.bundleVersion;
    if (r.taskGroup) t.group = r.taskGroup;
    if (sup) t.running = { instanceId: sup.instanceId, since: sup.startedAt, progress: sup.progress, ...(sup.cancellation ? { cancelling: sup.cancellation } : {}) };
    if (waiting) t.waiting = waiting;
    if (state.dueAt !== undefined) t.nextDueAt = state.dueAt;
    const last = runs?.[runs.length - 1];
    if (last) t.lastRun = last;
    return t;
  });
  tasks.sort((a, b) => a.bundle.localeCompare(b.bundle) || a.name.localeCompare(b.name));
  const mem = process.memoryUsage();
  let readings: SystemReadings | undefined;
  try {
    readings = rt.system.readings();
  } catch {
    readings = undefined;
  }
  return {
    device: rt.config.device.name,
    pid: process.pid,
    startedAt: rt.startedAt,
    uptimeSec: Math.round((Date.now() - rt.startedAt) / 1000),
    readyMs: rt.readyMs,
    stateDir: rt.config.stateDir,
    workCost: { value: rt.workCost.value, causes: rt.workCost.causes },
    conditions: { ...rt.state.values },
    ...(readings ? { readings } : {}),
    drivers: [
      { name: rt.system.name, binding: rt.system.binding },
      ...(rt.gpio ? [{ name: 'gpio', binding: rt.gpio.binding }] : []),
      ...(rt.sensors ? [{ name: 'i2c', binding: rt.sensors.bus.name }] : []),
      ...(rt.modem ? [{ name: 'modem', binding: rt.modem.modem.binding }] : []),
      ...(rt.ble?.central ? [{ name: 'ble.central', binding: adapterOf(rt.ble.central) }] : []),
      ...(rt.ble?.peripheral ? [{ name: 'ble.peripheral', binding: adapterOf(rt.ble.peripheral) }] : []),
      ...(rt.wifi ? [{ name: 'wifi', binding: `${rt.wifi.driver.binding} ${rt.wifi.driver.iface}` }] : []),
    ].map((d) => {
      // The modem reconnects on its own: its own status says whether it answers right now.
      const ble = rt.ble?.status();
      const error =
        d.name === 'modem' && rt.modem
          ? rt.modem.modem.status().ready
            ? undefined
            : (rt.modem.modem.status().error ?? rt.driverErrors.get('modem') ?? 'not answering yet')
          : d.name === 'ble.central'
            ? ble?.central?.error
            : d.name === 'ble.peripheral'
              ? ble?.peripheral?.error
              : d.name === 'wifi'
                ? (rt.wifi?.status().error ?? (rt.wifi?.driver.state().available === false ? 'NetworkManager is not answering' : undefined))
                : rt.driverErrors.get(d.name);
      return error ? { ...d, state: 'failed' as const, error } : { ...d, state: 'ok' as const };
    }),
    ...(rt.gpio && !rt.driverErrors.has('gpio') ? { gpio: rt.gpio.lines() } : {}),
    ...(rt.sensors ? { sensors: rt.sensors.info() } : {}),
    ...(rt.modem ? { modem: rt.modem.status() } : {}),
    ...(rt.ble ? { ble: rt.ble.status() } : {}),
    ...(rt.network ? { network: rt.network.view } : {}),
    ...(rt.wifi ? { wifi: rt.wifi.status() } : {}),
    pool: { idle: rt.pool.idle, busy: rt.pool.busy, ...rt.pool.stats },
    bundles: [...rt.bundles.loaded.values()].map((b) => ({ name: b.name, version: b.version, tasks: b.tasks.length })),
    rejected: [...rt.bundles.rejected.values()],
    tasks,
    store: { file: rt.store.file, writes: rt.store.stats.writes },
    memory: { rssMb: Math.round(mem.rss / 1048576), heapUsedMb: Math.round(mem.heapUsed / 1048576) },
  };
}

/** "noble hci1"; just "sim" for the simulated radio. */
function adapterOf(role: { binding: string; adapter: string }): string {
  return role.binding === role.adapter ? role.binding : `${role.binding} ${role.adapter}`;
}
