/**
 * The real CommandRunner: nmcli and iw as child processes, arguments as an array (no shell), the
 * C locale for their messages (the driver reads nmcli's error text, which NetworkManager
 * translates), and secrets on standard input only.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { CommandResult, CommandRunner, MonitorHandle, Program, RunOptions } from './commands.js';

const DEFAULT_TIMEOUT_MS = 60_000;

/** The children's environment: ours, with messages in English and UTF-8 preserved for SSIDs. */
function childEnv(): NodeJS.ProcessEnv {
  return { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', LANGUAGE: '' };
}

export class ExecRunner implements CommandRunner {
  /** Where the programs are looked up; tests point it at stand-ins (default: PATH). */
  readonly #paths: Partial<Record<Program, string>>;

  constructor(options: { paths?: Partial<Record<Program, string>> } = {}) {
    this.#paths = options.paths ?? {};
  }

  run(program: Program, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.#paths[program] ?? program, args, { env: childEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      // A program that exits before reading its input makes the write fail with EPIPE: its exit status tells the story.
      child.stdin.on('error', () => {});
      child.stdin.end(options.stdin ?? '');
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on('close', (code, sig) => {
        clearTimeout(timer);
        resolve({ code: timedOut ? 124 : (code ?? (sig ? 128 : 1)), stdout, stderr: timedOut ? `${stderr}${program} killed after ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms\n` : stderr });
      });
    });
  }

  monitor(onLine: (line: string) => void, onExit: (reason: string) => void): MonitorHandle {
    let stopped = false;
    const child = spawn(this.#paths.nmcli ?? 'nmcli', ['monitor'], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-500)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!stopped) onLine(line);
    });
    child.on('error', (err) => {
      if (!stopped) onExit(`nmcli monitor could not start: ${err.message}`);
      stopped = true;
    });
    child.on('close', (code, sig) => {
      if (!stopped) onExit(`nmcli monitor ended (${sig ?? `exit ${code}`})${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
      stopped = true;
    });
    return {
      stop: () => {
        stopped = true;
        child.kill('SIGTERM');
      },
    };
  }
}
