/**
 * How `vigil install` runs system commands (useradd, systemctl, node): argv arrays, never a
 * shell, through a runner that tests replace to see (and answer) every command.
 */
import { spawn } from 'node:child_process';
import { InstallError } from './errors.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type CommandRunner = (command: string, args: string[]) => Promise<CommandResult>;

/** Runs the command with the C locale (its messages are quoted in errors), without a shell. */
export const execRunner: CommandRunner = (command, args) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' ? `${command} is not installed (or not on PATH)` : err.message;
      reject(new InstallError('INSTALL_COMMAND_FAILED', `cannot run ${commandLine(command, args)}: ${why}`, { cause: err }));
    });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });

/** Runs a command that must succeed; its failure is an InstallError quoting the command and what it said. */
export async function mustRun(runner: CommandRunner, command: string, args: string[]): Promise<CommandResult> {
  const result = await runner(command, args);
  if (result.code !== 0) {
    const said = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-3).join(' / ');
    throw new InstallError('INSTALL_COMMAND_FAILED', `${commandLine(command, args)} failed (exit ${result.code})${said ? `: ${said}` : ''}`);
  }
  return result;
}

/** The command as a user would type it (for messages and --dry-run only; nothing is run through a shell). */
export function commandLine(command: string, args: string[]): string {
  return [command, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
