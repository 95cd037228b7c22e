/**
 * The command side of the simulated NetworkManager (nm.ts): nmcli's and iw's arguments read
 * exactly as the Wi-Fi driver sends them, each routed to what answers it. Anything else is
 * refused with exit code 2 (unsupported), so a drift between the driver and the simulator shows
 * at once instead of being answered by a guess.
 */
import type { CommandResult, Program, RunOptions } from '../commands.js';
import { REASON_REMOVED, REASON_USER, type Activations } from './nm-activation.js';
import type { Call } from './nm-call.js';
import type { ConnectivityCheck } from './nm-connectivity.js';
import type { MonitorFeed } from './nm-monitor.js';
import { DEVICE_FIELDS, deviceRows, fail, fieldPicker, GENERAL_FIELDS, notRunning, ok, unsupported, WIFI_FIELDS, wifiRows } from './nm-output.js';
import { editProfile, parseProfile, type UuidSource } from './nm-profiles.js';
import type { Rescan, Scanner } from './nm-scan.js';
import type { Devices, Outcome, Profile } from './nm-state.js';
import type { Stations } from './nm-stations.js';

/** nmcli's default -w for `connection up`. */
const DEFAULT_UP_WAIT_SEC = 90;
const AC_PATH = '/org/freedesktop/NetworkManager/ActiveConnection/';
const DEVICE_PATH = '/org/freedesktop/NetworkManager/Devices/';

/** Runs the command; undefined when its Call is finished later (a scan, an activation). */
type Handler = () => CommandResult | undefined;

interface GlobalOptions {
  terse: boolean;
  fields: string | undefined;
  wait: number | undefined;
}

export interface CommandsOptions {
  devices: Devices;
  profiles: Profile[];
  /** The client interface, where `connection up` goes when neither it nor the profile names one. */
  iface: string;
  feed: MonitorFeed;
  check: ConnectivityCheck;
  scanner: Scanner;
  activations: Activations;
  stations: Stations;
  uuids: UuidSource;
  running: () => boolean;
}

export class Commands {
  readonly #o: CommandsOptions;

  constructor(options: CommandsOptions) {
    this.#o = options;
  }

  /** The result now, or undefined when `call` is finished later. */
  run(program: Program, args: readonly string[], options: RunOptions, call: Call): CommandResult | undefined {
    return program === 'iw' ? this.#iw(args) : this.#nmcli(args, options, call);
  }

  #nmcli(args: readonly string[], options: RunOptions, call: Call): CommandResult | undefined {
    let i = 0;
    let terse = false;
    let fields: string | undefined;
    let wait: number | undefined;
    while (i < args.length && args[i]!.startsWith('-')) {
      const a = args[i]!;
      const next = args[i + 1];
      if (a === '-t' || a === '--terse') {
        terse = true;
        i++;
      } else if ((a === '-f' || a === '--fields') && next !== undefined) {
        fields = next;
        i += 2;
      } else if ((a === '-w' || a === '--wait') && next !== undefined && /^\d+$/.test(next)) {
        wait = Number(next);
        i += 2;
      } else {
        return unsupported('nmcli', args);
      }
    }
    const cmd = args.slice(i);
    const handler = this.#route(cmd, { terse, fields, wait }, options, call);
    if (typeof handler !== 'function') return handler ?? unsupported('nmcli', args);
    if (!this.#o.running()) return notRunning();
    return handler();
  }

