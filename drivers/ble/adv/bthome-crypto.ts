/**
 * BTHome v2 encryption (https://bthome.io/encryption/): AES-128-CCM with a 4-byte MIC and no
 * associated data. The 13-byte nonce is the sensor's MAC address (6 bytes, in the order it is
 * written, "54:48:E6:…" → 54 48 e6 …), the UUID 0xFCD2 little-endian (d2 fc), the device info
 * byte and the 4 counter bytes as they are on air (little-endian).
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { BthomeError } from './errors.js';

export const MIC_LENGTH = 4;
export const COUNTER_LENGTH = 4;

/** The 6 address bytes from "54:48:E6:8F:80:A5" (colons, dashes or none). */
export function addressBytes(address: string): Buffer {
  const hex = address.replace(/[:-]/g, '');
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) throw new BthomeError('key', `address ${JSON.stringify(address)} is not a Bluetooth address: expected six hex bytes like 54:48:E6:8F:80:A5`);
  return Buffer.from(hex, 'hex');
}

function nonce(mac: Buffer, deviceInfo: number, counter: Buffer): Buffer {
  const out = Buffer.allocUnsafe(13);
  mac.copy(out, 0);
  out[6] = 0xd2;
  out[7] = 0xfc;
  out[8] = deviceInfo;
  counter.copy(out, 9);
  return out;
}

function checkKey(key: Buffer): void {
  if (key.length !== 16) throw new BthomeError('key', `BTHome key is ${key.length} bytes: expected 16 (32 hex digits)`);
}

/** Ciphertext and MIC for `plain`; `counter` is the 4 counter bytes as sent. */
export function encryptPayload(plain: Buffer, key: Buffer, mac: Buffer, deviceInfo: number, counter: Buffer): { ciphertext: Buffer; mic: Buffer } {
  checkKey(key);
  const cipher = createCipheriv('aes-128-ccm', key, nonce(mac, deviceInfo, counter), { authTagLength: MIC_LENGTH });
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  return { ciphertext, mic: cipher.getAuthTag() };
}

/** The plain objects, or a BthomeError('mic') when the MIC does not check out (wrong key or address, or altered bytes). */
export function decryptPayload(ciphertext: Buffer, mic: Buffer, key: Buffer, mac: Buffer, deviceInfo: number, counter: Buffer): Buffer {
  checkKey(key);
  const decipher = createDecipheriv('aes-128-ccm', key, nonce(mac, deviceInfo, counter), { authTagLength: MIC_LENGTH });
  decipher.setAuthTag(mic);
  try {
    // In CCM the tag is checked inside update(); it throws when it does not match.
    const plain = decipher.update(ciphertext);
    decipher.final();
    return plain;
  } catch (err) {
    throw new BthomeError('mic', 'BTHome MIC check failed: wrong key or address', { cause: err });
  }
}
