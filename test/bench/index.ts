/**
 * `npm run bench`: the runtime's speed and memory, measured in one run on this machine, as
 * JSON on stdout, each figure next to its target.
 */
import os from 'node:os';
import { benchBle } from './ble.js';
import { benchDeploy } from './deploy.js';
import { benchDispatch } from './dispatch.js';
import { benchHardware } from './hardware.js';
import { benchModem } from './modem.js';
import { benchProcess } from './process.js';
import { benchSms } from './sms.js';
import { benchWifi } from './wifi.js';

const t0 = Date.now();
const dispatch = await benchDispatch();
const t1 = Date.now();
const proc = await benchProcess();
const t2 = Date.now();
const hardware = await benchHardware();
const t3 = Date.now();
const sms = await benchSms();
const modem = await benchModem();
const t4 = Date.now();
const ble = await benchBle();
const t5 = Date.now();
const wifi = await benchWifi();
const t6 = Date.now();
const deploy = await benchDeploy();
const t7 = Date.now();

const checks = {
  inprocessP99Ms: { value: dispatch.dispatchLatencyMs.inprocess.p99, target: '<= 0.2', ok: dispatch.dispatchLatencyMs.inprocess.p99 <= 0.2 },
  warmWorkerP99Ms: { value: dispatch.dispatchLatencyMs.warmWorker.p99, target: '<= 2', ok: dispatch.dispatchLatencyMs.warmWorker.p99 <= 2 },
  reusedWorkerP99Ms: { value: dispatch.dispatchLatencyMs.reusedWorker.p99, target: 'reported', ok: true },
  coldWorkerP50Ms: { value: dispatch.dispatchLatencyMs.coldWorker.p50, target: 'reported', ok: true },
  throughputEventsPerSec: { value: dispatch.throughputEventsPerSec, target: '>= 50000', ok: dispatch.throughputEventsPerSec >= 50_000 },
  idleRssMb: { value: proc.idleRss.vigilMb, target: '<= 60', ok: proc.idleRss.vigilMb <= 60 },
  startToReadyP50Ms: { value: proc.startToReadyMs.p50, target: '<= 300', ok: proc.startToReadyMs.p50 <= 300 },
  gpioEdgeToRunInprocessP99Ms: { value: hardware.gpioEdgeToRunMs.inprocess.p99, target: 'reported (p50 too)', ok: true },
  gpioEdgeToRunWorkerP99Ms: { value: hardware.gpioEdgeToRunMs.worker.p99, target: 'reported (p50 too)', ok: true },
  gpioEdgesLostAt1kHz: { value: hardware.gpioEdgeRate.lost, target: '0', ok: hardware.gpioEdgeRate.lost === 0 },
  sensorPolling10x10HzCpuPct: { value: hardware.sensorPolling.cpuPctOfOneCore, target: '<= 5', ok: hardware.sensorPolling.cpuPctOfOneCore <= 5 && hardware.sensorPolling.failed.length === 0 },
  smsPduDecodePerSec: { value: Math.round(sms.pduDecodePerSec), target: '>= 100000', ok: sms.pduDecodePerSec >= 100_000 },
  atRoundTripOverPtyP99Ms: { value: modem.atCommandRoundTripMs.p99, target: 'reported (p50 too)', ok: true },
  smsUrcToRunP99Ms: { value: modem.smsUrcToRunMs.p99, target: '<= 50', ok: modem.smsUrcToRunMs.p99 <= 50 },
  bleAdvertParsePerSec: { value: ble.parse.advertParsePerSec, target: '>= 100000', ok: ble.parse.advertParsePerSec >= 100_000 },
  bleWatcherVigilCpuPctAt1000PerSec: { value: ble.watcherAt1000PerSec.vigilCpuPct, target: '<= 10 (simulator excluded)', ok: ble.watcherAt1000PerSec.vigilCpuPct <= 10 },
  bleBatchNewestAdvertAgeP99Ms: { value: ble.watcherAt1000PerSec.newestAdvertAgeMs.p99, target: '<= 50', ok: ble.watcherAt1000PerSec.newestAdvertAgeMs.p99 <= 50 },
  wifiProgramsPerMinuteIdle: { value: wifi.programsPerMinute.joinedIdle, target: '<= 10', ok: wifi.programsPerMinute.joinedIdle <= 10 },
  wifiProgramsPerMinuteHotspot: { value: wifi.programsPerMinute.hotspotUpWithOneClient, target: 'reported', ok: true },
  wifiLinkLossToRunP99Ms: { value: wifi.linkLossToRunMs.p99, target: '<= 1000', ok: wifi.linkLossToRunMs.p99 <= 1000 },
  deployOneMbP50Ms: { value: deploy.deployOneMs.p50, target: '< scp + restart (p50)', ok: deploy.deployOneMs.p50 < deploy.scpPlusRestartMs.p50 },
  deployVsScpRestartP50: { value: deploy.deployVsScpRestartP50, target: '< 1', ok: deploy.deployVsScpRestartP50 < 1 },
  deployFiveParallelVsOneP50: { value: deploy.fiveParallelVsOneP50, target: 'reported (1 = as fast as one)', ok: true },
  storeBurst: { value: `${dispatch.storeBurst.diskWrites} writes, ${dispatch.storeBurst.lost} lost`, target: 'few writes, none lost', ok: dispatch.storeBurst.lost === 0 && dispatch.storeBurst.diskWrites <= 10 },
};

const report = {
  machine: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGb: Math.round(os.totalmem() / 2 ** 30) },
  ...dispatch,
  ...proc,
  hardware,
  modem: { ...modem, sms },
  ble,
  wifi,
  deploy,
  checks,
  benchSeconds: { dispatch: (t1 - t0) / 1000, process: (t2 - t1) / 1000, hardware: (t3 - t2) / 1000, modem: (t4 - t3) / 1000, ble: (t5 - t4) / 1000, wifi: (t6 - t5) / 1000, deploy: (t7 - t6) / 1000 },
  allTargetsMet: Object.values(checks).every((c) => c.ok),
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
