/**
 * Lines in config.txt that must hold for every board: added under `[all]`, idempotently (flashing
 * twice gives the same file). The firmware reads config.txt top to bottom and a `[filter]` line
 * makes what follows apply to some boards only, until the next filter; `[all]` ends that. So a
 * line counts as present only inside an all-boards section: before the first filter, or after an
 * `[all]`. Raspberry Pi OS ships `#dtparam=i2c_arm=on` commented out in the first section; that
 * line is uncommented rather than a second one added, as raspi-config and Imager do.
 */

export const I2C_LINE = 'dtparam=i2c_arm=on';
export const UART_LINE = 'enable_uart=1';

interface Line {
  text: string;
  /** Inside a section that applies to all boards. */
  all: boolean;
}

function classify(text: string): Line[] {
  let all = true;
  return text.split('\n').map((raw) => {
    const header = /^\s*\[([^\]]*)\]\s*$/.exec(raw);
    if (header) all = header[1]!.trim().toLowerCase() === 'all';
    return { text: raw, all };
  });
}

/** The key a line sets: "dtparam=i2c_arm" for dtparam=i2c_arm=on, "enable_uart" for enable_uart=1. */
function keyOf(line: string): string | undefined {
  const m = /^\s*(dtparam=[^=,\s]+|dtoverlay=[^=,\s]+|[A-Za-z0-9_]+)\s*=/.exec(line);
  return m?.[1];
}

/** `text` with `wanted` in effect for all boards, changed as little as possible. */
export function ensureAllLine(text: string, wanted: string): string {
  const lines = classify(text);
  const same = (l: Line) => l.all && l.text.trim() === wanted;
  if (lines.some(same)) return text;
  const commented = lines.findIndex((l) => l.all && /^\s*#\s*/.test(l.text) && l.text.replace(/^\s*#\s*/, '').trim() === wanted);
  const key = keyOf(wanted);
  const conflicting = lines.findIndex((l) => l.all && !/^\s*#/.test(l.text) && key !== undefined && keyOf(l.text) === key);
  const at = conflicting !== -1 ? conflicting : commented;
  if (at !== -1) return lines.map((l, i) => (i === at ? wanted : l.text)).join('\n');

  // Append: into the last section if it is an all-boards one, else under a new [all].
  let body = text;
  if (body.length && !body.endsWith('\n')) body += '\n';
  const last = lines.filter((l) => l.text.trim() !== '').at(-1);
  const lastIsAll = lines.length === 0 || (last?.all ?? true);
  return `${body}${lastIsAll ? '' : '[all]\n'}${wanted}\n`;
}
