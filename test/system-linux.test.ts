import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FakeClock } from '../runtime/clock.js';
import { DriverError } from '../runtime/errors.js';
import { LinuxSystem } from '../drivers/system/linux.js';
import { linkKind } from '../drivers/system/link.js';
import { parseDefaultRoute, parseLoadavg, parseMeminfo, parsePressure, parseThrottledHex } from '../drivers/system/procfs.js';
import { parseLogindSession, parseUtmp, UTMP_RECORD_SIZE } from '../drivers/system/utmp.js';
import { zoneFromLinkTarget, zoneFromTimezoneFile } from '../drivers/system/zone.js';
import type { NetworkState, SystemEvents } from '../drivers/system/system.js';

const scratch = mkdtempSync(join(tmpdir(), 'vigil-system-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let treeCount = 0;
function fakeTree() {
  const root = join(scratch, `t${treeCount++}`);
  mkdirSync(root);
  const at = (rel: string) => join(root, rel);
  return {
    root,
    write(rel: string, content: string | Buffer) {
      mkdirSync(dirname(at(rel)), { recursive: true });
      writeFileSync(at(rel), content);
    },
    mkdir(rel: string) {
      mkdirSync(at(rel), { recursive: true });
    },
    link(rel: string, target: string) {
      mkdirSync(dirname(at(rel)), { recursive: true });
      rmSync(at(rel), { force: true });
      symlinkSync(target, at(rel));
    },
    remove(rel: string) {
      rmSync(at(rel), { recursive: true, force: true });
    },
  };
}

const PI4_MEMINFO = `MemTotal:        3884180 kB
MemFree:         2937240 kB
MemAvailable:    3355443 kB
Buffers:           40312 kB
Cached:           522016 kB
SwapCached:            0 kB
Active:           321704 kB
Inactive:         423116 kB
HugePages_Total:       0
Hugepagesize:       2048 kB
`;

const PSI = `some avg10=1.25 avg60=0.40 avg300=0.10 total=123456
full avg10=0.50 avg60=0.10 avg300=0.02 total=65432
`;

const ROUTE_HEADER = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       \n';
const route = (iface: string, dest: string, gw: string, flags: string, metric: number, mask: string) =>
  `${iface}\t${dest}\t${gw}\t${flags}\t0\t0\t${metric}\t${mask}\t0\t0\t0                                                                               \n`;
const WLAN_DEFAULT = route('wlan0', '00000000', '0101A8C0', '0003', 600, '00000000') + route('wlan0', '0001A8C0', '00000000', '0001', 600, '00FFFFFF');

interface UtmpFields {
  type: number;
  pid: number;
  line?: string;
  id?: string;
  user?: string;
  host?: string;
  sec?: number;
  usec?: number;
}

/** One glibc utmp record, laid out byte by byte as on a Pi (little-endian, 384 bytes). */
function utmpRecord(f: UtmpFields): Buffer {
  const b = Buffer.alloc(UTMP_RECORD_SIZE);
  b.writeInt16LE(f.type, 0);
  b.writeInt32LE(f.pid, 4);
  b.write(f.line ?? '', 8, 32, 'utf8');
  b.write(f.id ?? '', 40, 4, 'utf8');
  b.write(f.user ?? '', 44, 32, 'utf8');
  b.write(f.host ?? '', 76, 256, 'utf8');
  b.writeInt32LE(f.sec ?? 0, 340);
  b.writeInt32LE(f.usec ?? 0, 344);
  return b;
}

const BOOT = utmpRecord({ type: 2, pid: 0, line: '~', id: '~~', user: 'reboot', host: '6.6.31+rpt-rpi-v8', sec: 1767225000 });
const PI_SSH = utmpRecord({ type: 7, pid: 1234, line: 'pts/0', id: 'ts/0', user: 'pi', host: '192.168.1.20', sec: 1767225600, usec: 250_000 });
const DEAD = utmpRecord({ type: 8, pid: 999, line: 'pts/1', id: 'ts/1', user: 'olduser', sec: 1767225500 });

/** A Raspberry Pi 4 as its kernel shows it. */
function pi4Tree() {
  const t = fakeTree();
  t.write('proc/meminfo', PI4_MEMINFO);
  t.write('proc/pressure/memory', PSI);
  t.write('proc/loadavg', '0.52 0.58 0.59 1/215 4242\n');
  t.write('sys/class/thermal/thermal_zone0/type', 'iwlwifi_1\n');
  t.write('sys/class/thermal/thermal_zone0/temp', '38000\n');
  t.write('sys/class/thermal/thermal_zone1/type', 'cpu-thermal\n');
  t.write('sys/class/thermal/thermal_zone1/temp', '51540\n');
  t.write('sys/devices/platform/soc/soc:firmware/get_throttled', '50005\n');
  t.write('usr/share/zoneinfo/Europe/London', 'TZif2');
  t.write('usr/share/zoneinfo/Europe/Berlin', 'TZif2');
  t.link('etc/localtime', '../usr/share/zoneinfo/Europe/London');
  t.write('etc/timezone', 'Europe/London\n');
  // A truncated trailing record: the file caught mid-append.
  const ghost = utmpRecord({ type: 7, pid: 4321, line: 'pts/5', user: 'ghost', sec: 1767225700 }).subarray(0, 100);
  t.write('run/utmp', Buffer.concat([BOOT, PI_SSH, DEAD, ghost]));
  t.write('run/systemd/sessions/5', '# This is private data. Do not parse.\nUID=1000\nUSER=operator\nACTIVE=1\nSTATE=active\nTYPE=tty\nCLASS=user\nTTY=tty1\nLEADER=777\nREALTIME=1767225650123456\n');
  t.write('run/systemd/sessions/c1', 'UID=111\nUSER=lightdm\nCLASS=greeter\nLEADER=600\nREALTIME=1767225000000000\n');
  t.write('run/systemd/sessions/3', 'UID=1000\nUSER=pi\nCLASS=user\nSERVICE=sshd\nREMOTE=1\nREMOTE_HOST=192.168.1.20\nLEADER=1234\nREALTIME=1767225600250000\n');
  // Each session has a FIFO next to its file; reading one would block the poll forever.
  execFileSync('mkfifo', [join(t.root, 'run/systemd/sessions/5.ref')]);
  t.write('proc/net/route', ROUTE_HEADER + WLAN_DEFAULT);
  t.mkdir('sys/class/net/wlan0/wireless');
  return t;
}

function record(sys: LinuxSystem) {
  const seen: { [K in keyof SystemEvents]: SystemEvents[K][0][] } = {
    readings: [], timeZone: [], sessions: [], network: [], supply: [], deviceEvent: [], error: [],
  };
  for (const name of Object.keys(seen) as (keyof SystemEvents)[]) {
    sys.events.on(name, ((arg: unknown) => void (seen[name] as unknown[]).push(arg)) as never);
  }
  return seen;
}

test('parsers read real-format procfs text and reject what is not', () => {
  assert.deepEqual(parseMeminfo(PI4_MEMINFO), { memTotalKb: 3884180, memAvailableKb: 3355443 });
  assert.deepEqual(parseMeminfo('  MemAvailable:12 kB\r\nMemTotal:\t\t40 kB'), { memTotalKb: 40, memAvailableKb: 12 });
  assert.throws(() => parseMeminfo('MemTotal: 3884180 kB\nMemFree: 1 kB\n'), /MemAvailable/);
  assert.throws(() => parseMeminfo('MemTot'), /MemTotal and MemAvailable/);
  assert.deepEqual(parsePressure(PSI), { some10: 1.25, full10: 0.5 });
  assert.deepEqual(parsePressure('some avg10=3.10 avg60=1.00 avg300=0.00 total=5'), { some10: 3.1, full10: 0 });
  assert.throws(() => parsePressure('full avg10=1.00'), (e: unknown) => e instanceof DriverError && /some avg10/.test(e.message));
  assert.equal(parseLoadavg('  0.52 0.58 0.59 1/215 4242\n'), 0.52);
  assert.throws(() => parseLoadavg(''), /loadavg first field ""/);
  assert.throws(() => parseLoadavg('abc 1 2'), /"abc"/);
  assert.equal(parseThrottledHex('50005\n'), 0x50005);
  assert.equal(parseThrottledHex(' 0x0 '), 0);
  assert.throws(() => parseThrottledHex('throttled=0x50005'), /"throttled=0x50005"/);
});

test('the default route is the up, all-zero route with the lowest metric; truncated lines are skipped', () => {
  const table =
    ROUTE_HEADER +
    WLAN_DEFAULT +
    route('eth0', '00000000', '0101A8C0', '0003', 100, '00000000') +
    route('ppp0', '00000000', '00000000', '0000', 0, '00000000') + // not up
    'usb0\t00000000\t00000000\t0001\t0\t0\t0';
  assert.deepEqual(parseDefaultRoute(table), { iface: 'eth0', metric: 100 });
  assert.equal(parseDefaultRoute(ROUTE_HEADER + route('eth0', '0001A8C0', '00000000', '0001', 0, '00FFFFFF')), undefined);
  assert.equal(parseDefaultRoute(''), undefined);
  assert.throws(() => parseDefaultRoute('Iface Gateway\neth0 0\n'), /lacks/);
});

test('utmp: USER_PROCESS records only, truncated tail ignored; logind: user classes only', () => {
  const sessions = parseUtmp(Buffer.concat([BOOT, PI_SSH, DEAD, PI_SSH.subarray(0, 383)]));
  assert.deepEqual(sessions, [{ user: 'pi', line: 'pts/0', host: '192.168.1.20', pid: 1234, loginAt: 1767225600250 }]);
  assert.deepEqual(parseUtmp(Buffer.alloc(0)), []);
  assert.deepEqual(parseLogindSession('USER=pi\nTTY=/dev/pts/2\nLEADER=55\nREALTIME=2000000\n'), { user: 'pi', line: 'pts/2', host: '', pid: 55, loginAt: 2000 });
  assert.equal(parseLogindSession('USER=gdm\nCLASS=greeter\nLEADER=9\n'), undefined);
  assert.equal(parseLogindSession('USER=pi\nCLASS=user\nSTATE=closing\nLEADER=9\n'), undefined);
  assert.equal(parseLogindSession('USER=pi\nCLASS=user\n'), undefined, 'no LEADER');
  assert.equal(parseLogindSession('USER=pi\nCLASS=user\nLEADER=12'.slice(0, -3)), undefined, 'truncated');
});

test('time zone names come from the localtime link or /etc/timezone', () => {
  assert.equal(zoneFromLinkTarget('/usr/share/zoneinfo/Europe/London'), 'Europe/London');
  assert.equal(zoneFromLinkTarget('../usr/share/zoneinfo/posix/America/Argentina/Buenos_Aires'), 'America/Argentina/Buenos_Aires');
  assert.equal(zoneFromLinkTarget('/etc/alternatives/localtime'), undefined);
  assert.equal(zoneFromLinkTarget('/usr/share/zoneinfo/../../../etc/passwd'), undefined);
  assert.equal(zoneFromTimezoneFile('\n  Etc/UTC  \n'), 'Etc/UTC');
  assert.equal(zoneFromTimezoneFile(''), undefined);
});

test('link kinds from sysfs and interface names', () => {
  const t = fakeTree();
  t.mkdir('sys/class/net/wlan0/phy80211');
  t.mkdir('sys/class/net/usb0/device');
  t.link('sys/class/net/usb0/device/driver', '../../../../bus/usb/drivers/qmi_wwan');
  t.mkdir('sys/class/net/eth1/device');
  t.link('sys/class/net/eth1/device/driver', '../../../../bus/usb/drivers/cdc_mbim');
  t.mkdir('sys/class/net/eth0/device');
  t.link('sys/class/net/eth0/device/driver', '../../../../bus/platform/drivers/bcmgenet');
  assert.equal(linkKind(t.root, 'wlan0'), 'wifi');
  assert.equal(linkKind(t.root, 'usb0'), 'cellular');
  assert.equal(linkKind(t.root, 'eth1'), 'cellular');
  assert.equal(linkKind(t.root, 'eth0'), 'ethernet');
  assert.equal(linkKind(t.root, 'end0'), 'ethernet');
  assert.equal(linkKind(t.root, 'ppp0'), 'cellular');
  assert.equal(linkKind(t.root, 'wwan0'), 'cellular');
  assert.equal(linkKind(t.root, 'tun0'), 'other');
});

test('a Raspberry Pi 4 tree: first sample, then polled changes emit their events', async () => {
  const t = pi4Tree();
  const clock = new FakeClock();
  const sys = new LinuxSystem({ clock, root: t.root });
  const seen = record(sys);
  const tzBefore = process.env.TZ;
  await sys.open();

  const r = sys.readings();
  assert.equal(r.memTotalKb, 3884180);
  assert.equal(r.memAvailableKb, 3355443);
  assert.deepEqual(r.memPressure, { some10: 1.25, full10: 0.5 });
  assert.equal(r.load1, 0.52);
  assert.ok(r.cores >= 1);
  assert.equal(r.socTempC, 51.54, 'the cpu-thermal zone is preferred over the first one');
  assert.equal(r.throttled?.raw, 0x50005);
  assert.equal(r.throttled?.underVoltage, true);
  assert.equal(r.throttled?.throttledOccurred, true);
  assert.equal(r.throttled?.freqCapped, false);
  assert.equal(sys.supplyGood(), false);
  assert.equal(sys.timeZone(), 'Europe/London');
  assert.deepEqual(
    sys.sessions().map((s) => [s.user, s.line, s.host, s.pid]),
    [
      ['pi', 'pts/0', '192.168.1.20', 1234],
      ['operator', 'tty1', '', 777],
    ],
  );
  assert.deepEqual(sys.network(), { defaultRoute: { iface: 'wlan0', kind: 'wifi' }, internet: true, metered: false });

  // Nothing changed: one readings event per poll, nothing else.
  clock.advance(2000);
  assert.equal(seen.readings.length, 1);
  assert.equal(seen.readings[0]?.at, clock.now());
  assert.equal(seen.supply.length + seen.timeZone.length + seen.sessions.length + seen.network.length + seen.error.length, 0);

  // The supply recovers, then browns out again.
  t.write('sys/devices/platform/soc/soc:firmware/get_throttled', '0x50000\n');
  t.write('proc/meminfo', PI4_MEMINFO.replace('3355443', '300000'));
  clock.advance(2000);
  assert.deepEqual(seen.supply, [{ good: true, cause: 'supply voltage back to normal' }]);
  assert.equal(sys.readings().memAvailableKb, 300000);
  t.write('sys/devices/platform/soc/soc:firmware/get_throttled', '50005');
  clock.advance(2000);
  assert.deepEqual(seen.supply[1], { good: false, cause: 'under-voltage reported by the SoC firmware' });

  // The zone changes (timedatectl relinks /etc/localtime).
  t.link('etc/localtime', '../usr/share/zoneinfo/Europe/Berlin');
  clock.advance(2000);
  assert.deepEqual(seen.timeZone, [{ from: 'Europe/London', to: 'Europe/Berlin' }]);
  assert.equal(sys.timeZone(), 'Europe/Berlin');
  assert.equal(process.env.TZ, tzBefore, 'TZ is only assigned when reading the real root');

  // An operator logs in on pts/1 (sshd appends a USER_PROCESS record), then logs out (DEAD_PROCESS).
  const admin = { type: 7, pid: 2222, line: 'pts/1', id: 'ts/1', user: 'admin', host: '10.0.0.5', sec: 1767226000 };
  t.write('run/utmp', Buffer.concat([BOOT, PI_SSH, DEAD, utmpRecord(admin)]));
  clock.advance(2000);
  assert.equal(seen.sessions.length, 1);
  assert.deepEqual(seen.sessions[0]?.added, [{ user: 'admin', line: 'pts/1', host: '10.0.0.5', pid: 2222, loginAt: 1767226000000 }]);
  assert.deepEqual(seen.sessions[0]?.removed, []);
  assert.equal(seen.sessions[0]?.sessions.length, 3);
  t.write('run/utmp', Buffer.concat([BOOT, PI_SSH, DEAD, utmpRecord({ ...admin, type: 8 })]));
  clock.advance(2000);
  assert.equal(seen.sessions.length, 2);
  assert.deepEqual(seen.sessions[1]?.removed.map((s) => s.user), ['admin']);
  assert.equal(sys.sessions().length, 2);

  // The default route moves to a cellular ppp link, then disappears.
  t.write('proc/net/route', ROUTE_HEADER + route('ppp0', '00000000', '00000000', '0001', 0, '00000000') + WLAN_DEFAULT);
  clock.advance(2000);
  assert.deepEqual(seen.network.at(-1), { defaultRoute: { iface: 'ppp0', kind: 'cellular' }, internet: true, metered: true });
  t.write('proc/net/route', ROUTE_HEADER);
  clock.advance(2000);
  assert.deepEqual(seen.network.at(-1), { internet: false, metered: false });
  assert.equal(seen.network.length, 2);

  assert.equal(seen.error.length, 0, seen.error.map((e) => e.message).join('; '));
  assert.equal(seen.deviceEvent.length, 0);
  await sys.close();
  const count = seen.readings.length;
  clock.advance(10_000);
  assert.equal(seen.readings.length, count, 'no polls after close');
  assert.equal(clock.pending, 0);
});

test('a file that keeps failing is reported once, and again only after it recovered and failed anew', async () => {
  const t = pi4Tree();
  const clock = new FakeClock();
  const sys = new LinuxSystem({ clock, root: t.root, pollMs: 1000 });
  const seen = record(sys);
  await sys.open();
  t.write('proc/loadavg', 'garbage\n');
  clock.advance(1000);
  clock.advance(1000);
  clock.advance(1000);
  assert.equal(seen.error.length, 1);
  assert.ok(seen.error[0] instanceof DriverError);
  assert.match(seen.error[0].message, /proc\/loadavg/);
  assert.match(seen.error[0].message, /"garbage"/);
  assert.equal(sys.readings().load1, 0.52, 'the last good load is kept');
  assert.equal(seen.readings.length, 3, 'polling goes on');
  t.write('proc/loadavg', '2.00 1.00 0.50 3/200 999\n');
  clock.advance(1000);
  assert.equal(sys.readings().load1, 2);
  t.remove('proc/loadavg');
  clock.advance(1000);
  clock.advance(1000);
  assert.equal(seen.error.length, 2);
  assert.match(seen.error[1]?.message ?? '', /ENOENT/);
  await sys.close();
});

test('no PSI file, no thermal zone, no firmware: those readings are simply absent', async () => {
  const t = fakeTree();
  t.write('proc/meminfo', PI4_MEMINFO);
  t.write('proc/loadavg', '0.00 0.00 0.00 1/80 10\n');
  const sys = new LinuxSystem({ clock: new FakeClock(), root: t.root });
  await sys.open();
  const r = sys.readings();
  assert.equal(r.memPressure, undefined);
  assert.equal(r.socTempC, undefined);
  assert.equal(r.throttled, undefined);
  assert.equal(sys.supplyGood(), true);
  assert.equal(sys.timeZone(), 'UTC');
  assert.deepEqual(sys.sessions(), []);
  assert.deepEqual(sys.network(), { internet: false, metered: false });
  await sys.close();
});

test('the Pi 5 firmware directory is found under its bus-address name; rpi_volt is the fallback', async () => {
  const pi5 = fakeTree();
  pi5.write('proc/meminfo', PI4_MEMINFO);
  pi5.write('proc/loadavg', '0.1 0.1 0.1 1/80 10\n');
  pi5.mkdir('sys/devices/platform/soc@107c000000/107c013880.i2c');
  pi5.write('sys/devices/platform/soc@107c000000/soc@107c000000:firmware/get_throttled', '0x2\n');
  pi5.write('etc/timezone', 'Asia/Tokyo\n');
  const a = new LinuxSystem({ clock: new FakeClock(), root: pi5.root });
  await a.open();
  assert.equal(a.readings().throttled?.freqCapped, true);
  assert.equal(a.readings().throttled?.underVoltage, false);
  assert.equal(a.timeZone(), 'Asia/Tokyo', '/etc/timezone when there is no localtime link');
  await a.close();

  const volt = fakeTree();
  volt.write('proc/meminfo', PI4_MEMINFO);
  volt.write('proc/loadavg', '0.1 0.1 0.1 1/80 10\n');
  volt.write('sys/class/hwmon/hwmon0/name', 'cpu_thermal\n');
  volt.write('sys/class/hwmon/hwmon1/name', 'rpi_volt\n');
  volt.write('sys/class/hwmon/hwmon1/in0_lcrit_alarm', '1\n');
  const clock = new FakeClock();
  const b = new LinuxSystem({ clock, root: volt.root });
  const seen = record(b);
  await b.open();
  assert.equal(b.readings().throttled?.underVoltage, true);
  assert.equal(b.supplyGood(), false);
  volt.write('sys/class/hwmon/hwmon1/in0_lcrit_alarm', '0\n');
  clock.advance(2000);
  assert.deepEqual(seen.supply, [{ good: true, cause: 'supply voltage back to normal' }]);
  await b.close();
});

test('open() without /proc/meminfo rejects with a DriverError naming the file', async () => {
  const t = fakeTree();
  t.write('proc/loadavg', '0.1 0.1 0.1 1/80 10\n');
  const sys = new LinuxSystem({ clock: new FakeClock(), root: t.root });
  await assert.rejects(sys.open(), (e: unknown) => e instanceof DriverError && e.message.includes(join(t.root, 'proc/meminfo')));
  assert.throws(() => sys.readings(), DriverError);
  assert.throws(() => new LinuxSystem({ probe: { host: 'example.org', port: 0 } }), /probe port 0/);
});

test('the internet probe: a local TCP server answering, then gone; never two probes at once', async () => {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const t = pi4Tree();
  const clock = new FakeClock();
  const sys = new LinuxSystem({ clock, root: t.root, probe: { host: '127.0.0.1', port, intervalMs: 30_000, timeoutMs: 2000 } });
  const seen = record(sys);
  await sys.open();
  assert.equal(sys.network().internet, true, 'the first probe answered before open() resolved');

  const waitNetwork = () => new Promise<NetworkState>((resolve) => sys.events.once('network', resolve));
  // Three intervals pass at once: one probe is in flight, the others are skipped.
  const before = connections;
  const landed = new Promise<void>((resolve) => server.once('connection', () => setImmediate(resolve)));
  clock.advance(30_000);
  clock.advance(30_000);
  clock.advance(30_000);
  await landed;
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(connections - before, 1);

  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const lost = waitNetwork();
  clock.advance(30_000);
  assert.deepEqual(await lost, { defaultRoute: { iface: 'wlan0', kind: 'wifi' }, internet: false, metered: false });
  assert.equal(sys.network().internet, false);
  assert.equal(seen.network.length, 1);
  await sys.close();
});

test('reading the real machine', async () => {
  const sys = new LinuxSystem();
  await sys.open();
  const r = sys.readings();
  assert.ok(r.memTotalKb > 0);
  assert.ok(r.memAvailableKb <= r.memTotalKb);
  assert.ok(r.cores >= 1);
  assert.ok(sys.timeZone().length > 0);
  await sys.close();
});
