/**
 * The lab guest's simulated hardware, made the way the kernel documents it: gpio-sim chips
 * through configfs (inputs driven by writing a line's `pull`, outputs read from its `value`),
 * and i2c-stub adapters with memory-backed chips. Only meaningful inside the lab (VIGIL_LAB=1).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function inLab(): void {
  if (process.env.VIGIL_LAB !== '1') throw new Error('lab tests run inside the lab guest: use npm run test:lab');
}

export interface SimChip {
  label: string;
  /** The legacy sysfs base the kernel allocated. */
  base: number;
  pull(line: number, level: 0 | 1): void;
  value(line: number): 0 | 1;
}

let chips = 0;

export function createGpioSim(lines: number, label: string): SimChip {
  execFileSync('modprobe', ['gpio-sim']);
  const dir = `/sys/kernel/config/gpio-sim/vigil${chips++}`;
  mkdirSync(dir);
  mkdirSync(join(dir, 'bank0'));
  writeFileSync(join(dir, 'bank0', 'num_lines'), String(lines));
  writeFileSync(join(dir, 'bank0', 'label'), label);
  writeFileSync(join(dir, 'live'), '1');
  const dev = readFileSync(join(dir, 'dev_name'), 'utf8').trim();
  const chipName = readFileSync(join(dir, 'bank0', 'chip_name'), 'utf8').trim();
  const sim = `/sys/devices/platform/${dev}/${chipName}`;
  const gpiochip = readdirSync('/sys/class/gpio').find((n) => n.startsWith('gpiochip') && readFileSync(`/sys/class/gpio/${n}/label`, 'utf8').trim() === label);
  if (!gpiochip) throw new Error(`gpio-sim chip ${label} has no /sys/class/gpio entry`);
  return {
    label,
    base: Number(readFileSync(`/sys/class/gpio/${gpiochip}/base`, 'utf8')),
    pull: (line, level) => writeFileSync(`${sim}/sim_gpio${line}/pull`, level ? 'pull-up' : 'pull-down'),
    value: (line) => (readFileSync(`${sim}/sim_gpio${line}/value`, 'utf8').trim() === '1' ? 1 : 0),
  };
}

/** Load i2c-stub with chips at `addresses`; returns the adapter's bus number. */
export function loadI2cStub(addresses: number[]): number {
  execFileSync('modprobe', ['i2c-dev']);
  if (!existsSync('/sys/module/i2c_stub')) execFileSync('modprobe', ['i2c-stub', `chip_addr=${addresses.map((a) => `0x${a.toString(16)}`).join(',')}`]);
  const adapters = readdirSync('/sys/bus/i2c/devices').filter((n) => /^i2c-\d+$/.test(n));
  const stub = adapters.find((n) => readFileSync(`/sys/bus/i2c/devices/${n}/name`, 'utf8').includes('SMBus stub'));
  if (!stub) throw new Error(`no i2c-stub adapter among ${adapters.join(', ')}`);
  return Number(stub.slice(4));
}

/** Keep a measured figure where the host can read it after the guest powers off (npm run bench). */
export function recordFigure(name: string, value: unknown): void {
  const dir = process.env.VIGIL_LAB_OUT;
  if (!dir) return;
  const file = join(dir, 'figures.json');
  const figures = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  figures[name] = { ...(value as object), at: new Date().toISOString() };
  writeFileSync(file, `${JSON.stringify(figures, null, 2)}\n`);
}
