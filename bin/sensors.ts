/**
 * `vigil sensors [--config FILE] [--json]`: probe and read every configured I2C sensor once,
 * on whatever bus the config names (the simulated one, replayed dumps, or /dev/i2c-N on a Pi).
 * A sensor that fails shows its error in its row and makes the exit code 1; the others are
 * still read.
 */
import { Command } from 'commander';
import { createBoard } from '../drivers/board.js';
import type { SensorReading } from '../drivers/i2c/hub.js';
import { loadConfig, resolveConfigPath } from '../runtime/config.js';
import { errorMessage } from '../runtime/errors.js';

interface Row {
  name: string;
  type: string;
  address: string;
  bus: string;
  ok: boolean;
  values?: Record<string, { value: number; unit: string }>;
  time?: string;
  error?: string;
}

export function sensorsCommand(): Command {
  return new Command('sensors')
    .description('read every configured I2C sensor once and print its values with units')
    .option('--config <file>', 'device configuration (default: $VIGIL_CONFIG, /etc/vigil/config.json, else the embedded simulated board)')
    .option('--sim', 'use the simulated bus whatever the config says')
    .option('--json', 'print the readings as JSON')
    .action(async (options: { config?: string; sim?: boolean; json?: boolean }) => {
      const config = loadConfig(resolveConfigPath(options.config));
      if (!config.drivers.i2c || Object.keys(config.drivers.i2c.sensors).length === 0) {
        if (options.json) process.stdout.write('[]\n');
        else process.stdout.write(`no I2C sensors are configured in ${config.file} (drivers.i2c.sensors)\n`);
        return;
      }
      // Only the sensors are used; the other drivers are built (as the timeline refers to them) but never opened.
      const board = await createBoard(config, { sim: options.sim === true, modem: false, wifi: false });
      const hub = board.sensors!;
      const rows: Row[] = [];
      try {
        for (const info of hub.info()) {
          const row: Row = { name: info.name, type: info.type, address: `0x${info.address.toString(16).padStart(2, '0')}`, bus: hub.bus.name, ok: false };
          try {
            const reading: SensorReading = await hub.readOnce(info.name);
            row.ok = true;
            row.time = new Date(reading.time).toISOString();
            row.values = Object.fromEntries(Object.entries(reading.values).map(([k, value]) => [k, { value, unit: info.channels[k]?.unit ?? '' }]));
          } catch (err) {
            row.error = errorMessage(err);
          }
          rows.push(row);
        }
      } finally {
        await hub.close();
      }
      process.stdout.write(options.json ? `${JSON.stringify(rows, null, 2)}\n` : formatRows(rows));
      if (rows.some((r) => !r.ok)) process.exitCode = 1;
    });
}

function formatRows(rows: Row[]): string {
  const width = (f: (r: Row) => string) => Math.max(...rows.map((r) => f(r).length));
  const wn = width((r) => r.name);
  const wt = width((r) => r.type);
  return rows
    .map((r) => {
      const head = `${r.name.padEnd(wn)}  ${r.type.padEnd(wt)}  ${r.address}  `;
      if (!r.ok) return `${head}FAILED: ${r.error}`;
      return head + Object.entries(r.values!).map(([k, { value, unit }]) => `${k} ${format(value)}${unit ? ` ${unit}` : ''}`).join(', ');
    })
    .join('\n')
    .concat('\n');
}

/** Enough digits for the chips' resolution, no trailing noise. */
function format(n: number): string {
  return String(Number(n.toFixed(Math.abs(n) >= 100 ? 2 : 3)));
}
