/**
 * The start-up sequence, in two halves. The modem half runs on every (re)open: synchronise, echo
 * off, numeric errors, identity, radio, caller id and registration indications with location,
 * and the SIM's lock state. The SIM half needs an unlocked SIM: identity of the SIM, PDU mode,
 * message storage, new-message and status-report indications, the operator. A modem forgets all
 * of these when it restarts, which is why both halves run again after every reset or replug.
 *
 * Optional steps (a modem without +CEREG, without +CPINR) are allowed to fail; the ones the
 * driver cannot work without are not.
 */
import type { AtCommandOptions, AtResponse } from './at/engine.js';
import { parseCfun } from './at/radio.js';
import { parseIccid, parseImei, parseImsi } from './at/sim.js';
import { parseRegistration } from './at/registration.js';
import type { ModemTracker } from './tracker.js';
import { radioOf, toDomain } from './tracker.js';

type Run = (command: string, options?: AtCommandOptions) => Promise<AtResponse>;

async function optional(run: Run, command: string): Promise<AtResponse | undefined> {
  try {
    return await run(command);
  } catch {
    return undefined;
  }
}

/** Identity parsers throw on a value that is not one; a modem that garbles its IMSI still works. */
function tryParse(parse: (raw: string) => string, raw: string | undefined): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  try {
    return parse(raw);
  } catch {
    return undefined;
  }
}

/** An information line: the one with the prefix when the modem uses it (+CGMI: Quectel), else the first. */
function firstLine(response: AtResponse | undefined, prefix?: string): string | undefined {
  const lines = response?.lines ?? [];
  const line = (prefix ? lines.find((l) => l.startsWith(prefix)) : undefined) ?? lines[0];
  if (line === undefined) return undefined;
  return (prefix && line.startsWith(prefix) ? line.slice(prefix.length) : line).trim();
}

export async function initModem(run: Run, tracker: ModemTracker): Promise<void> {
  // The first AT may meet a line full of leftovers or a modem still booting: try a few times.
  let synced = false;
  for (let i = 0; i < 3 && !synced; i++) synced = (await optional((c) => run(c, { timeoutMs: 1_000 }), 'AT')) !== undefined;
  if (!synced) await run('AT', { timeoutMs: 1_000 });
  await run('ATE0');
  await optional(run, 'ATV1');
  await optional(run, 'AT+CMEE=1');

  const manufacturer = firstLine(await optional(run, 'AT+CGMI'), '+CGMI:') ?? '';
  const model = firstLine(await optional(run, 'AT+CGMM'), '+CGMM:') ?? '';
  const revision = firstLine(await optional(run, 'AT+CGMR'), '+CGMR:') ?? '';
  const imeiText = firstLine(await optional(run, 'AT+CGSN'), '+CGSN:');
  const imei = tryParse(parseImei, imeiText?.replace(/"/g, ''));
  tracker.setIdentity({ ...(manufacturer ? { manufacturer } : {}), ...(model ? { model } : {}), ...(revision ? { revision } : {}), ...(imei ? { imei } : {}) });

  const cfunLine = (await optional(run, 'AT+CFUN?'))?.lines.find((l) => l.startsWith('+CFUN:'));
  const cfun = cfunLine ? parseCfun(cfunLine) : undefined;
  if (cfun) tracker.setRadio(cfun.fun, radioOf(cfun.fun));

  tracker.clip = (await optional(run, 'AT+CLIP=1')) !== undefined;
  for (const reg of ['CREG', 'CGREG', 'CEREG']) {
    if (!(await optional(run, `AT+${reg}=2`))) await optional(run, `AT+${reg}=1`);
    const line = (await optional(run, `AT+${reg}?`))?.lines.find((l) => l.startsWith(`+${reg}:`));
    const parsed = line ? parseRegistration(line) : undefined;
    if (parsed) tracker.setRegistration(parsed.domain, toDomain(parsed));
  }
  await tracker.refreshSignal(run).catch(() => undefined);
  await tracker.refreshPin(run).catch((err: unknown) => {
    // +CME ERROR 10 (SIM not inserted) is an answer, not a fault.
    if ((err as { number?: number }).number === 10) tracker.setPin('NOT INSERTED');
    else tracker.setPin('UNKNOWN');
  });
}

/** Returns the storage in use. */
export async function initSim(run: Run, tracker: ModemTracker, storage: string): Promise<string> {
  const imsi = tryParse(parseImsi, firstLine(await optional(run, 'AT+CIMI'))?.replace(/^\+CIMI:\s*/, ''));
  const ccid = (await optional(run, 'AT+CCID')) ?? (await optional(run, 'AT+QCCID')) ?? (await optional(run, 'AT+ICCID'));
  const iccidText = ccid?.lines.map((l) => l.replace(/^\+(Q?CCID|ICCID):\s*/, '')).find((l) => l.trim() !== '');
  const iccid = tryParse(parseIccid, iccidText);
  tracker.setIdentity({ ...(imsi ? { imsi } : {}), ...(iccid ? { iccid } : {}) });

  await run('AT+CMGF=0');
  let used = storage;
  if (!(await optional(run, `AT+CPMS="${storage}","${storage}","${storage}"`))) used = 'SM';
  // +CMTI for new messages (stored first: nothing is lost if we crash before reading), +CDS for
  // status reports; older modems lack ds=1, so fall back step by step.
  if (!(await optional(run, 'AT+CNMI=2,1,0,1,0')) && !(await optional(run, 'AT+CNMI=2,1,0,2,0'))) await run('AT+CNMI=2,1,0,0,0');
  await optional(run, 'AT+COPS=3,0');
  await tracker.refreshOperator(run).catch(() => undefined);
  return used;
}