  /** The handler for a command the simulator knows, a refusal, or undefined (unsupported). */
  #route(cmd: readonly string[], g: GlobalOptions, options: RunOptions, call: Call): Handler | CommandResult | undefined {
    const { check, devices } = this.#o;
    const [a0, a1, a2] = cmd;
    const tabular = g.terse && g.fields !== undefined;
    if (a0 === 'general' && a1 === 'status' && cmd.length === 2 && tabular && g.wait === undefined) {
      const pick = fieldPicker(g.fields!, GENERAL_FIELDS);
      return pick && (() => ok(pick.line({ state: check.nmState(), connectivity: check.value })));
    }
    if (a0 === 'device' && a1 === 'status' && cmd.length === 2 && tabular && g.wait === undefined) {
      const pick = fieldPicker(g.fields!, DEVICE_FIELDS);
      return pick && (() => ok(deviceRows(devices).map((r) => pick.line(r)).join('')));
    }
    if (a0 === 'device' && a1 === 'wifi' && (cmd.length === 2 || a2 === 'list') && tabular && g.wait === undefined) {
      return this.#wifiList(cmd.slice(3), g.fields!, call);
    }
    if (a0 === 'device' && a1 === 'disconnect' && cmd.length === 3 && !g.fields) return () => this.#disconnectDevice(a2!);
    if (a0 === 'networking' && a1 === 'connectivity' && (cmd.length === 2 || (cmd.length === 3 && a2 === 'check')) && !g.fields && g.wait === undefined) {
      return () => ok(`${cmd.length === 3 ? check.check() : check.value}\n`);
    }
    if (a0 !== 'connection' || g.fields) return undefined;
    const rest = cmd.slice(2);
    if (a1 === 'add' && g.wait === undefined) return this.#add(rest);
    if (a1 === 'edit' && g.wait === undefined) {
      const name = connectionName(rest);
      return name === undefined ? undefined : () => editProfile(this.#o.profiles, name, options.stdin ?? '', (l) => this.#o.feed.line(l));
    }
    if (a1 === 'up') return this.#up(rest, g.wait, call);
    if (a1 === 'down') {
      const name = connectionName(rest);
      return name === undefined ? undefined : () => this.#down(name);
    }
    if (a1 === 'delete') {
      const name = connectionName(rest);
      const selector = rest[0] === 'id' ? 'id ' : '';
      return name === undefined ? undefined : () => this.#delete(name, selector);
    }
    return undefined;
  }

