/**
 * Connects the cellular modem to the runtime: its triggers and capabilities exist from the
 * config (registrations arm even while the modem is missing, and fire once it answers); its
 * events become trigger activations; received SMS go through the inbox, which deletes a message
 * from the modem only once every task that should see it has completed.
 */
import type { ModemDriver, ModemStatus, RegistrationState } from '../drivers/modem/modem.js';
import { decodePdu, encodeSubmit, isoWithOffset } from '../drivers/modem/sms/index.js';
import type { ArmedRegistration, Broker } from './broker.js';
import type { Capabilities } from './capabilities.js';
import type { Clock } from './clock.js';
import type { DeviceConfig } from './config.js';
import { customEventKey } from './triggers/custom-event.js';
import type { Unsubscribe } from './emitter.js';
import { CapabilityError, errorMessage } from './errors.js';
import type { Logger } from './logger.js';
import type { DevicePolicy } from './policy.js';
import { dataUsageArm } from './data-usage.js';
import { SmsInbox } from './sms-inbox.js';
import { systemTriggerDefinition } from './triggers/system.js';
import { modemTriggers, phoneKey, type ModemTriggers } from './triggers/modem.js';
import { readPinFile } from './pin-file.js';

type ModemConfig = NonNullable<DeviceConfig['drivers']['modem']>;

export interface ModemDeps {
  broker: Broker;
  capabilities: Capabilities;
  log: Logger;
  clock: Clock;
  stateDir: string;
  policy(): DevicePolicy;
  /** Whether the dispatcher already holds an activation of `taskId` for this message. */
  queued(taskId: string, messageId: string): boolean;
  /** Where the cellular interface's byte counters are (/sys/class/net on a device). */
  netStatsDir: string;
}

const registered = (s: RegistrationState) => s === 'home' || s === 'roaming';

export class ModemSource {
  readonly modem: ModemDriver;
  readonly #cfg: ModemConfig;
  readonly #d: ModemDeps;
  readonly #triggers: ModemTriggers;
  readonly #targets = new Map<string, ((from: string) => boolean) | undefined>();
  readonly #filters = new Map<string, ArmedRegistration>();
  readonly #offs: Unsubscribe[] = [];
  #inbox: SmsInbox | undefined;
  #activeFilter: string | undefined;
  #lowSignal = false;
  #caller: string | undefined;
  #lastRegistration = '';

  constructor(modem: ModemDriver, cfg: ModemConfig, deps: ModemDeps) {
    this.modem = modem;
    this.#cfg = cfg;
    this.#d = deps;
    this.#triggers = modemTriggers(
      {
        add: (r, accept) => {
          this.#targets.set(r.taskId, accept);
          this.#inbox?.addTarget(r.taskId, accept);
          return () => {
            this.#targets.delete(r.taskId);
            this.#inbox?.removeTarget(r.taskId);
          };
        },
        addFilter: (r) => {
          this.#filters.set(r.taskId, r);
          this.#filterChanged();
          return () => {
            this.#filters.delete(r.taskId);
            this.#filterChanged();
          };
        },
      },
      (r, port) => dataUsageArm(r, port, { dir: deps.netStatsDir, iface: cfg.dataInterface, everyMs: cfg.dataPollSec * 1000, log: deps.log }),
    );
    const smsReceived = systemTriggerDefinition('SmsReceived', {
      arm: (r) => {
        this.#targets.set(r.taskId, undefined);
        this.#inbox?.addTarget(r.taskId);
        return () => {
          this.#targets.delete(r.taskId);
          this.#inbox?.removeTarget(r.taskId);
        };
      },
      key: undefined,
    });
    for (const def of [...this.#triggers.definitions, smsReceived]) this.#offs.push(deps.broker.define(def));
    this.#defineCapabilities();
  }

  /** Open the inbox, route the modem's events, open the modem (which retries on its own). */
  async connect(): Promise<void> {
    const { log, clock, stateDir } = this.#d;
    this.#inbox = await SmsInbox.open({
      stateDir,
      clock,
      log,
      modem: this.modem,
      fire: (taskId, details) => this.#d.broker.port.fire(taskId, details),
      queued: (taskId, id) => this.#d.queued(taskId, id),
      activeFilter: () => this.#activeFilter,
      reassemblyMs: this.#cfg.reassemblySec * 1000,
      maxAttempts: this.#cfg.maxAttempts,
    });
    for (const [taskId, accept] of this.#targets) this.#inbox.addTarget(taskId, accept);
    this.#offs.push(...this.#route());
    await this.modem.open();
  }

