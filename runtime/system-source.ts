/**
 * Connects the system driver to the runtime: readings become the work cost and the energy-saver
 * state; the time zone, sessions and supply become device state; network changes go to the
 * network monitor; and the changes the core owns become SystemTriggers (TimeZoneChange,
 * SessionConnected, BackgroundWorkCostChange) and CustomSystemEvents (named device events).
 */
import type { SystemDriver } from '../drivers/system/system.js';
import type { Broker } from './broker.js';
import type { DeviceState } from './device-state.js';
import type { Unsubscribe } from './emitter.js';
import { errorMessage } from './errors.js';
import type { Logger } from './logger.js';
import type { NetworkMonitor } from './network-source.js';
import { customEventKey } from './triggers/custom-event.js';
import { systemTriggerDefinition, systemTriggerKey } from './triggers/system.js';
import type { WorkCostMonitor } from './work-cost.js';

export function connectSystem(system: SystemDriver, deps: { broker: Broker; state: DeviceState; workCost: WorkCostMonitor; log: Logger; network: NetworkMonitor }): Unsubscribe {
  const { broker, state, workCost, log, network } = deps;
  const port = broker.port;
  const offs: Unsubscribe[] = [
    broker.define(systemTriggerDefinition('TimeZoneChange')),
    broker.define(systemTriggerDefinition('SessionConnected')),
    broker.define(systemTriggerDefinition('BackgroundWorkCostChange')),
  ];

  const applyReadings = () => {
    const readings = system.readings();
    workCost.update(readings);
    const flags = readings.throttled;
    // Supply and energy saving come from the same flags: one update, so the dispatcher sees both.
    state.setSupply('system', system.supplyGood(), flags ? `get_throttled 0x${flags.raw.toString(16)}` : 'no throttling flags', {
      energySaver: Boolean(flags && (flags.underVoltage || flags.throttled)),
    });
  };

  offs.push(
    workCost.events.on('change', ({ from, to, causes }) => {
      log.info({ evt: 'workcost', from, to, causes }, `work cost ${from} -> ${to}`);
      state.update({ workCost: to }, `work cost ${to}${causes.length ? ` (${causes.join(', ')})` : ''}`);
      port.raise(systemTriggerKey('BackgroundWorkCostChange'), { from, to, causes });
    }),
    system.events.on('readings', applyReadings),
    system.events.on('timeZone', ({ from, to }) => {
      log.info(`time zone changed from ${from} to ${to}`);
      port.raise(systemTriggerKey('TimeZoneChange'), { from, to });
    }),
    system.events.on('sessions', ({ sessions, added }) => {
      state.update({ sessionConnected: sessions.length > 0 }, added.length ? `${added[0]!.user} logged in on ${added[0]!.line}` : 'sessions changed');
      for (const s of added) port.raise(systemTriggerKey('SessionConnected'), { user: s.user, line: s.line, host: s.host });
    }),
    system.events.on('network', () => network.update()),
    system.events.on('supply', ({ good, cause }) => state.setSupply('system', good, cause)),
    system.events.on('deviceEvent', ({ id, details }) => {
      log.info({ evt: 'event', id, source: `system/${system.binding}` }, `device event ${id}`);
      port.raise(customEventKey(id), { id, source: `system/${system.binding}`, ...details });
    }),
    system.events.on('error', (err) => log.warn({ evt: 'driver', driver: 'system', binding: system.binding, state: 'degraded', err: { code: 'DRIVER_FAILED', message: errorMessage(err) } }, errorMessage(err))),
  );

  applyReadings();
  network.update();
  state.setSupply('system', system.supplyGood(), 'system driver opened', { sessionConnected: system.sessions().length > 0 });
  return () => offs.forEach((off) => off());
}
