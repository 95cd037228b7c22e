/**
 * One look at what the kernel reports under a root: memory, pressure, load, temperature,
 * throttling, sessions, the default route. The linux binding calls it every poll and does the
 * watching (diffs, events, the probe) itself.
 *
 * Files are read synchronously: they are in-memory (procfs, sysfs, /run is tmpfs) or tiny and
 * cached, a sample reads about twenty of them every few seconds, and a sample that completes
 * within one clock tick keeps readings, sessions and network consistent with each other.
 *
 * A file that fails is reported once when it starts failing, not on every poll after, and the
 * last good value stands in for it (a missed read must not look like a recovery).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../runtime/clock.js';
import { DriverError, errorMessage } from '../../runtime/errors.js';
import { linkKind } from './link.js';
import { parseDefaultRoute, parseLoadavg, parseMeminfo, parsePressure, parseThrottledHex } from './procfs.js';
import type { MemInfo } from './procfs.js';
import { findRpiVoltAlarm, findThrottledFile, parseAlarm, parseMilliCelsius, thermalZoneTemps } from './soc.js';
import { decodeThrottled } from './system.js';
import type { LinkKind, Session, SystemReadings, ThrottleFlags } from './system.js';
import { mergeSessions, parseLogindSession, parseUtmp } from './utmp.js';

/** Read errors that mean "this kernel or board does not have it", not a failure. */
const ABSENT_CODES = new Set(['ENOENT', 'ENOTDIR', 'ENODEV', 'ENODATA', 'EOPNOTSUPP', 'ENOTSUP']);
// /proc/pressure/* exists but answers EOPNOTSUPP when PSI is built in and disabled at boot
// (the Raspberry Pi OS default); that is "no PSI", not an error.

function isAbsent(err: unknown): boolean {
  return ABSENT_CODES.has((err as { code?: string }).code ?? '');
}

/** A read that failed and was reported; the caller keeps its last value. */
export const FAILED = Symbol('failed');
type Read<T> = T | undefined | typeof FAILED;

export interface Route {
  iface: string;
  kind: LinkKind;
}

const text =
  <T>(parse: (s: string) => T) =>
  (b: Buffer): T =>
    parse(b.toString('utf8'));

export class LinuxSampler {
  readonly #root: string;
  readonly #clock: Clock;
  readonly #onError: (err: DriverError) => void;
  readonly #failing = new Set<string>();
  #thermalPath: string | undefined;
  #throttledPath: string | undefined;
  #voltAlarmPath: string | undefined;

  constructor(root: string, clock: Clock, onError: (err: DriverError) => void) {
    this.#root = root;
    this.#clock = clock;
    this.#onError = onError;
  }

