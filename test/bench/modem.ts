/**
 * The modem path, over a real pseudo-terminal with the real serialport binding: the round trip of
 * one AT command (AT+CSQ), and an incoming SMS — stored on the simulated SIM, announced by +CMTI,
 * read back with AT+CMGR, decoded, recorded in the ledger — until the task's run() is entered.
 * Target for the latter: p99 ≤ 50 ms.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBoard } from '../../drivers/board.js';
import { AtModem } from '../../drivers/modem/at-modem.js';
import { SerialModemPort } from '../../drivers/modem/serialport.js';
import { SimModem } from '../../drivers/modem/sim/modem.js';
import { openPtyModem } from '../../drivers/modem/sim/pty.js';
import { loadConfig } from '../../runtime/config.js';
import { Runtime } from '../../runtime/runtime.js';
import { nowMs, summary } from './stats.js';

declare global {
  var benchSmsEntered: ((at: number) => void) | undefined;
}

async function atRoundTrip(n: number) {
  const sim = new SimModem({ seed: 1, responseDelayMs: 0 });
  const pty = await openPtyModem(sim);
  const modem = new AtModem(new SerialModemPort(pty.path, { baudRate: 115200 }), { binding: 'bench', signalPollMs: 0 });
  await modem.open();
  const samples: number[] = [];
  for (let i = 0; i < n + 20; i++) {
    const t0 = nowMs();
    await modem.at('AT+CSQ');
    if (i >= 20) samples.push(nowMs() - t0);
  }
  await modem.close();
  await pty.close();
  return summary(samples);
}

async function smsToRun(n: number) {
  const root = mkdtempSync(join(tmpdir(), 'vigil-bench-modem-'));
  const bundle = join(root, 'bundles', 'sms');
  mkdirSync(bundle, { recursive: true });
  writeFileSync(join(bundle, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(bundle, 'task.js'), `function nowMs() { const [s, ns] = process.hrtime(); return s * 1000 + ns / 1e6; }
export default function run() { globalThis.benchSmsEntered?.(nowMs()); }`);
  writeFileSync(join(bundle, 'manifest.json'), JSON.stringify({ name: 'sms', version: '1.0.0', tasks: [{ name: 'sms', entry: 'task.js', isolation: 'inprocess', trigger: { type: 'SmsMessageReceivedTrigger' } }] }));
  const configFile = join(root, 'config.json');
  writeFileSync(configFile, JSON.stringify({ stateDir: 'state', bundlesDir: 'bundles', drivers: { system: { binding: 'sim' }, modem: { binding: 'sim', sim: { transport: 'pty' } } }, logging: { level: 'warn' } }));
  const config = loadConfig(configFile);
  const board = await createBoard(config);
  const runtime = await Runtime.start({ config, drivers: board });
  const sim = board.sim!.modem!;
  while (!runtime.modem!.modem.status().ready) await new Promise((r) => setTimeout(r, 10));
  const samples: number[] = [];
  for (let i = 0; i < n + 10; i++) {
    const entered = new Promise<number>((resolve) => (globalThis.benchSmsEntered = resolve));
    const emptied = new Promise<void>((resolve) => {
      const check = () => (sim.messages().length === 0 ? resolve() : setTimeout(check, 1));
      setTimeout(check, 1);
    });
    const t0 = nowMs();
    await sim.deliverSms({ from: '+447700900100', text: `reading ${i}: 21.4 C` });
    const t1 = await entered;
    await emptied;
    if (i >= 10) samples.push(t1 - t0);
  }
  await runtime.stop();
  return summary(samples);
}

export async function benchModem() {
  const atCommandRoundTripMs = await atRoundTrip(Number(process.env.BENCH_AT_N ?? 500));
  const smsUrcToRunMs = await smsToRun(200);
  return { atCommandRoundTripMs, smsUrcToRunMs };
}
