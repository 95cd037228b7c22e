/**
 * The board: the driver instances a configuration asks for, real or simulated. This is the one
 * place that knows concrete bindings; the runtime receives them by their interfaces. Bindings
 * are imported only when asked for: a simulated board never loads the real ones, and a real
 * binding's library is loaded only on a device that uses it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../runtime/clock.js';
import type { DeviceConfig } from '../runtime/config.js';
import { ConfigError, DriverError } from '../runtime/errors.js';
import type { GpioDriver } from './gpio/gpio.js';
import type { SimGpio } from './gpio/sim.js';
import type { SensorHub } from './i2c/hub.js';
import type { SimI2cBus } from './i2c/sim/bus.js';
import type { ModemDriver } from './modem/modem.js';
import type { SimModem } from './modem/sim/modem.js';
import type { PtyModem } from './modem/sim/pty.js';
import { checkModemStep, type ModemStep } from './modem/sim-steps.js';
import { applyBleStep, checkBleStep, type BleStep } from './ble/sim/steps.js';
import type { BleSimConfig } from './ble/sim/schema.js';
import type { SimStep, SimSystem } from './system/sim.js';
import type { WifiDriver } from './wifi/wifi.js';
import type { SimNetworkManager } from './wifi/sim/nm.js';
import type { WifiSimConfig } from './wifi/sim/schema.js';
import { applyWifiStep, checkWifiStep } from './wifi/sim/steps.js';
import type { BleCentral, BlePeripheral } from './ble/ble.js';
import type { SimRadio } from './ble/sim/radio.js';
import type { SystemDriver } from './system/system.js';
import { gpioLineConfigs, sensorSpecs, simulateSensors } from './board-parts.js';

export interface Board {
  system: SystemDriver;
  gpio?: GpioDriver;
  sensors?: SensorHub;
  modem?: ModemDriver;
  /** Bluetooth LE roles (either may be absent: no adapter for it, or the config turns it off). */
  ble?: { central?: BleCentral; peripheral?: BlePeripheral };
  wifi?: WifiDriver;
  /** Where network interfaces' byte counters are (a temporary directory on a simulated board). */
  netStatsDir?: string;
  /** The simulated hardware's controls, when simulated (tests, demos). */
  sim?: { gpio?: SimGpio; bus?: SimI2cBus; modem?: SimModem; pty?: PtyModem; radio?: SimRadio; nm?: SimNetworkManager };
}

export interface BoardOptions {
  sim?: boolean;
  clock?: Clock;
  /** Build the modem too (a command that only reads sensors does not need a simulator and its pty). */
  modem?: boolean;
  /** Build the Wi-Fi driver too (the simulated one serves its captive portal over HTTP until closed). */
  wifi?: boolean;
  /** Reuse this simulated modem (its SIM keeps its messages across a runtime restart in tests). */
  simModem?: SimModem;
}

export async function createBoard(config: DeviceConfig, options: BoardOptions = {}): Promise<Board> {
  try {
    return await build(config, options);
  } catch (err) {
    // Board checks name the entry; the file is added here, once, as config errors do.
    if (err instanceof ConfigError && !err.message.startsWith('config ')) {
      throw new ConfigError(`config ${config.file}: ${err.message}`, { cause: err, code: err.code, ...(err.path !== undefined ? { path: err.path } : {}) });
    }
    throw err;
  }
}

