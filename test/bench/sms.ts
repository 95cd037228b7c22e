/**
 * SMS codec throughput: decodePdu over every SMS-DELIVER in the external corpora (ModemManager's
 * and python-gsmmodem's), after a warm-up, for at least a second; and encodeSubmit of a
 * three-part message. Target: at least 100,000 PDUs decoded per second.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodePdu } from '../../drivers/modem/sms/decode.js';
import { encodeSubmit } from '../../drivers/modem/sms/encode.js';
import { packageRoot } from '../../runtime/paths.js';
import { nowMs } from './stats.js';

/** The corpora sit next to the project (../shared/corpora), whether this runs from test/ or dist/test/. */
function corpus(name: string): any {
  return JSON.parse(readFileSync(join(packageRoot(), '..', 'shared', 'corpora', name), 'utf8'));
}

function deliverPdus(): string[] {
  const candidates = [...corpus('modemmanager_sms_pdu.json').parse, ...corpus('python_gsmmodem_pdu.json').decode].map((v: { pdu_hex: string }) => v.pdu_hex);
  return candidates.filter((hex) => {
    try {
      return decodePdu(hex).type === 'deliver';
    } catch {
      return false; // the corpora's deliberately broken PDUs are not what is measured
    }
  });
}

/** Runs `fn` over `items` in whole rounds until `ms` have passed; returns operations per second. */
function rate(items: string[], ms: number, fn: (item: string) => number): { perSec: number; ops: number; seconds: number; sink: number } {
  let ops = 0;
  let sink = 0;
  const t0 = nowMs();
  let elapsed = 0;
  while (elapsed < ms) {
    for (const item of items) sink += fn(item);
    ops += items.length;
    elapsed = nowMs() - t0;
  }
  return { perSec: Math.round((ops / elapsed) * 1000), ops, seconds: elapsed / 1000, sink };
}

export async function benchSms(): Promise<{ pduDecodePerSec: number; corpusDeliverPdus: number; decodeSeconds: number; submitEncodePerSec: number }> {
  const pdus = deliverPdus();
  if (pdus.length === 0) throw new Error('no SMS-DELIVER PDUs found in the corpora');
  const decodeOne = (hex: string) => {
    const pdu = decodePdu(hex);
    return pdu.text?.length ?? pdu.data?.length ?? 0;
  };
  rate(pdus, 300, decodeOne); // warm-up: let the JIT settle before measuring
  const decode = rate(pdus, 1000, decodeOne);

  const text = 'A long message about the greenhouse, split in three parts: temperature, humidity, light. '.repeat(5);
  const encodeOne = (t: string) => encodeSubmit({ recipient: '+447700900123', text: t, concatRef: 1 }).length;
  rate([text], 200, encodeOne);
  const encode = rate([text], 500, encodeOne);

  return { pduDecodePerSec: decode.perSec, corpusDeliverPdus: pdus.length, decodeSeconds: Number(decode.seconds.toFixed(3)), submitEncodePerSec: encode.perSec };
}
