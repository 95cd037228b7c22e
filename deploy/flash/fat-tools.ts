/**
 * The FAT boot partition, read and written with GNU mtools inside the image or the disk itself
 * (`-i TARGET@@OFFSET`): no mount, no loop device, no root for an image file. Every tool runs as
 * a plain argument vector, never through a shell, so no name or value is ever interpreted.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { errorMessage } from '../../runtime/errors.js';
import { FlashError } from './errors.js';

const TOOLS = ['mdir', 'mtype', 'mcopy', 'mmd', 'mdel', 'mdeltree'] as const;

/** Where `name` is on $PATH, or undefined. */
export function findTool(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Throws naming the package when mtools is not installed. */
export function requireMtools(): void {
  const missing = TOOLS.filter((t) => !findTool(t));
  if (missing.length) {
    throw new FlashError('FLASH_TOOL_MISSING', `mtools is not installed (${missing.join(', ')} not found on PATH): install it with 'apt-get install mtools'`);
  }
}

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export function run(command: string, args: string[], options: { signal?: AbortSignal; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C', ...options.env },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') reject(new FlashError('FLASH_TOOL_MISSING', `${command} is not installed (not found on PATH)`, { cause: err }));
      else reject(err);
    });
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: stderr.trim() }));
  });
}

export interface FatEntry {
  /** Path inside the volume, "/" separated, without a leading "/" ("config.txt", "vigil/firstboot.sh"). */
  path: string;
  directory: boolean;
}

/** One FAT filesystem at `offset` bytes into `target` (an image file or a block device). */
export class FatVolume {
  readonly #drive: string;
  readonly #signal: AbortSignal | undefined;
  readonly #env = { MTOOLS_SKIP_CHECK: '1' };

  constructor(
    readonly target: string,
    readonly offset: number,
    options: { signal?: AbortSignal } = {},
  ) {
    this.#drive = `${target}@@${offset}`;
    this.#signal = options.signal;
  }

  async #mtools(tool: string, args: string[]): Promise<RunResult> {
    return run(tool, ['-i', this.#drive, ...args], { env: this.#env, ...(this.#signal ? { signal: this.#signal } : {}) });
  }

  #fail(tool: string, what: string, result: RunResult): never {
    throw new FlashError('FLASH_TOOL_FAILED', `${tool} could not ${what} in the FAT partition at byte ${this.offset} of ${this.target}: ${result.stderr || `exit code ${result.code}`}`);
  }

  /** The entries of directory `dir` ("" for the root); undefined when there is no such directory. */
  async list(dir = ''): Promise<FatEntry[] | undefined> {
    const result = await this.#mtools('mdir', ['-b', '-a', `::/${dir}`]);
    if (result.code !== 0) {
      if (/not found/i.test(result.stderr)) return undefined;
      this.#fail('mdir', `list /${dir}`, result);
    }
    return result.stdout
      .toString('utf8')
      .split('\n')
      .filter((line) => line.startsWith('::/'))
      .map((line) => {
        const directory = line.endsWith('/');
        return { path: line.slice(3, directory ? -1 : undefined), directory };
      });
  }

  /** The bytes of `path`, or undefined when it does not exist. */
  async read(path: string): Promise<Buffer | undefined> {
    const result = await this.#mtools('mtype', [`::/${path}`]);
    if (result.code !== 0) {
      if (/not found/i.test(result.stderr)) return undefined;
      this.#fail('mtype', `read /${path}`, result);
    }
    return result.stdout;
  }

  /** Writes `data` to `path`, replacing it; the parent directory must exist. */
  async write(path: string, data: Buffer | string): Promise<void> {
    // mcopy reads from a file; a private directory keeps secrets (hashes, PSKs) away from other users.
    const dir = mkdtempSync(join(tmpdir(), 'vigil-flash-'));
    try {
      const file = join(dir, 'data');
      writeFileSync(file, data, { mode: 0o600 });
      const result = await this.#mtools('mcopy', ['-o', file, `::/${path}`]);
      if (result.code !== 0) this.#fail('mcopy', `write /${path}`, result);
    } catch (err) {
      if (err instanceof FlashError || (err as Error).name === 'AbortError') throw err;
      throw new FlashError('FLASH_TOOL_FAILED', `cannot write /${path}: ${errorMessage(err)}`, { cause: err });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async mkdir(path: string): Promise<void> {
    const result = await this.#mtools('mmd', [`::/${path}`]);
    if (result.code !== 0) this.#fail('mmd', `create directory /${path}`, result);
  }

  async remove(path: string): Promise<void> {
    const result = await this.#mtools('mdel', [`::/${path}`]);
    if (result.code !== 0 && !/not found/i.test(result.stderr)) this.#fail('mdel', `delete /${path}`, result);
  }
}
