/**
 * The SIM PIN lives in a secrets file, never in the config, on a command line or in a log. The
 * file holds the PIN alone or {"pin": "1234"}; one readable by other users still works (the SIM
 * must not stay locked over a permission slip) but is reported.
 */
import { readFile, stat } from 'node:fs/promises';
import { ConfigError, errorMessage } from './errors.js';

export async function readPinFile(file: string): Promise<{ pin: string; warning?: string }> {
  let text: string;
  let mode: number;
  try {
    [text, mode] = await Promise.all([readFile(file, 'utf8'), stat(file).then((s) => s.mode)]);
  } catch (err) {
    throw new ConfigError(`SIM PIN file ${file} cannot be read: ${errorMessage(err)}`, { path: 'drivers.modem.pinFile', cause: err });
  }
  let pin = text.trim();
  if (pin.startsWith('{')) {
    try {
      pin = String((JSON.parse(pin) as { pin?: unknown }).pin ?? '');
    } catch {
      throw new ConfigError(`SIM PIN file ${file} is not valid JSON: expected the PIN alone or {"pin": "1234"}`, { path: 'drivers.modem.pinFile' });
    }
  }
  // The message never quotes the content: it may be the PIN with a typo.
  if (!/^[0-9]{4,8}$/.test(pin)) throw new ConfigError(`SIM PIN file ${file} does not hold a PIN: expected 4 to 8 digits`, { path: 'drivers.modem.pinFile' });
  const warning = (mode & 0o077) !== 0 ? `SIM PIN file ${file} is readable by other users (mode ${(mode & 0o777).toString(8)}): chmod 600 it` : undefined;
  return { pin, ...(warning ? { warning } : {}) };
}