async function build(config: DeviceConfig, options: BoardOptions): Promise<Board> {
  const forceSim = options.sim === true;
  const board: Board = { system: undefined as unknown as SystemDriver };
  const sim: NonNullable<Board['sim']> = {};

  const gpioCfg = config.drivers.gpio;
  if (gpioCfg) {
    const lines = gpioLineConfigs(gpioCfg.lines);
    if (forceSim || gpioCfg.binding === 'sim') {
      const { SimGpio } = await import('./gpio/sim.js');
      board.gpio = sim.gpio = new SimGpio(lines);
    } else {
      const { OnoffGpio } = await import('./gpio/onoff.js');
      board.gpio = new OnoffGpio(lines, gpioCfg.chip !== undefined ? { chip: gpioCfg.chip } : {});
    }
  }

  const i2cCfg = config.drivers.i2c;
  if (i2cCfg) {
    const specs = await sensorSpecs(i2cCfg.sensors);
    const { SensorHub } = await import('./i2c/hub.js');
    if (forceSim || i2cCfg.binding === 'sim') {
      const { SimI2cBus } = await import('./i2c/sim/bus.js');
      sim.bus = new SimI2cBus();
      await simulateSensors(sim.bus, specs, i2cCfg.sensors);
      board.sensors = new SensorHub(sim.bus, specs);
    } else {
      const { lazyI2cBus } = await import('./i2c/i2c-bus.js');
      board.sensors = new SensorHub(lazyI2cBus(i2cCfg.bus), specs);
    }
  }

  const modemCfg = config.drivers.modem;
  if (modemCfg && options.modem !== false) {
    if (forceSim || modemCfg.binding === 'sim') {
      const { createSimModem } = await import('./modem/sim-binding.js');
      const made = await createSimModem(modemCfg, { ...(options.clock ? { clock: options.clock } : {}), ...(options.simModem ? { sim: options.simModem } : {}) });
      board.modem = made.driver;
      sim.modem = made.sim;
      if (made.pty) sim.pty = made.pty;
      // The simulated cellular interface starts at zero bytes, as after a boot.
      board.netStatsDir = mkdtempSync(join(tmpdir(), 'vigil-net-'));
      const { writeCounters } = await import('./modem/sim-steps.js');
      await writeCounters(board.netStatsDir, modemCfg.dataInterface, 0);
    } else {
      const { AtModem } = await import('./modem/at-modem.js');
      const { SerialModemPort } = await import('./modem/serialport.js');
      const port = new SerialModemPort(modemCfg.path!, { baudRate: modemCfg.baudRate, rtscts: modemCfg.rtscts });
      board.modem = new AtModem(port, { binding: 'serialport', storage: modemCfg.storage, signalPollMs: modemCfg.signalPollSec * 1000, defaultTimeoutMs: modemCfg.timeoutMs, ...(options.clock ? { clock: options.clock } : {}) });
    }
  }

  const bleCfg = config.drivers.ble;
  if (bleCfg) {
    const central = bleCfg.central;
    const peripheral = bleCfg.peripheral;
    if (forceSim || bleCfg.binding === 'sim') {
      const { createSimRadio } = await import('./ble/sim/config.js');
      const { SimCentral } = await import('./ble/sim/sim-central.js');
      const { SimPeripheral } = await import('./ble/sim/sim-peripheral.js');
      const { systemClock } = await import('../runtime/clock.js');
      const radio = (sim.radio = createSimRadio(bleCfg.sim ?? { seed: 1, peripheralLinks: 1, peripherals: {}, centrals: {} }, options.clock ?? systemClock));
      board.ble = { ...(central ? { central: new SimCentral(radio) } : {}), ...(peripheral ? { peripheral: new SimPeripheral(radio) } : {}) };
    } else {
      // The libraries are loaded by open(), which turns a machine without Bluetooth into a DriverError.
      const { BlenoPeripheral } = await import('./ble/bleno.js');
      const centralDriver = central ? (central.isolated ? new (await import('./ble/isolated-central.js')).IsolatedCentral({ hci: central.hci }) : new (await import('./ble/noble.js')).NobleCentral({ hci: central.hci })) : undefined;
      board.ble = {
        ...(centralDriver ? { central: centralDriver } : {}),
        ...(peripheral ? { peripheral: new BlenoPeripheral({ hci: peripheral.hci, ...(peripheral.deviceName ? { deviceName: peripheral.deviceName } : {}) }) } : {}),
      };
    }
  }

  const wifiCfg = config.drivers.wifi;
  if (wifiCfg && options.wifi !== false) {
    const { NmWifi } = await import('./wifi/nm-driver.js');
    const ifaces = { iface: wifiCfg.iface, ...(wifiCfg.hotspotIface ? { hotspotIface: wifiCfg.hotspotIface } : {}) };
    if (forceSim || wifiCfg.binding === 'sim') {
      const { createSimNetworkManager } = await import('./wifi/sim/config.js');
      const { systemClock } = await import('../runtime/clock.js');
      const nm = (sim.nm = createSimNetworkManager(wifiCfg.sim ?? defaultWifiSim(), options.clock ?? systemClock, ifaces));
      await nm.start();
      board.wifi = new NmWifi({ runner: nm, binding: 'sim', ...ifaces, portalProbeUrl: nm.probeUrl, onClose: () => nm.close(), ...(options.clock ? { clock: options.clock } : {}) });
    } else {
      const { ExecRunner } = await import('./wifi/exec-runner.js');
      const { nodeWifi } = await import('./wifi/node-wifi.js');
      board.wifi = new NmWifi({ runner: new ExecRunner(), binding: 'nmcli', ...ifaces, scanner: () => nodeWifi(wifiCfg.iface) });
    }
  }

  const cfg = config.drivers.system;
  const clock = options.clock ? { clock: options.clock } : {};
  if (!(forceSim || cfg.binding === 'sim')) {
    const { LinuxSystem } = await import('./system/linux.js');
    board.system = new LinuxSystem({ pollMs: cfg.pollMs, ...(cfg.probe ? { probe: cfg.probe } : {}), ...clock });
  } else {
    const timeline = (config.sim?.timeline ?? []) as unknown as SimStep[];
    const wifiSim = wifiCfg && (forceSim || wifiCfg.binding === 'sim') ? (wifiCfg.sim ?? defaultWifiSim()) : undefined;
    checkSimTargets(timeline, board, sim, modemCfg !== undefined && (forceSim || modemCfg.binding === 'sim'), bleCfg?.sim, wifiSim);
    const { SimSystem } = await import('./system/sim.js');
    try {
      board.system = new SimSystem({
        pollMs: cfg.pollMs,
        timeline,
        ...(config.sim?.repeatSec !== undefined ? { repeatSec: config.sim.repeatSec } : {}),
        ...clock,
        onStep: (step) => applyStep(step, sim, board, modemCfg?.dataInterface),
      });
    } catch (err) {
      if (err instanceof DriverError) throw new ConfigError(`config ${config.file}: sim.timeline: ${err.message}`, { path: 'sim.timeline', cause: err });
      throw err;
    }
  }
  if (sim.nm && board.wifi && board.system.binding === 'sim') followWifiLink(board.wifi, board.system as SimSystem);
  if (sim.gpio || sim.bus || sim.modem || sim.radio || sim.nm) board.sim = sim;
  return board;
}