  path(rel: string): string {
    return join(this.#root, rel);
  }

  /** The first sample: throws when even meminfo is unreadable (this is not a Linux procfs). */
  first(): SystemReadings {
    const meminfo = this.path('proc/meminfo');
    let mem: MemInfo;
    try {
      mem = parseMeminfo(readFileSync(meminfo, 'utf8'));
    } catch (err) {
      throw new DriverError('system', `cannot read ${meminfo}: ${errorMessage(err)}; expected a Linux procfs`, { cause: err });
    }
    // The firmware's files do not come and go; find them once.
    this.#throttledPath = findThrottledFile(this.#root);
    if (!this.#throttledPath) this.#voltAlarmPath = findRpiVoltAlarm(this.#root);
    return this.readings(undefined, mem);
  }

  readings(prev: SystemReadings | undefined, mem?: MemInfo): SystemReadings {
    if (!mem) {
      const m = this.#read(this.path('proc/meminfo'), text(parseMeminfo), false);
      mem = m === FAILED || m === undefined ? { memTotalKb: prev?.memTotalKb ?? 0, memAvailableKb: prev?.memAvailableKb ?? 0 } : m;
    }
    const pressure = this.#read(this.path('proc/pressure/memory'), text(parsePressure), true);
    const load = this.#read(this.path('proc/loadavg'), text(parseLoadavg), false);
    const readings: SystemReadings = {
      at: this.#clock.now(),
      ...mem,
      load1: load === FAILED || load === undefined ? (prev?.load1 ?? 0) : load,
      cores: availableParallelism(),
    };
    if (pressure !== FAILED && pressure !== undefined) readings.memPressure = pressure;
    const temp = this.#temperature();
    if (temp !== undefined) readings.socTempC = temp;
    const throttled = this.#throttled(prev?.throttled);
    if (throttled) readings.throttled = throttled;
    return readings;
  }

  /** utmp and logind merged; FAILED when either could not be read (keep the last list). */
  sessions(): Session[] | typeof FAILED {
    const utmp = this.#read(this.path('run/utmp'), parseUtmp, true);
    if (utmp === FAILED) return FAILED;
    const dir = this.path('run/systemd/sessions');
    let names: string[];
    try {
      // Only regular files: the directory also holds each session's "<id>.ref" FIFO, and
      // reading a FIFO blocks until a writer appears.
      names = readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isFile() && !e.name.includes('.'))
        .map((e) => e.name);
      this.#failing.delete(dir);
    } catch (err) {
      if (!isAbsent(err)) {
        this.#fail(dir, err);
        return FAILED;
      }
      names = [];
    }
    const logind: Session[] = [];
    for (const name of names) {
      // A session that ends between the listing and the read is simply gone (absent is fine).
      const s = this.#read(join(dir, name), text(parseLogindSession), true);
      if (s === FAILED) return FAILED;
      if (s) logind.push(s);
    }
    return mergeSessions(utmp ?? [], logind);
  }

  /** The default route and its link kind; `prev` when the table could not be read. */
  route(prev: Route | undefined): Route | undefined {
    const r = this.#read(this.path('proc/net/route'), text(parseDefaultRoute), true);
    if (r === FAILED) return prev;
    if (!r) return undefined;
    return { iface: r.iface, kind: linkKind(this.#root, r.iface) };
  }

  /** Read and parse one file. undefined: absent (where allowed); FAILED: reported. */
  #read<T>(path: string, parse: (data: Buffer) => T, absentOk: boolean): Read<T> {
    let data: Buffer;
    try {
      data = readFileSync(path);
    } catch (err) {
      if (absentOk && isAbsent(err)) {
        this.#failing.delete(path);
        return undefined;
      }
      this.#fail(path, err);
      return FAILED;
    }
    try {
      const value = parse(data);
      this.#failing.delete(path);
      return value;
    } catch (err) {
      this.#fail(path, err);
      return FAILED;
    }
  }

  #fail(path: string, err: unknown): void {
    if (this.#failing.has(path)) return;
    this.#failing.add(path);
    this.#onError(new DriverError('system', `cannot read ${path}: ${errorMessage(err)}`, { cause: err }));
  }

  #temperature(): number | undefined {
    if (this.#thermalPath) {
      const t = this.#read(this.#thermalPath, text(parseMilliCelsius), true);
      if (typeof t === 'number') return t;
    }
    // Some zones (a Wi-Fi chip's, with the interface down) refuse to read; take the first that answers.
    for (const path of thermalZoneTemps(this.#root)) {
      try {
        const t = parseMilliCelsius(readFileSync(path, 'utf8'));
        this.#thermalPath = path;
        return t;
      } catch {
        continue;
      }
    }
    this.#thermalPath = undefined;
    return undefined;
  }

  #throttled(prev: ThrottleFlags | undefined): ThrottleFlags | undefined {
    if (this.#throttledPath) {
      const raw = this.#read(this.#throttledPath, text(parseThrottledHex), false);
      return raw === FAILED || raw === undefined ? prev : decodeThrottled(raw);
    }
    if (this.#voltAlarmPath) {
      const alarm = this.#read(this.#voltAlarmPath, text(parseAlarm), false);
      return alarm === FAILED || alarm === undefined ? prev : decodeThrottled(alarm ? 1 : 0);
    }
    return undefined;
  }
}
