/**
 * Advertising-data throughput: parseAdvert over every payload of the bluetooth-data-tools GAP
 * corpus (valid and malformed alike, as a scanner hears them), and BTHome v2 decoding of a
 * plain and an encrypted frame (bthome.io's encryption example). Each after a warm-up, for about
 * a second. The watcher on a Pi Zero may see thousands of adverts a second.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeBthome } from '../../drivers/ble/adv/bthome.js';
import { parseAdvert } from '../../drivers/ble/adv/parse.js';
import { packageRoot } from '../../runtime/paths.js';
import { nowMs } from './stats.js';

/** The corpus sits next to the project (../shared/corpora), whether this runs from test/ or dist/test/. */
function corpusPayloads(): Buffer[] {
  const corpus = JSON.parse(readFileSync(join(packageRoot(), '..', 'shared', 'corpora', 'ble_bluetooth_data_tools_gap.json'), 'utf8')) as { vectors: { input: { payloads_hex: string | string[] }[] }[] };
  const out: Buffer[] = [];
  for (const v of corpus.vectors) for (const i of v.input) for (const hex of typeof i.payloads_hex === 'string' ? [i.payloads_hex] : i.payloads_hex) out.push(Buffer.from(hex, 'hex'));
  return out;
}

/** Runs `fn` over `items` in whole rounds until `ms` have passed; operations per second. */
function rate<T>(items: T[], ms: number, fn: (item: T) => number): { perSec: number; sink: number } {
  let ops = 0;
  let sink = 0;
  const t0 = nowMs();
  let elapsed = 0;
  while (elapsed < ms) {
    for (const item of items) sink += fn(item);
    ops += items.length;
    elapsed = nowMs() - t0;
  }
  return { perSec: Math.round((ops / elapsed) * 1000), sink };
}

export async function benchBleParse(): Promise<{ advertParsePerSec: number; bthomeDecodePerSec: number; bthomeEncryptedDecodePerSec: number }> {
  const payloads = corpusPayloads();
  if (payloads.length === 0) throw new Error('no payloads in the GAP corpus');
  const parseOne = (data: Buffer) => parseAdvert(data).structures.length;
  rate(payloads, 300, parseOne); // warm-up: let the JIT settle before measuring
  const parse = rate(payloads, 1000, parseOne);

  const plain = [Buffer.from('4000090161' + '02ca09' + '03bf13' + '04138a01' + '0c020c', 'hex')];
  const decodePlain = (data: Buffer) => decodeBthome(data).readings.length;
  rate(plain, 200, decodePlain);
  const plainRate = rate(plain, 1000, decodePlain);

  const options = { key: Buffer.from('231d39c1d7cc1ab1aee224cd096db932', 'hex'), address: '54:48:E6:8F:80:A5' };
  const encrypted = [Buffer.from('41e445f3c9962b332211006c7c4519', 'hex')];
  const decodeEncrypted = (data: Buffer) => decodeBthome(data, options).readings.length;
  rate(encrypted, 200, decodeEncrypted);
  const encryptedRate = rate(encrypted, 1000, decodeEncrypted);

  return { advertParsePerSec: parse.perSec, bthomeDecodePerSec: plainRate.perSec, bthomeEncryptedDecodePerSec: encryptedRate.perSec };
}