/** Timeline steps may only move lines and sensors the board has, as simulated inputs. */
function checkSimTargets(timeline: readonly SimStep[], board: Board, sim: NonNullable<Board['sim']>, modemConfigured: boolean, radio: BleSimConfig | undefined, wifi: WifiSimConfig | undefined): void {
  timeline.forEach((step, i) => {
    const where = `sim.timeline[${i}]`;
    if (typeof step !== 'object' || step === null) return;
    if (typeof step.gpio === 'string') {
      const line = sim.gpio?.lines().find((l) => l.name === step.gpio);
      if (!line) throw new ConfigError(`${where}.gpio: no simulated GPIO line named "${step.gpio}" (lines: ${sim.gpio?.lines().map((l) => l.name).join(', ') || 'none'})`, { path: `${where}.gpio` });
      if (line.direction !== 'in') throw new ConfigError(`${where}.gpio: line "${step.gpio}" is an output: the timeline can only move inputs`, { path: `${where}.gpio` });
    }
    if (step.modem !== undefined) {
      // A command that does not build the modem (vigil sensors) still checks the step's shape.
      if (!sim.modem && !modemConfigured) throw new ConfigError(`${where}.modem: the board has no simulated modem (add drivers.modem with binding "sim")`, { path: `${where}.modem` });
      checkModemStep(step.modem, `${where}.modem`);
    }
    if (step.ble !== undefined) {
      if (!sim.radio) throw new ConfigError(`${where}.ble: the board has no simulated Bluetooth LE radio (add drivers.ble with binding "sim")`, { path: `${where}.ble` });
      checkBleStep(step.ble, `${where}.ble`, radio ?? { seed: 1, peripheralLinks: 1, peripherals: {}, centrals: {} });
    }
    if (step.wifi !== undefined) {
      // A command that does not build Wi-Fi (vigil sensors) still checks the step against the config.
      if (!wifi) throw new ConfigError(`${where}.wifi: the board has no simulated Wi-Fi (add drivers.wifi with binding "sim")`, { path: `${where}.wifi` });
      checkWifiStep(step.wifi, `${where}.wifi`, wifi);
    }
    if (typeof step.sensor === 'string') {
      if (!(sim.bus && board.sensors?.names().includes(step.sensor))) {
        throw new ConfigError(`${where}.sensor: no simulated sensor named "${step.sensor}" (sensors: ${board.sensors?.names().join(', ') || 'none'})`, { path: `${where}.sensor` });
      }
      const channels = Object.keys(board.sensors.info(step.sensor)[0]!.channels);
      for (const channel of Object.keys(step.values ?? {})) {
        if (!channels.includes(channel)) throw new ConfigError(`${where}.values.${channel}: sensor "${step.sensor}" has no such channel (channels: ${channels.join(', ')})`, { path: `${where}.values` });
      }
    }
  });
}