  /** A run ended (the dispatcher's `finished`), with the details it started with. */
  finished(taskId: string, details: unknown, completed: boolean): void {
    this.#inbox?.finished(taskId, details, completed);
  }

  status(): ModemStatus & { inbox: ReturnType<SmsInbox['pending']>; activeFilter?: string } {
    const active = this.#activeFilter ? this.#filters.get(this.#activeFilter) : undefined;
    return { ...this.modem.status(), inbox: this.#inbox?.pending() ?? [], ...(active ? { activeFilter: `${active.bundle}/${active.name}` } : {}) };
  }

  async close(): Promise<void> {
    this.#offs.splice(0).forEach((off) => off());
    await this.modem.close();
    await this.#inbox?.close();
  }

  #filterChanged(): void {
    const wanted = this.#cfg.activeFilter;
    const all = [...this.#filters.values()];
    const active = wanted ? all.find((r) => `${r.bundle}/${r.name}` === wanted) : all[all.length - 1];
    if (active?.taskId === this.#activeFilter) return;
    const previous = this.#activeFilter ? this.#filters.get(this.#activeFilter) : undefined;
    this.#activeFilter = active?.taskId;
    const name = (r: ArmedRegistration | undefined) => (r ? `${r.bundle}/${r.name}` : null);
    this.#d.log.info({ evt: 'modem', activeFilter: name(active) }, active ? `SMS filter task is now ${name(active)}` : 'no SMS filter task is active');
    this.#d.broker.port.raise('CommunicationBlockingAppSetAsActiveTrigger', { active: name(active), previous: name(previous) });
    this.#inbox?.filterChanged();
  }

  #route(): Unsubscribe[] {
    const { log, broker } = this.#d;
    const port = broker.port;
    const m = this.modem;
    const driverLog = { evt: 'driver', driver: 'modem', binding: m.binding, path: m.path };
    return [
      m.events.on('ready', (s) => log.info({ ...driverLog, state: 'open', identity: s.identity, pin: s.pin }, `modem ready on ${m.path}: ${[s.identity.manufacturer, s.identity.model].filter(Boolean).join(' ') || 'unknown model'}, SIM ${s.pin}`)),
      m.events.on('error', (err) => log.warn({ ...driverLog, state: 'failed', err: { code: (err as { code?: string }).code ?? 'DRIVER_FAILED', message: errorMessage(err) } }, errorMessage(err))),
      m.events.on('noise', (n) => log.debug({ evt: 'modem', noise: n.reason, text: n.text }, `modem line skipped: ${n.reason}`)),
      m.events.on('message', (stored) => void this.#onMessage(stored)),
      m.events.on('statusReport', ({ pdu }) => this.#onStatusReport(pdu)),
      m.events.on('pin', (e) => {
        log.info({ evt: 'modem', pin: e.state, previous: e.previous, retries: e.retries }, `SIM ${e.state}`);
        port.raise('MobileBroadbandPinLockStateChangeTrigger', { pinLockState: e.state, previous: e.previous, ...(e.retries ? { attemptsRemaining: e.retries } : {}) });
      }),
      m.events.on('radio', (e) => {
        log.info({ evt: 'modem', radio: e.state, previous: e.previous }, `radio ${e.state}`);
        port.raise('MobileBroadbandRadioStateChangeTrigger', { radioState: e.state, previous: e.previous, fun: e.fun });
      }),
      m.events.on('registration', (e) => {
        // Each domain (CS, PS, EPS) reports on its own; the trigger is about the device being
        // reachable, so it fires when the overall state or the radio technology changes.
        const key = `${e.overall}/${e.current.act ?? ''}`;
        if (key === this.#lastRegistration) return;
        this.#lastRegistration = key;
        const op = m.status().operator;
        const details = { registrationState: e.overall, previous: e.overallBefore, domain: e.domain, ...(e.current.act ? { accessTechnology: e.current.act } : {}), ...(e.current.lac !== undefined ? { lac: e.current.lac } : {}), ...(e.current.ci !== undefined ? { cellId: e.current.ci } : {}), ...(op ? { operator: op } : {}) };
        log.info({ evt: 'modem', ...details }, `registration ${e.overall}${op?.name ? ` on ${op.name}` : ''}${e.current.act ? ` (${e.current.act})` : ''}`);
        port.raise('MobileBroadbandRegistrationStateChangeTrigger', details);
        // Home → roaming (crossing a border) is news too, not only registering from nothing.
        if (registered(e.overall) && e.overall !== e.overallBefore) this.#triggers.raiseOperatorNotification(e.overall === 'home' ? 'RegisteredHome' : 'RegisteredRoaming', details);
        if (!registered(e.overall) && registered(e.overallBefore)) this.#triggers.raiseOperatorNotification('RegistrationLost', details);
      }),
      m.events.on('operator', (e) => {
        if (!e.previous || !(e.name || e.numeric)) return;
        log.info({ evt: 'modem', operator: e }, `operator changed to ${e.name ?? e.numeric}`);
        this.#triggers.raiseOperatorNotification('OperatorChanged', { operator: { name: e.name, numeric: e.numeric, act: e.act }, previous: e.previous });
      }),
      m.events.on('signal', (s) => {
        const low = s.dbm < this.#cfg.lowSignalDbm;
        // 5 dB of hysteresis: a signal hovering at the threshold is one notification, not fifty.
        const recovered = s.dbm >= this.#cfg.lowSignalDbm + 5;
        if (low && !this.#lowSignal) {
          this.#lowSignal = true;
          this.#triggers.raiseOperatorNotification('SignalLow', { signal: s, thresholdDbm: this.#cfg.lowSignalDbm });
        } else if (recovered && this.#lowSignal) {
          this.#lowSignal = false;
          this.#triggers.raiseOperatorNotification('SignalRecovered', { signal: s, thresholdDbm: this.#cfg.lowSignalDbm });
        }
      }),
      m.events.on('ring', (r) => {
        this.#caller = r.number;
        log.info({ evt: 'modem', call: 'incoming', number: r.number ?? null, validity: r.validity }, `incoming call from ${r.number ?? 'a withheld number'}`);
        port.raise(phoneKey('IncomingCallNotification'), { number: r.number ?? null, validity: r.validity });
      }),
      m.events.on('callEnded', (e) => {
        const details = { number: this.#caller ?? null, reason: e.reason };
        this.#caller = undefined;
        log.info({ evt: 'modem', call: 'ended', ...details }, 'call ended');
        port.raise(phoneKey('IncomingCallDismissed'), details);
        port.raise(phoneKey('CallHistoryChanged'), details);
      }),
      m.events.on('urc', (u) => {
        const details = { name: u.name, line: u.line, ...(u.body !== undefined ? { body: u.body } : {}) };
        if (u.name === '+CGEV') port.raise('MobileBroadbandPcoDataChangeTrigger', details);
        else this.#triggers.raiseDeviceService(u.name, details);
      }),
    ];
  }

  async #onMessage(stored: { storage: string; index: number; pdu: string }): Promise<void> {
    try {
      const full = stored.pdu === '' ? await this.modem.readMessage(stored.storage, stored.index) : stored;
      if (full) await this.#inbox?.receive(full);
    } catch (err) {
      // Left where it is: the next start (or the next +CMTI) lists it again.
      this.#d.log.warn({ evt: 'sms', storage: stored.storage, index: stored.index, err: errorMessage(err) }, `could not read SMS slot ${stored.index}: ${errorMessage(err)}`);
    }
  }

  #onStatusReport(hex: string): void {
    try {
      const pdu = decodePdu(hex);
      if (pdu.type !== 'status-report') return;
      const details = { reference: pdu.reference, recipient: pdu.recipient.number, delivered: pdu.delivered, status: pdu.status, statusText: pdu.statusText, dischargedAt: isoWithOffset(pdu.dischargeTime, pdu.dischargeTzOffsetMinutes) };
      this.#d.log.info({ evt: 'sms', report: details }, `SMS ${pdu.reference} to ${pdu.recipient.number}: ${pdu.statusText}`);
      this.#d.broker.port.raise(customEventKey('sms.report'), { id: 'sms.report', ...details });
    } catch (err) {
      this.#d.log.warn({ evt: 'sms', err: errorMessage(err) }, `status report cannot be decoded: ${errorMessage(err)}`);
    }
  }

  #defineCapabilities(): void {
    const { capabilities, log } = this.#d;
    this.#offs.push(
      capabilities.define('sms.send', {
        target: (args) => (typeof args[0] === 'string' ? args[0] : undefined),
        invoke: async (args, caller) => {
          const [to, text, options] = args as [unknown, unknown, { statusReport?: boolean } | undefined];
          if (typeof to !== 'string' || !/^\+?[0-9]{3,20}$/.test(to)) throw new CapabilityError('sms.send', `sms.send: recipient ${JSON.stringify(to)} is invalid: expected a phone number such as "+447700900123"`, 'CAPABILITY_BAD_ARGUMENT');
          if (typeof text !== 'string' || text === '') throw new CapabilityError('sms.send', `sms.send: text ${JSON.stringify(text)} is invalid: expected a non-empty string`, 'CAPABILITY_BAD_ARGUMENT');
          const parts = encodeSubmit({ recipient: to, text, requestStatusReport: options?.statusReport ?? true, concatRef: Math.floor(Math.random() * 256) });
          const references = await this.modem.sendPdus(parts);
          log.info({ evt: 'sms', sent: { to, parts: parts.length, references }, task: caller.name }, `SMS sent to ${to} in ${parts.length} part${parts.length > 1 ? 's' : ''}`);
          return { references, parts: parts.length };
        },
      }),
      capabilities.define('sms.block', {
        invoke: (args, caller) => {
          const id = args[0];
          if (typeof id !== 'string' || !this.#inbox?.block(caller.taskId, id)) {
            throw new CapabilityError('sms.block', `sms.block: ${JSON.stringify(id)} is not a message this task is filtering: only the active filter task may block, and only the message it was started for`, 'CAPABILITY_BAD_ARGUMENT');
          }
          return true;
        },
      }),
      capabilities.define('modem.at', {
        invoke: async (args, caller) => {
          // Raw AT can unlock SIMs, change bands, wipe storage: only for bundles the device policy names.
          const listed = this.#d.policy().config.access.bundles[caller.bundle]?.capabilities?.some((c) => c === 'modem.at');
          if (!listed) throw new CapabilityError('modem.at', `modem.at is for trusted bundles: bundle "${caller.bundle}" must be listed with "modem.at" in policy.access.bundles.${caller.bundle}.capabilities`);
          const command = args[0];
          if (typeof command !== 'string') throw new CapabilityError('modem.at', `modem.at: command ${JSON.stringify(command)} is invalid: expected a string starting with "AT"`, 'CAPABILITY_BAD_ARGUMENT');
          const r = await this.modem.at(command);
          return { lines: r.lines, final: r.final };
        },
      }),
    );
  }
}

/** The PIN provider for the driver: the secrets file, read when the SIM asks, never logged. */
export function pinProvider(cfg: ModemConfig, log: Logger): ((s: ModemStatus) => Promise<string | undefined>) | undefined {
  const file = cfg.pinFile;
  if (!file) return undefined;
  return async () => {
    const { pin, warning } = await readPinFile(file);
    if (warning) log.warn({ evt: 'modem', pinFile: file }, warning);
    return pin;
  };
}
