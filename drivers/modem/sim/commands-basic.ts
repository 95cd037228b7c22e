/**
 * V.250 basics and identification: echo, verbosity, profiles (ATZ, AT&F, AT&W), S-registers,
 * AT+CMEE, AT+CSCS, and who the modem is (ATI, +CGMI/+CGMM/+CGMR/+CGSN and their +G* twins).
 */
import { args, intArg, quote, strArg } from './args.js';
import type { CommandTable, Handler, ModemContext } from './context.js';
import { OK, syntaxError } from './context.js';
import { copySettings, factorySettings } from './state.js';
import type { Settings } from './state.js';

/** ATE, ATV, ATQ: a flag set by its digit (0 or 1, missing means 0). */
function flag(set: (s: Settings, on: boolean) => void): Handler {
  return (cmd, m) => {
    if (cmd.args !== '' && cmd.args !== '0' && cmd.args !== '1') throw syntaxError();
    set(m.state.settings, cmd.args === '1');
    return OK;
  };
}

/** Commands a real modem accepts and this one has nothing to model for (ATX4, AT&C1, …). */
const accepted: Handler = () => OK;

/** S-registers live in the settings (ATZ restores them); only their values are modelled. */
const sRegister: Handler = (cmd, m) => {
  const n = Number(cmd.name.slice(1));
  const regs = m.state.settings.sRegisters;
  const current = regs[n];
  if (current === undefined) throw syntaxError();
  if (cmd.kind === 'read') return { info: [String(current).padStart(3, '0')] };
  const value = Number(cmd.args);
  if (cmd.args === '' || !Number.isInteger(value) || value > 255) throw syntaxError();
  regs[n] = value;
  return OK;
};

function identityLine(pick: (m: ModemContext) => string): Handler {
  return (cmd, m) => {
    if (cmd.kind === 'test') return OK;
    if (cmd.kind !== 'exec') throw syntaxError();
    return { info: [pick(m)] };
  };
}

const imei: Handler = (cmd, m) => {
  if (cmd.kind === 'test') return OK;
  if (cmd.kind === 'exec') return { info: [m.state.identity.imei] };
  // TS 27.007 (Rel-12) AT+CGSN=<snt>: 0 serial number, 1 IMEI, 2 IMEISV, 3 SVN.
  if (cmd.kind === 'set') {
    const snt = intArg(args(cmd.args), 0, 0, 3);
    if (snt === 0) return { info: [m.state.identity.imei] };
    if (snt === 1) return { info: [`+CGSN: ${quote(m.state.identity.imei)}`] };
    if (snt === 2) return { info: [`+CGSN: ${quote(m.state.identity.imei.slice(0, 14) + '01')}`] };
    return { info: ['+CGSN: "01"'] };
  }
  throw syntaxError();
};

const cmee: Handler = (cmd, m) => {
  const s = m.state.settings;
  if (cmd.kind === 'read') return { info: [`+CMEE: ${s.cmee}`] };
  if (cmd.kind === 'test') return { info: ['+CMEE: (0-2)'] };
  if (cmd.kind === 'exec') {
    s.cmee = 0;
    return OK;
  }
  s.cmee = intArg(args(cmd.args), 0, 0, 2, 0) as 0 | 1 | 2;
  return OK;
};

const CHARSETS = ['GSM', 'IRA', 'UCS2', 'HEX', '8859-1'];

const cscs: Handler = (cmd, m) => {
  const s = m.state.settings;
  if (cmd.kind === 'read') return { info: [`+CSCS: ${quote(s.cscs)}`] };
  if (cmd.kind === 'test') return { info: [`+CSCS: (${CHARSETS.map(quote).join(',')})`] };
  if (cmd.kind !== 'set') throw syntaxError();
  const name = strArg(args(cmd.args), 0).toUpperCase();
  if (!CHARSETS.includes(name)) throw syntaxError();
  s.cscs = name;
  return OK;
};

const restore = (from: 'profile' | 'factory'): Handler => (cmd, m) => {
  if (cmd.args !== '' && cmd.args !== '0') throw syntaxError();
  m.state.settings = from === 'profile' ? copySettings(m.state.profile) : factorySettings();
  return OK;
};

const saveProfile: Handler = (cmd, m) => {
  if (cmd.args !== '' && cmd.args !== '0') throw syntaxError();
  m.state.profile = copySettings(m.state.settings);
  return OK;
};

const ati: Handler = (cmd, m) => {
  if (cmd.args !== '' && cmd.args !== '0') throw syntaxError();
  const id = m.state.identity;
  // Quectel prints manufacturer, model and "Revision: …" as three lines of one response.
  return { info: [id.manufacturer, id.model, `Revision: ${id.revision}`] };
};

const clock: Handler = (cmd, m) => {
  if (cmd.kind === 'test') return OK;
  if (cmd.kind !== 'read') throw syntaxError();
  const now = new Date(m.clock.now());
  const p2 = (n: number) => String(n).padStart(2, '0');
  const stamp =
    `${p2(now.getUTCFullYear() % 100)}/${p2(now.getUTCMonth() + 1)}/${p2(now.getUTCDate())},` +
    `${p2(now.getUTCHours())}:${p2(now.getUTCMinutes())}:${p2(now.getUTCSeconds())}+00`;
  return { info: [`+CCLK: ${quote(stamp)}`] };
};

export const basicCommands: CommandTable = {
  E: flag((s, on) => (s.echo = on)),
  V: flag((s, on) => (s.verbose = on)),
  Q: flag((s, on) => (s.quiet = on)),
  Z: restore('profile'),
  '&F': restore('factory'),
  '&W': saveProfile,
  I: ati,
  X: accepted,
  L: accepted,
  M: accepted,
  '&C': accepted,
  '&D': accepted,
  '&K': accepted,
  '+IFC': accepted,
  '+IPR': (cmd) => (cmd.kind === 'read' ? { info: ['+IPR: 115200'] } : OK),
  '+GCAP': () => ({ info: ['+GCAP: +CGSM'] }),
  '+CMEE': cmee,
  '+CSCS': cscs,
  '+CGMI': identityLine((m) => m.state.identity.manufacturer),
  '+GMI': identityLine((m) => m.state.identity.manufacturer),
  '+CGMM': identityLine((m) => m.state.identity.model),
  '+GMM': identityLine((m) => m.state.identity.model),
  '+CGMR': identityLine((m) => m.state.identity.revision),
  '+GMR': identityLine((m) => m.state.identity.revision),
  '+CGSN': imei,
  '+GSN': imei,
  '+CCLK': clock,
};

/** S-registers are looked up by prefix: S0 … S255. */
export function sRegisterHandler(name: string): Handler | undefined {
  return /^S\d+$/.test(name) ? sRegister : undefined;
}
