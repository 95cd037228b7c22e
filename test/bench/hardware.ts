/**
 * GPIO and I2C on the simulated bindings, through the whole runtime: edge → task run() entered
 * (in-process and in a warm worker), whether any edge is lost at 1,000 edges/s with debounce 0,
 * and what polling 10 sensors at 10 Hz costs in CPU (share of one core). Also the real onoff
 * path's figure from the last lab run, when there is one.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBoard } from '../../drivers/board.js';
import type { SimGpio } from '../../drivers/gpio/sim.js';
import { loadConfig } from '../../runtime/config.js';
import { Runtime } from '../../runtime/runtime.js';
import { nowMs, summary } from './stats.js';

const taskCode = `
function nowMs() { const [s, ns] = process.hrtime(); return s * 1000 + ns / 1e6; }
export function inproc() { globalThis.benchEntered?.push(nowMs()); }
export async function isolated(instance) { await instance.call('bench.record', nowMs()); }
export function noop() {}
`;

declare global {
  var benchEntered: number[] | undefined;
}

async function start(drivers: Record<string, unknown>, tasks: Record<string, unknown>[]): Promise<{ runtime: Runtime; gpio: SimGpio | undefined }> {
  const root = mkdtempSync(join(tmpdir(), 'vigil-bench-hw-'));
  const bundle = join(root, 'bundles', 'hw');
  mkdirSync(bundle, { recursive: true });
  writeFileSync(join(bundle, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(bundle, 'tasks.js'), taskCode);
  writeFileSync(join(bundle, 'manifest.json'), JSON.stringify({ name: 'hw', version: '1.0.0', tasks }));
  const configFile = join(root, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({ stateDir: 'state', bundlesDir: 'bundles', drivers: { system: { binding: 'sim' }, ...drivers }, policy: { maxQueued: 16, pool: { warm: 1, keepWarmSec: 0 } }, logging: { level: 'warn' } }),
  );
  const config = loadConfig(configFile);
  const board = await createBoard(config);
  const runtime = await Runtime.start({ config, drivers: board });
  return { runtime, gpio: board.sim?.gpio };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function edgeLatency() {
  const { runtime, gpio } = await start({ gpio: { binding: 'sim', lines: { a: { line: 17 }, b: { line: 18 } } } }, [
    { name: 'inproc', entry: 'tasks.js', export: 'inproc', isolation: 'inprocess', trigger: { type: 'CustomSystemEventTrigger', triggerId: 'a.changed' } },
    { name: 'isolated', entry: 'tasks.js', export: 'isolated', trigger: { type: 'CustomSystemEventTrigger', triggerId: 'b.changed' }, capabilities: ['bench.record'] },
  ]);
  const entered: number[] = [];
  runtime.capabilities.define('bench.record', { invoke: (args) => void entered.push(Number(args[0])) });
  globalThis.benchEntered = entered;
  const measure = async (line: 'a' | 'b', name: string, n: number) => {
    const samples: number[] = [];
    for (let i = 0; i < n; i++) {
      const done = new Promise<void>((resolve) => {
        const off = runtime.dispatcher.events.on('finished', (e) => {
          if (e.name !== name) return;
          off();
          resolve();
        });
      });
      if (line === 'b') while (runtime.pool.warmIdle < 1) await sleep(1);
      const before = entered.length;
      const t0 = nowMs();
      gpio!.set(line, i % 2 === 0 ? 1 : 0);
      await done;
      if (entered.length > before) samples.push(entered[entered.length - 1]! - t0);
    }
    return summary(samples.slice(Math.min(20, Math.floor(n / 10))));
  };
  const inprocess = await measure('a', 'inproc', 1000);
  const worker = await measure('b', 'isolated', 200);
  await runtime.stop();
  return { inprocess, worker };
}

/** Edges at 1,000 per second for 3 s: every one must become an activation of the listening task. */
async function edgeRate() {
  const { runtime, gpio } = await start({ gpio: { binding: 'sim', lines: { fast: { line: 17, debounceMs: 0 } } } }, [
    { name: 'count', entry: 'tasks.js', export: 'noop', isolation: 'inprocess', trigger: { type: 'CustomSystemEventTrigger', triggerId: 'fast.changed' } },
  ]);
  let driverEdges = 0;
  let activations = 0;
  gpio!.events.on('edge', () => driverEdges++);
  runtime.dispatcher.events.on('activated', () => activations++);
  const total = 3000;
  const t0 = nowMs();
  let sent = 0;
  // A steady 1 kHz: each edge is due at t0 + k ms; catch up if the loop fell behind.
  while (sent < total) {
    const due = t0 + sent;
    const now = nowMs();
    if (now >= due) {
      gpio!.set('fast', sent % 2 === 0 ? 1 : 0);
      sent++;
    } else await sleep(Math.max(0, Math.floor(due - now)));
  }
  const seconds = (nowMs() - t0) / 1000;
  await sleep(200);
  await runtime.stop();
  return { edgesSent: total, edgesPerSec: Math.round(total / seconds), driverEdges, activations, lost: total - activations };
}

/** 10 sensors at 10 Hz on the simulated bus, through the runtime (readings, logging, thresholds). */
async function pollingCpu() {
  const types = ['bme280', 'sht3x', 'bh1750', 'mpu6050', 'qmc5883l', 'ads1115', 'tmp102', 'mcp9808', 'bmp280', 'sht3x'];
  const addresses = [0x76, 0x44, 0x23, 0x68, 0x0d, 0x48, 0x49, 0x18, 0x77, 0x45];
  const sensors = Object.fromEntries(types.map((type, i) => [`s${i}`, { type, address: addresses[i], pollMs: 100 }]));
  const { runtime } = await start({ i2c: { binding: 'sim', sensors } }, [
    { name: 'warm', entry: 'tasks.js', export: 'noop', isolation: 'inprocess', trigger: { type: 'SensorDataThresholdTrigger', sensor: 's0', threshold: { kind: 'Temperature', degreesCelsius: 0.5 } } },
  ]);
  let readings = 0;
  runtime.sensors!.events.on('reading', () => readings++);
  await sleep(1000);
  const r0 = readings;
  const cpu0 = process.cpuUsage();
  const t0 = nowMs();
  await sleep(10_000);
  const cpu = process.cpuUsage(cpu0);
  const wallMs = nowMs() - t0;
  const failed = runtime.sensors!.info().filter((s) => s.state !== 'ok').map((s) => s.name);
  await runtime.stop();
  return {
    sensors: types.length,
    readingsPerSec: Math.round(((readings - r0) * 1000) / wallMs),
    cpuPctOfOneCore: Number((((cpu.user + cpu.system) / 1000 / wallMs) * 100).toFixed(2)),
    failed,
  };
}

function labFigures(): Record<string, unknown> | undefined {
  const file = join(process.env.VIGIL_LAB_DIR ?? join(homedir(), '.cache', 'vigil-lab'), 'out', 'figures.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : undefined;
}

export async function benchHardware() {
  const latency = await edgeLatency();
  const rate = await edgeRate();
  const polling = await pollingCpu();
  return { gpioEdgeToRunMs: latency, gpioEdgeRate: rate, sensorPolling: polling, lab: labFigures() ?? 'no lab run recorded yet (npm run test:lab)' };
}