function applyStep(step: SimStep, sim: NonNullable<Board['sim']>, board: Board, iface: string | undefined): void {
  if (step.modem !== undefined && sim.modem) {
    const stats = board.netStatsDir && iface ? { dir: board.netStatsDir, iface } : undefined;
    void import('./modem/sim-steps.js')
      .then(({ applyModemStep }) => applyModemStep(step.modem as ModemStep, sim.modem!, stats))
      .catch((err: unknown) => process.emitWarning(`simulated modem step at ${step.at} s failed: ${(err as Error).message}`));
  }
  if (step.wifi !== undefined && sim.nm) {
    void Promise.resolve()
      .then(() => applyWifiStep(step.wifi!, sim.nm!))
      .catch((err: unknown) => process.emitWarning(`simulated Wi-Fi step at ${step.at} s failed: ${(err as Error).message}`));
  }
  if (step.ble !== undefined && sim.radio) {
    void Promise.resolve()
      .then(() => applyBleStep(sim.radio!, step.ble as unknown as BleStep))
      .catch((err: unknown) => process.emitWarning(`simulated Bluetooth step at ${step.at} s failed: ${(err as Error).message}`));
  }
  try {
    moveHardware(step, sim, board);
  } catch (err) {
    // Checked at load, so this is a value the simulated chip cannot represent; the demo goes on.
    process.emitWarning(`simulated step at ${step.at} s failed: ${(err as Error).message}`);
  }
}

function moveHardware(step: SimStep, sim: NonNullable<Board['sim']>, board: Board): void {
  if (step.gpio !== undefined && sim.gpio && step.value !== undefined) {
    if (step.bounce) void sim.gpio.bounce(step.gpio, step.value, step.bounce);
    else sim.gpio.set(step.gpio, step.value);
  }
  if (step.sensor !== undefined && sim.bus && step.values) {
    const info = board.sensors?.info(step.sensor)[0];
    if (info) sim.bus.chip(info.address)?.set(step.values);
  }
}

/** An empty simulated radio environment (no access points, no clients). */
function defaultWifiSim(): WifiSimConfig {
  return { seed: 1, associateMs: 1500, accessPoints: {}, clients: {} } as WifiSimConfig;
}

/**
 * On the simulated board the default route follows the Wi-Fi client, as the kernel's would: a
 * joined network carries it, and losing the network takes it away (unless another kind of link
 * carries it, which the timeline's `link` steps set).
 */
export function followWifiLink(wifi: WifiDriver, system: SimSystem): void {
  wifi.events.on('state', (s) => {
    // NetworkManager stopping leaves the interfaces as they were; only what it reports moves the route.
    if (!s.available) return;
    const route = system.network().defaultRoute;
    if (s.link && route?.iface !== wifi.iface) system.setNetwork({ defaultRoute: { iface: wifi.iface, kind: 'wifi' } });
    else if (!s.link && route?.iface === wifi.iface) system.setNetwork({ defaultRoute: undefined });
  });
}
