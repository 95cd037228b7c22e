/**
 * Deploy: a 1 MB bundle to a loopback device, end to end (the `vigil deploy` command: connect,
 * host key, upload, checksums, switch, hot reload, health check), beside what people do without
 * vigil — `scp` of the same archive plus a restart of the runtime until it is ready again —
 * measured in the same run; and the same deploy to five devices at once.
 * Every device is a real sshd on 127.0.0.1 and a real compiled runtime with its own directories.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBundle as buildArchive } from '../../deploy/bundle.js';
import { shellQuote } from '../../deploy/ssh/quote.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { nowMs, summary } from './stats.js';

const VIGIL = fileURLToPath(new URL('../../bin/vigil.js', import.meta.url));
const DEPLOYS = 8;
const RESTARTS = 5;

interface BenchDevice {
  sshd: Sshd;
  config: string;
  bundles: string;
  root: string;
  child?: ChildProcess;
}

async function startRuntime(d: BenchDevice): Promise<void> {
  const child = spawn(process.execPath, [VIGIL, 'run', '--config', d.config], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  d.child = child;
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the device runtime did not become ready:\n${out}`)), 30_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      if (/runtime ready/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the device runtime exited (${code}):\n${out}`)));
  });
}

async function stopRuntime(d: BenchDevice): Promise<void> {
  const child = d.child;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function startDevice(): Promise<BenchDevice> {
  const root = mkdtempSync(join(tmpdir(), 'vigil-bench-device-'));
  const config = join(root, 'config.json');
  writeFileSync(config, JSON.stringify({ stateDir: 'state', bundlesDir: 'bundles', drivers: { system: { binding: 'sim' } } }));
  mkdirSync(join(root, 'bundles'));
  const d: BenchDevice = { sshd: await startSshd(), config, bundles: join(root, 'bundles'), root };
  await startRuntime(d);
  return d;
}

/** A bundle of one small task and 1 MB that does not compress, as `vigil bundle` writes it. */
function archive(dir: string, version: string, data: Buffer): string {
  const src = join(dir, `src-${version}`, 'meter');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(src, 'read.js'), 'export default function run(instance) { instance.progress = 100; }\n');
  writeFileSync(join(src, 'calibration.bin'), data);
  writeFileSync(join(src, 'manifest.json'), JSON.stringify({ name: 'meter', version, tasks: [{ name: 'read', entry: 'read.js', trigger: { type: 'ApplicationTrigger', name: 'meter-read' } }] }));
  return buildArchive(src, join(dir, `meter-${version}.vigil.tgz`)).file;
}

function run(command: string, args: string[]): void {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
}

function deployArgs(file: string, knownHosts: string, hosts: string): string[] {
  return [VIGIL, 'deploy', file, '--known-hosts', knownHosts, '--inventory', hosts, '--concurrency', '5'];
}

function inventory(dir: string, devices: BenchDevice[]): string {
  const lines = ['[devices]'];
  devices.forEach((d, i) => lines.push(`device-${i + 1} ansible_host=127.0.0.1 ansible_port=${d.sshd.port} ansible_user=${d.sshd.user} ansible_ssh_private_key_file=${d.sshd.clientKeyPath} vigil_config=${d.config}`));
  lines.push('[devices:vars]', `vigil_command=${JSON.stringify(shellQuote([process.execPath, VIGIL]))}`);
  const file = join(dir, 'hosts.ini');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function timed(args: string[]): number {
  const t0 = nowMs();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const ms = nowMs() - t0;
  if (r.status !== 0) throw new Error(`vigil ${args.slice(1, 3).join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return ms;
}

export async function benchDeploy() {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-deploy-'));
  const devices = await Promise.all(Array.from({ length: 5 }, () => startDevice()));
  try {
    const knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, devices.map((d) => `[127.0.0.1]:${d.sshd.port} ${d.sshd.hostPublicKey}\n`).join(''));
    const hosts = inventory(dir, devices);
    const data = randomBytes(1024 * 1024);
    const one = devices[0]!;

    const deployMs: number[] = [];
    let bytes = 0;
    for (let i = 0; i < DEPLOYS; i++) {
      const file = archive(dir, `1.0.${i}`, data);
      bytes = statSync(file).size;
      deployMs.push(timed([...deployArgs(file, knownHosts, hosts), '--limit', 'device-1']));
    }

    // Without vigil: copy the archive over with scp, then restart the runtime and wait until it is ready.
    const scpRestartMs: number[] = [];
    const file = archive(dir, '2.0.0', data);
    for (let i = 0; i < RESTARTS; i++) {
      const t0 = nowMs();
      run('scp', ['-q', '-i', one.sshd.clientKeyPath, '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-P', String(one.sshd.port), file, `${one.sshd.user}@127.0.0.1:${join(one.root, 'upload.tgz')}`]);
      await stopRuntime(one);
      await startRuntime(one);
      scpRestartMs.push(nowMs() - t0);
    }

    // Five devices at once, against one device alone, in the same run.
    const parallelMs: number[] = [];
    for (let i = 0; i < 3; i++) parallelMs.push(timed(deployArgs(archive(dir, `3.0.${i}`, data), knownHosts, hosts)));

    const deploy = summary(deployMs, 0);
    const scpRestart = summary(scpRestartMs, 0);
    const parallel = summary(parallelMs, 0);
    return {
      archiveBytes: bytes,
      deployOneMs: deploy,
      scpPlusRestartMs: scpRestart,
      deployVsScpRestartP50: Math.round((deploy.p50 / scpRestart.p50) * 100) / 100,
      deployFiveParallelMs: parallel,
      fiveParallelVsOneP50: Math.round((parallel.p50 / deploy.p50) * 100) / 100,
    };
  } finally {
    await Promise.all(devices.map(async (d) => {
      await stopRuntime(d);
      await d.sshd.stop();
      rmSync(d.root, { recursive: true, force: true });
    }));
    rmSync(dir, { recursive: true, force: true });
  }
}
