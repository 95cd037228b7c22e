/**
 * Connects the GPIO driver to the runtime. Every input edge becomes named device events
 * (`door.rising` or `door.falling`, and `door.changed`); lines with a role also drive device
 * state and SystemTriggers: `presence` → UserPresent/UserAway and the presence conditions,
 * `power-good` → PowerStateChange and the supply MaintenanceTrigger waits for, `motion` →
 * ActivitySensorTrigger readings. Outputs are reached through the `gpio.write:<line>` capability.
 *
 * The triggers exist as soon as the config declares the lines, even if the lines then fail to
 * open: registrations stay armed and fire once the hardware works, and status says why not.
 */
import type { GpioDriver, GpioEdge } from '../drivers/gpio/gpio.js';
import type { DeviceConfig } from './config.js';
import type { Broker } from './broker.js';
import type { Capabilities } from './capabilities.js';
import type { DeviceState } from './device-state.js';
import { Emitter, type Unsubscribe } from './emitter.js';
import { CapabilityError, errorMessage } from './errors.js';
import type { Logger } from './logger.js';
import { activitySensorTrigger, type ActivityReading } from './triggers/activity.js';
import { customEventKey } from './triggers/custom-event.js';
import { systemTriggerDefinition, systemTriggerKey } from './triggers/system.js';
import type { ActivityType } from './enums.js';

type LinesConfig = NonNullable<DeviceConfig['drivers']['gpio']>['lines'];

export interface GpioDeps {
  broker: Broker;
  state: DeviceState;
  capabilities: Capabilities;
  log: Logger;
}

/** Define the triggers and capabilities the declared lines provide. */
export function defineGpio(gpio: GpioDriver, lines: LinesConfig, deps: GpioDeps): { offs: Unsubscribe[]; activity: Emitter<{ reading: [ActivityReading] }> } {
  const { broker, capabilities } = deps;
  const roles = new Set(Object.values(lines).map((l) => l.role));
  const activity = new Emitter<{ reading: [ActivityReading] }>();
  const offs: Unsubscribe[] = [];
  if (roles.has('presence')) offs.push(broker.define(systemTriggerDefinition('UserPresent')), broker.define(systemTriggerDefinition('UserAway')));
  if (roles.has('power-good')) offs.push(broker.define(systemTriggerDefinition('PowerStateChange')));
  if (roles.has('motion')) offs.push(broker.define(activitySensorTrigger({ onReading: (l) => activity.on('reading', l) })));
  const lineName = (args: unknown[]) => (typeof args[0] === 'string' ? args[0] : undefined);
  offs.push(
    capabilities.define('gpio.write', {
      target: lineName,
      invoke: async (args) => {
        const [name, value] = args;
        const level = value === true || value === 1 ? 1 : value === false || value === 0 ? 0 : undefined;
        if (level === undefined) throw new CapabilityError(`gpio.write:${String(name)}`, `gpio.write: value ${JSON.stringify(value)} is invalid: expected 0, 1, true or false`, 'CAPABILITY_BAD_ARGUMENT');
        await gpio.write(String(name), level);
        return level;
      },
    }),
    capabilities.define('gpio.read', { target: lineName, invoke: (args) => gpio.read(String(args[0])) }),
  );
  return { offs, activity };
}

/** Route edges once the driver is open. */
export function connectGpio(gpio: GpioDriver, lines: LinesConfig, deps: GpioDeps, activity: Emitter<{ reading: [ActivityReading] }>): Unsubscribe {
  const { state, log } = deps;
  const port = deps.broker.port;
  const source = `gpio/${gpio.binding}`;
  const offs: Unsubscribe[] = [];
  const presence = Object.entries(lines).find(([, l]) => l.role === 'presence')?.[0];
  const powerGood = Object.entries(lines).find(([, l]) => l.role === 'power-good')?.[0];
  if (presence) {
    offs.push(state.addPresenceSource());
    state.update({ userPresent: gpio.read(presence) === 1 }, `presence line ${presence} opened`);
  }
  if (powerGood) state.setSupply(`gpio/${powerGood}`, gpio.read(powerGood) === 1, `power-good line ${powerGood} opened`);

  const onEdge = (e: GpioEdge) => {
    const time = new Date(e.time).toISOString();
    log.info({ evt: 'gpio', line: e.line, edge: e.edge, value: e.value, at: time }, `${e.line} ${e.edge}`);
    const details = { line: e.line, edge: e.edge, value: e.value, time, source };
    port.raise(customEventKey(`${e.line}.${e.edge}`), { id: `${e.line}.${e.edge}`, ...details });
    port.raise(customEventKey(`${e.line}.changed`), { id: `${e.line}.changed`, ...details });
    const cfg = lines[e.line];
    if (!cfg?.role) return;
    if (cfg.role === 'presence') {
      state.update({ userPresent: e.value === 1 }, `presence line ${e.line} ${e.edge}`);
      port.raise(systemTriggerKey(e.value === 1 ? 'UserPresent' : 'UserAway'), details);
    } else if (cfg.role === 'power-good') {
      state.setSupply(`gpio/${e.line}`, e.value === 1, `power-good line ${e.line} ${e.value === 1 ? 'high: supply good' : 'low: supply lost'}`);
      port.raise(systemTriggerKey('PowerStateChange'), { ...details, supplyGood: e.value === 1 });
    } else if (cfg.role === 'motion') {
      const act: ActivityType = (e.value === 1 ? cfg.activity?.active : cfg.activity?.inactive) ?? (e.value === 1 ? 'Walking' : 'Stationary');
      activity.emit('reading', { activity: act, confidence: 'Low', timestamp: time, source: `gpio/${e.line}` });
    }
  };
  offs.push(
    gpio.events.on('edge', onEdge),
    gpio.events.on('error', (err) => log.warn({ evt: 'driver', driver: 'gpio', binding: gpio.binding, err: { code: 'DRIVER_FAILED', message: errorMessage(err) } }, errorMessage(err))),
  );
  return () => offs.forEach((off) => off());
}

