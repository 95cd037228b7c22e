/**
 * What may be handed to NetworkManager as an SSID or a passphrase. Both are data, never shell:
 * they travel as arguments (the SSID) or on a pipe (the passphrase). Control characters are
 * refused because nmcli's editor and its terse output are line-based; the lengths are 802.11's.
 */
import { DriverError } from '../../runtime/errors.js';

export function checkSsid(ssid: string): void {
  const bytes = Buffer.byteLength(ssid, 'utf8');
  if (typeof ssid !== 'string' || bytes < 1 || bytes > 32) {
    throw new DriverError('wifi', `SSID ${JSON.stringify(ssid)} is ${bytes} bytes; expected 1–32 bytes (UTF-8)`, { code: 'WIFI_BAD_SSID' });
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(ssid)) throw new DriverError('wifi', `SSID ${JSON.stringify(ssid)} has a control character; expected printable text`, { code: 'WIFI_BAD_SSID' });
}

/** A WPA2 passphrase (8–63 printable ASCII) or a raw 256-bit key (64 hex digits). The message never quotes it. */
export function checkPassphrase(password: string, what: string): void {
  if (typeof password !== 'string') throw new DriverError('wifi', `${what} is not text; expected 8–63 printable ASCII characters`, { code: 'WIFI_BAD_PASSWORD' });
  if (/^[0-9a-fA-F]{64}$/.test(password)) return;
  if (password.length < 8 || password.length > 63 || !/^[\x20-\x7e]+$/.test(password)) {
    throw new DriverError('wifi', `${what} is ${password.length} characters${/^[\x20-\x7e]*$/.test(password) ? '' : ' with characters outside printable ASCII'}; expected 8–63 printable ASCII characters (a WPA2 passphrase) or 64 hex digits`, { code: 'WIFI_BAD_PASSWORD' });
  }
}
