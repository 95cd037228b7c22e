/**
 * Which sysfs number a BCM line has. The legacy sysfs interface numbers lines globally: the SoC
 * controller's lines start at its chip's `base`. That base was 0 until kernel 6.6; since then it
 * is allocated dynamically (512 on Pi 0–4, 571 on Pi 5, anything elsewhere), which is why code
 * that writes `new Gpio(17)` broke on every new Pi. The base is read from
 * /sys/class/gpio/gpiochipN/{base,label,ngpio}, never assumed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DriverError } from '../../runtime/errors.js';

export interface GpioChipInfo {
  /** "gpiochip512". */
  name: string;
  label: string;
  base: number;
  ngpio: number;
}

/** Labels of the controllers that carry the 40-pin header's BCM lines, newest first. */
export const SOC_LABELS = ['pinctrl-rp1', 'pinctrl-bcm2712', 'pinctrl-bcm2711', 'pinctrl-bcm2835'];

export function listGpioChips(root = '/sys/class/gpio'): GpioChipInfo[] {
  let names: string[];
  try {
    names = readdirSync(root).filter((n) => /^gpiochip\d+$/.test(n));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DriverError('gpio', `cannot list ${root} (${code ?? String(err)}): the kernel's sysfs GPIO interface (CONFIG_GPIO_SYSFS) is needed`, {
      cause: err,
      code: 'GPIO_NO_SYSFS',
    });
  }
  const chips: GpioChipInfo[] = [];
  for (const name of names) {
    const read = (f: string) => readFileSync(join(root, name, f), 'utf8').trim();
    try {
      chips.push({ name, label: read('label'), base: Number(read('base')), ngpio: Number(read('ngpio')) });
    } catch {
      // A chip that disappears while listed (hot-unplugged expander) is simply not a candidate.
    }
  }
  return chips.sort((a, b) => a.base - b.base);
}

/**
 * The chip BCM numbers refer to: the one whose label is `wanted` (exact, else a unique
 * substring) when configured, else the SoC's main controller, else the only chip there is.
 */
export function resolveGpioChip(chips: readonly GpioChipInfo[], wanted?: string): GpioChipInfo {
  const list = () => chips.map((c) => `${c.name} "${c.label}" (base ${c.base}, ${c.ngpio} lines)`).join('; ') || 'none';
  if (wanted !== undefined) {
    const exact = chips.filter((c) => c.label === wanted);
    const partial = exact.length ? exact : chips.filter((c) => c.label.includes(wanted));
    if (partial.length === 1) return partial[0]!;
    const why = partial.length === 0 ? 'no GPIO chip has that label' : `${partial.length} chips match`;
    throw new DriverError('gpio', `drivers.gpio.chip is "${wanted}" but ${why}; chips found: ${list()}`, { code: 'GPIO_NO_CHIP' });
  }
  for (const label of SOC_LABELS) {
    const soc = chips.find((c) => c.label === label);
    if (soc) return soc;
  }
  if (chips.length === 1) return chips[0]!;
  throw new DriverError('gpio', `no Raspberry Pi GPIO controller (${SOC_LABELS.join(', ')}) found; chips found: ${list()}; set drivers.gpio.chip to the label of the one to use`, {
    code: 'GPIO_NO_CHIP',
  });
}
