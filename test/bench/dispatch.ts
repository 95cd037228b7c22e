/**
 * In one runtime process: dispatch latency (event raised → the task's run() entered) for
 * in-process tasks and for warm and cold workers, throughput into in-process tasks, and how
 * many disk writes a burst of 10,000 trigger-state updates costs (and that none is lost).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { SimSystem } from '../../drivers/system/sim.js';
import { loadConfig } from '../../runtime/config.js';
import { Runtime } from '../../runtime/runtime.js';
import type { StoreData } from '../../runtime/store-types.js';
import { writeFixture } from './fixture.js';
import { nowMs, summary } from './stats.js';

declare global {
  var benchLatency: number[] | undefined;
}

async function start(warm: number): Promise<{ runtime: Runtime; latencies: number[] }> {
  const fx = writeFixture({ warm });
  const runtime = await Runtime.start({ config: loadConfig(fx.configFile), drivers: { system: new SimSystem() } });
  const latencies: number[] = [];
  runtime.capabilities.define('bench.record', { invoke: (args) => void latencies.push(Number(args[0])) });
  return { runtime, latencies };
}

function finishedOnce(runtime: Runtime, name: string): Promise<void> {
  return new Promise((resolve) => {
    const off = runtime.dispatcher.events.on('finished', (e) => {
      if (e.name !== name) return;
      off();
      resolve();
    });
  });
}

async function warmReady(runtime: Runtime): Promise<void> {
  while (runtime.pool.warmIdle < 1) await new Promise((r) => setTimeout(r, 2));
}

/** Isolated runs, one at a time; the latencies the tasks recorded, minus the first (cold) runs. */
async function isolatedRuns(runtime: Runtime, latencies: number[], names: string[], count: number): Promise<number[]> {
  const from = latencies.length;
  for (let i = 0; i < count; i++) {
    const name = names[i % names.length]!;
    // After the first run of each module the pool has warmed up; wait for a fresh worker when
    // the next run will need one.
    if (i >= names.length && names.length > 1) await warmReady(runtime);
    const done = finishedOnce(runtime, name);
    runtime.emit(`bench.${name}`, { t0: nowMs() });
    await done;
  }
  return latencies.slice(from + 30);
}

export async function benchDispatch() {
  const { runtime, latencies } = await start(1);

  globalThis.benchLatency = [];
  for (let round = 0; round < 25; round++) {
    for (let i = 0; i < 400; i++) runtime.emit('bench.inproc', { t0: nowMs() });
    await yieldToLoop(); // let the log writes go out, as they would between real events
  }
  const inprocess = summary(globalThis.benchLatency.slice(1000), 4);

  let completed = 0;
  const off = runtime.dispatcher.events.on('finished', () => void completed++);
  const t0 = nowMs();
  while (nowMs() - t0 < 2000) {
    for (let i = 0; i < 500; i++) runtime.emit('bench.noop');
    await yieldToLoop();
  }
  const elapsedSec = (nowMs() - t0) / 1000;
  off();
  const throughput = Math.round(completed / elapsedSec);

  // Two modules alternating: every run on a fresh warm worker (the pool refills while a task runs).
  const warm = summary(await isolatedRuns(runtime, latencies, ['isolated', 'isolated2'], 230), 3);
  // One module again and again: its worker is kept and reused after each clean run.
  const reused = summary(await isolatedRuns(runtime, latencies, ['isolated'], 230), 3);

  // 10,000 trigger-state updates in one burst: how many store writes, and is any update lost?
  const store = runtime.store;
  await store.flush();
  const noopId = runtime.registry.records().find((r) => r.name === 'noop')!.taskId;
  const before = store.data.triggerState[noopId]?.fireCount ?? 0;
  const writes0 = store.stats.writes;
  for (let i = 0; i < 10_000; i++) runtime.emit('bench.noop');
  await store.flush();
  const burstWrites = store.stats.writes - writes0;
  const onDisk = JSON.parse(readFileSync(join(runtime.config.stateDir, 'store.json'), 'utf8')) as StoreData;
  const fireCountOnDisk = onDisk.triggerState[noopId]?.fireCount ?? 0;
  await runtime.stop();

  // No warm workers, and the two modules alternating so no worker is reused: every run is cold.
  const cold = await start(0);
  for (let i = 0; i < 25; i++) {
    const name = i % 2 === 0 ? 'isolated' : 'isolated2';
    const done = finishedOnce(cold.runtime, name);
    cold.runtime.emit(`bench.${name}`, { t0: nowMs() });
    await done;
  }
  await cold.runtime.stop();

  return {
    dispatchLatencyMs: { inprocess, warmWorker: warm, reusedWorker: reused, coldWorker: summary(cold.latencies, 2) },
    throughputEventsPerSec: throughput,
    storeBurst: { updates: 10_000, diskWrites: burstWrites, lost: before + 10_000 - fireCountOnDisk },
  };
}