  #wifiList(opts: readonly string[], fields: string, call: Call): Handler | undefined {
    const { devices, scanner } = this.#o;
    let ifname: string | undefined;
    let rescan: Rescan = 'auto';
    for (let i = 0; i < opts.length; i += 2) {
      const key = opts[i];
      const value = opts[i + 1];
      if (key === 'ifname' && value !== undefined) ifname = value;
      else if (key === '--rescan' && (value === 'yes' || value === 'no' || value === 'auto')) rescan = value;
      else return undefined;
    }
    const pick = fieldPicker(fields, WIFI_FIELDS);
    if (!pick) return undefined;
    return () => {
      let listed = [...devices.values()];
      if (ifname !== undefined) {
        const d = devices.get(ifname);
        if (!d) return fail(10, `Error: Device '${ifname}' not found.\n`);
        listed = [d];
      }
      const render = () => ok(listed.flatMap((d) => wifiRows(d)).map((r) => pick.line(r)).join(''));
      const scanning = listed.filter((d) => scanner.wants(d, rescan));
      if (scanning.length === 0) return render();
      let left = scanning.length;
      for (const d of scanning) {
        scanner.request(d, (done) => {
          if (!done) return call.finish(notRunning());
          if (--left === 0) call.finish(render());
        });
      }
      return undefined;
    };
  }

  /** The arguments are read (and the UUID drawn) even when NetworkManager is not running. */
  #add(kv: readonly string[]): Handler | CommandResult | undefined {
    const profile = parseProfile(kv, () => this.#o.uuids.next());
    if (profile === undefined || 'code' in profile) return profile;
    return () => {
      this.#o.profiles.push(profile);
      this.#o.feed.line(`${profile.name}: connection profile created`);
      return ok(`Connection '${profile.name}' (${profile.uuid}) successfully added.\n`);
    };
  }

  #up(rest: readonly string[], wait: number | undefined, call: Call): Handler | undefined {
    const name = rest[0] === 'id' ? rest[1] : rest[0];
    const after = rest.slice(rest[0] === 'id' ? 2 : 1);
    if (name === undefined) return undefined;
    let ifname: string | undefined;
    if (after.length === 2 && after[0] === 'ifname') ifname = after[1];
    else if (after.length !== 0) return undefined;
    return () => {
      const profile = this.#o.profiles.find((p) => p.name === name);
      if (!profile) return fail(10, `Error: unknown connection '${name}'.\n`);
      const iface = ifname ?? profile.ifname ?? this.#o.iface;
      const device = this.#o.devices.get(iface);
      if (!device || (profile.ifname !== undefined && profile.ifname !== iface)) {
        return fail(4, `Error: device '${iface}' not compatible with connection '${name}'.\n`);
      }
      const ac = this.#o.activations.activate(profile, device);
      if (wait === 0) return ok();
      const waiter = (outcome: Outcome) => {
        if (outcome.ok) return call.finish(ok(`Connection successfully activated (D-Bus active path: ${AC_PATH}${ac.path})\n`));
        const error = `Error: Connection activation failed: ${outcome.reason}\nHint: use 'journalctl -xe NM_CONNECTION=${profile.uuid} + NM_DEVICE=${device.iface}' to get more details.\n`;
        if (!outcome.agentAsked) return call.finish(fail(4, error));
        call.finish({
          code: 4,
          stdout: `Passwords or encryption keys are required to access the wireless network '${profile.ssid}'.\n`,
          stderr: `Warning: password for '802-11-wireless-security.psk' not given in 'passwd-file' and nmcli cannot ask without '--ask' option.\n${error}`,
        });
      };
      ac.waiters.add(waiter);
      call.onEnd(() => ac.waiters.delete(waiter));
      const seconds = wait ?? DEFAULT_UP_WAIT_SEC;
      call.after(seconds * 1000, () => call.finish(fail(3, `Error: Timeout expired (${seconds} seconds)\n`)));
      return undefined;
    };
  }

  #down(name: string): CommandResult {
    const d = [...this.#o.devices.values()].find((x) => x.active?.profile.name === name);
    if (!d) return fail(10, `Error: '${name}' is not an active connection.\nError: no active connection provided.\n`);
    const path = d.active!.path;
    this.#o.activations.deactivate(d, REASON_USER, true);
    return ok(`Connection '${name}' successfully deactivated (D-Bus active path: ${AC_PATH}${path})\n`);
  }

  #delete(name: string, selector: string): CommandResult {
    const { activations, devices, feed, profiles } = this.#o;
    const matches = profiles.filter((p) => p.name === name);
    if (matches.length === 0) return fail(10, `Error: unknown connection '${name}'.\nError: cannot delete unknown connection(s): ${selector}'${name}'.\n`);
    let out = '';
    for (const p of matches) {
      for (const d of devices.values()) if (d.active?.profile === p) activations.deactivate(d, REASON_REMOVED, true);
      profiles.splice(profiles.indexOf(p), 1);
      feed.line(`${p.name}: connection profile removed`);
      out += `Connection '${p.name}' (${p.uuid}) successfully deleted.\n`;
    }
    return ok(out);
  }

  #disconnectDevice(iface: string): CommandResult {
    const d = this.#o.devices.get(iface);
    if (!d) return fail(10, `Error: Device '${iface}' not found.\nError: not all devices found.\n`);
    if (!d.active) return fail(6, `Error: Device '${iface}' (${DEVICE_PATH}${d.path}) disconnecting failed: This device is not active\nError: not all devices disconnected.\n`);
    this.#o.activations.deactivate(d, REASON_USER, true);
    return ok(`Device '${iface}' successfully disconnected.\n`);
  }

  /** Only `iw dev IFACE station dump`. */
  #iw(args: readonly string[]): CommandResult {
    if (!(args.length === 4 && args[0] === 'dev' && args[2] === 'station' && args[3] === 'dump')) return unsupported('iw', args);
    return this.#o.stations.dump(args[1]!);
  }
}

/** `id NAME` or a bare NAME, nothing after. */
function connectionName(rest: readonly string[]): string | undefined {
  if (rest.length === 2 && rest[0] === 'id') return rest[1];
  if (rest.length === 1 && rest[0] !== 'id') return rest[0];
  return undefined;
}
