/**
 * The lab guest's simulated hardware, made the way the kernel documents it: gpio-sim chips
 * through configfs (inputs driven by writing a line's `pull`, outputs read from its `value`),
 * and i2c-stub adapters with memory-backed chips; virtual Bluetooth LE controllers from hci_vhci
 * and btvirt. Only meaningful inside the lab (VIGIL_LAB=1).
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

export interface Btvirt {
  /** Power adapter hciN on or off through the kernel's management interface, as bluetoothd would. */
  power(index: number, on: boolean): void;
  /**
   * In `delayMs`, from another process, switch hciN's advertising off and on again. The emulated
   * controllers (BlueZ's btdev) report an advertiser once, when scanning or advertising is enabled,
   * never again, and the kernel's search for a device to connect to (an extended scan) is not told
   * about legacy advertising that was already on. A real advertiser repeats every interval; this
   * repeats it once, while the process that asked for the connection is blocked in connect().
   */
  readvertise(index: number, delayMs: number): void;
  /** Let the kernel advertise `data` on hciN (mgmt Add Advertising; an extended advertising set on these controllers). */
  addAdvertising(index: number, data: Buffer): void;
  /**
   * Send raw HCI commands to hciN from another program (hcitool), as a second host stack would:
   * each `[ogf, ocf, ...parameter bytes]`, in order, `intervalMs` apart, repeated for `forMs`
   * (once when 0). Returns when the last has been sent.
   */
  hciCommands(index: number, commands: readonly (readonly string[])[], options?: { intervalMs?: number; forMs?: number }): Promise<void>;
  stop(): void;
}

/** `modprobe hci_vhci; btvirt -l2`: LE controllers that hear each other (hci0, hci1, …), powered on. */
export function startBtvirt(options: { trace?: string; controllers?: number } = {}): Btvirt {
  const count = options.controllers ?? 2;
  const indexes = Array.from({ length: count }, (_, i) => i);
  execFileSync('modprobe', ['hci_vhci']);
  const btvirt = spawn('btvirt', [`-l${count}`], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!indexes.every((i) => existsSync(`/sys/class/bluetooth/hci${i}`))) {
    if (Date.now() > deadline) {
      btvirt.kill();
      throw new Error(`btvirt -l${count} made no hci0…hci${count - 1} within 10 s`);
    }
    execFileSync('sleep', ['0.1']);
  }
  // An HCI trace, as text, for when a test fails.
  let btmon: ReturnType<typeof spawn> | undefined;
  if (options.trace) {
    const out = openSync(options.trace, 'w');
    btmon = spawn('btmon', [], { stdio: ['ignore', out, 'ignore'] });
    closeSync(out);
  }
  const btmgmt = (index: number, ...args: string[]) => execFileSync('btmgmt', ['--index', String(index), ...args], { timeout: 10_000, stdio: 'pipe' });
  const powered = (index: number) => /^\s*current settings:.*\bpowered\b/m.test(btmgmt(index, 'info').toString());
  // On a loaded host the guest can starve btvirt past the kernel's 2 s command timeout, and the
  // power-on's HCI Reset fails (-110): the adapter stays off. Power on again, as a user would.
  const powerOn = (index: number) => {
    for (let attempt = 1; ; attempt++) {
      let failure = '';
      try {
        btmgmt(index, 'power', 'on');
      } catch (err) {
        failure = `; btmgmt power on: ${(err as Error).message}`;
      }
      if (powered(index)) return;
      if (attempt === 3) throw new Error(`hci${index} did not power on in 3 attempts (btmgmt info: ${btmgmt(index, 'info').toString().trim()}${failure})`);
      execFileSync('sleep', ['1']);
    }
  };
  // LE must be enabled before power on, or the controller comes up BR/EDR only.
  for (const index of indexes) {
    btmgmt(index, 'le', 'on');
    powerOn(index);
  }
  return {
    power: (index, on) => (on ? powerOn(index) : void btmgmt(index, 'power', 'off')),
    readvertise(index, delayMs) {
      const hci = `hci${index}`;
      spawn('sh', ['-c', `sleep ${delayMs / 1000}; hcitool -i ${hci} cmd 0x08 0x000a 00; hcitool -i ${hci} cmd 0x08 0x000a 01`], { stdio: 'ignore', detached: true }).unref();
    },
    addAdvertising: (index, data) => void btmgmt(index, 'add-adv', '-d', data.toString('hex'), '1'),
    async hciCommands(index, commands, { intervalMs = 0, forMs = 0 } = {}) {
      const end = Date.now() + forMs;
      do {
        for (const command of commands) {
          await new Promise<void>((resolve, reject) => {
            execFile('hcitool', ['-i', `hci${index}`, 'cmd', ...command], { timeout: 10_000 }, (err) => (err ? reject(err) : resolve()));
          });
          if (intervalMs) await new Promise((r) => setTimeout(r, intervalMs));
        }
      } while (Date.now() < end);
    },
    stop() {
      btmon?.kill('SIGINT');
      btvirt.kill();
    },
  };
}
