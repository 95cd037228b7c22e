/** The vigil command line as a real process (from the sources, through tsx). */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The child must not pick up this machine's or the test runner's settings. */
function childEnv(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  for (const key of ['VIGIL_CONFIG', 'VIGIL_STATE', 'NODE_TEST_CONTEXT', 'FORCE_COLOR']) if (!extra?.[key]) delete env[key];
  return env;
}

export function vigilArgs(args: string[]): string[] {
  return ['--import', 'tsx', 'bin/vigil.ts', ...args];
}

export function vigil(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, vigilArgs(args), { cwd: repoRoot, env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`vigil ${args.join(' ')} did not finish within ${options.timeoutMs ?? 30_000} ms\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** `vigil run …` in the background; resolves once its console says it is ready. */
export function startRun(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<{ child: ChildProcess; output: () => string; exited: Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, vigilArgs(['run', ...args]), { cwd: repoRoot, env: childEnv(options.env) });
    let output = '';
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const timer = setTimeout(() => reject(new Error(`vigil run did not become ready:\n${output}`)), 30_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (/runtime ready/.test(output)) {
        clearTimeout(timer);
        resolve({ child, output: () => output, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`vigil run exited with ${code} before it was ready:\n${output}`));
    });
  });
}
