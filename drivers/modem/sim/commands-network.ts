/**
 * Radio and network: +CFUN (TS 27.007 §8.2), +CSQ, registration reporting (+CREG/+CGREG/+CEREG),
 * operator selection (+COPS), and the packet-domain commands a host sends while setting up
 * (+CGDCONT, +CGATT), plus Quectel's +QINDCFG and +QNWINFO.
 */
import { args, intArg, quote, strArg, teString } from './args.js';
import type { CommandTable, Handler, ModemContext } from './context.js';
import { OK, cmeError, syntaxError } from './context.js';
import { regReadLine, regSettingKey } from './registration.js';
import { requireSim } from './commands-sim.js';
import { effectiveRegistration, isRegistered } from './state.js';
import type { Domain, Fun, Operator } from './state.js';

const cfun: Handler = (cmd, m) => {
  if (cmd.kind === 'read') return { info: [`+CFUN: ${m.state.fun}`] };
  if (cmd.kind === 'test') return { info: ['+CFUN: (0,1,4),(0-1)'] };
  if (cmd.kind !== 'set') throw syntaxError();
  const list = args(cmd.args);
  const fun = intArg(list, 0, 0, 4);
  const reset = intArg(list, 1, 0, 1, 0);
  if (fun !== 0 && fun !== 1 && fun !== 4) throw syntaxError();
  if (reset === 1) return { after: () => m.reboot() };
  m.state.fun = fun as Fun;
  // Registration URCs come once the OK is out: detaching takes the radio a moment.
  return { after: () => m.changed() };
};

const csq: Handler = (cmd, m) => {
  if (cmd.kind === 'test') return { info: ['+CSQ: (0-31,99),(0-7,99)'] };
  if (cmd.kind !== 'exec') throw syntaxError();
  const { rssi, ber } = m.state.fun === 1 ? m.state.signal : { rssi: 99, ber: 99 };
  return { info: [`+CSQ: ${rssi},${ber}`] };
};

function creg(domain: Domain): Handler {
  const key = regSettingKey(domain);
  return (cmd, m) => {
    const s = m.state.settings;
    const prefix = cmd.name;
    if (cmd.kind === 'test') return { info: [`${prefix}: (0-2)`] };
    if (cmd.kind === 'read') return { info: [regReadLine(domain, effectiveRegistration(m.state, domain), s[key])] };
    if (cmd.kind === 'exec') {
      s[key] = 0;
      return OK;
    }
    s[key] = intArg(args(cmd.args), 0, 0, 2, 0);
    return OK;
  };
}

/** The registration the operator line reflects: EPS when attached there, else PS, else CS. */
function servingRegistration(m: ModemContext) {
  for (const d of ['eps', 'ps', 'cs'] as const) {
    const reg = effectiveRegistration(m.state, d);
    if (isRegistered(reg)) return reg;
  }
  return undefined;
}

function operatorName(op: Operator, format: number, cscs: string): string {
  if (format === 2) return op.numeric;
  return teString(format === 1 ? op.short : op.long, cscs);
}

const STATUS: Record<NonNullable<Operator['status']>, number> = { unknown: 0, available: 1, forbidden: 3 };

const cops: Handler = async (cmd, m) => {
  const st = m.state;
  const s = st.settings;
  if (cmd.kind === 'read') {
    const serving = servingRegistration(m);
    if (!serving) return { info: [`+COPS: ${st.copsMode}`] };
    return { info: [`+COPS: ${st.copsMode},${s.copsFormat},${quote(operatorName(st.operator, s.copsFormat, s.cscs))},${serving.act}`] };
  }
  if (cmd.kind === 'test') {
    if (st.fun !== 1) throw cmeError(3);
    requireSim(m);
    // A real scan takes tens of seconds; tests choose how long.
    await m.sleep(m.timing.copsScanMs);
    const serving = servingRegistration(m);
    const listed = st.operators.some((o) => o.numeric === st.operator.numeric) ? st.operators : [st.operator, ...st.operators];
    const entries = listed.map((o) => {
      const current = serving !== undefined && o.numeric === st.operator.numeric;
      const stat = current ? 2 : STATUS[o.status ?? 'available'];
      const act = current ? serving.act : (o.act ?? 7);
      return `(${stat},${quote(teString(o.long, s.cscs))},${quote(teString(o.short, s.cscs))},${quote(o.numeric)},${act})`;
    });
    return { info: [`+COPS: ${entries.join(',')},,(0,1,2,3,4),(0,1,2)`] };
  }
  if (cmd.kind !== 'set') throw syntaxError();
  const list = args(cmd.args);
  const mode = intArg(list, 0, 0, 4);
  const format = intArg(list, 1, 0, 2, s.copsFormat) as 0 | 1 | 2;
  if (mode === 3) {
    s.copsFormat = format;
    return OK;
  }
  if (mode === 0 || mode === 2) {
    st.copsMode = mode;
    if (list[1] && !list[1].empty) s.copsFormat = format;
    return { after: () => m.changed() };
  }
  // Manual (1) or manual falling back to automatic (4): the named network must be in range.
  const wanted = strArg(list, 2);
  const found = st.operators.find((o) => operatorName(o, format, 'GSM') === wanted || o.numeric === wanted);
  if (st.fun !== 1) throw cmeError(30);
  if (!found || found.status === 'forbidden') {
    if (mode === 4) {
      st.copsMode = 0;
      return { after: () => m.changed() };
    }
    throw cmeError(found ? 32 : 30);
  }
  st.operator = { ...found };
  st.copsMode = 1;
  s.copsFormat = format;
  return { after: () => m.changed() };
};

const cgdcont: Handler = (cmd, m) => {
  const contexts = m.state.contexts;
  if (cmd.kind === 'test') return { info: ['+CGDCONT: (1-16),"IP",,,(0-2),(0-4)', '+CGDCONT: (1-16),"IPV6",,,(0-2),(0-4)', '+CGDCONT: (1-16),"IPV4V6",,,(0-2),(0-4)'] };
  if (cmd.kind === 'read') return { info: contexts.map((c) => `+CGDCONT: ${c.cid},${quote(c.type)},${quote(c.apn)},"0.0.0.0",0,0`) };
  if (cmd.kind !== 'set') throw syntaxError();
  const list = args(cmd.args);
  const cid = intArg(list, 0, 1, 16);
  const rest = m.state.contexts.filter((c) => c.cid !== cid);
  if (list.length === 1) {
    m.state.contexts = rest;
    return OK;
  }
  const type = strArg(list, 1).toUpperCase();
  if (!['IP', 'IPV6', 'IPV4V6', 'PPP'].includes(type)) throw syntaxError();
  m.state.contexts = [...rest, { cid, type, apn: strArg(list, 2, '') }].sort((a, b) => a.cid - b.cid);
  return OK;
};

const cgatt: Handler = (cmd, m) => {
  if (cmd.kind === 'test') return { info: ['+CGATT: (0,1)'] };
  if (cmd.kind === 'read') {
    const attached = ['ps', 'eps'].some((d) => isRegistered(effectiveRegistration(m.state, d as Domain)));
    return { info: [`+CGATT: ${attached ? 1 : 0}`] };
  }
  if (cmd.kind !== 'set') throw syntaxError();
  intArg(args(cmd.args), 0, 0, 1);
  if (m.state.fun !== 1) throw cmeError(30);
  return OK;
};

const QIND_TYPES = ['all', 'csq', 'smsfull', 'ring', 'smsincoming', 'act', 'ccinfo'];

const qindcfg: Handler = (cmd, m) => {
  if (cmd.kind === 'test') return { info: [`+QINDCFG: (${QIND_TYPES.map(quote).join(',')}),(0,1),(0,1)`] };
  if (cmd.kind !== 'set') throw syntaxError();
  const list = args(cmd.args);
  const type = strArg(list, 0).toLowerCase();
  if (!QIND_TYPES.includes(type)) throw syntaxError();
  if (list.length === 1) return { info: [`+QINDCFG: ${quote(type)},${type === 'csq' && m.state.settings.qindCsq ? 1 : 0}`] };
  const on = intArg(list, 1, 0, 1) === 1;
  if (type === 'csq' || type === 'all') m.state.settings.qindCsq = on;
  return OK;
};

const ACT_NAME: Record<number, string> = { 0: 'GSM', 2: 'WCDMA', 3: 'EDGE', 4: 'HSDPA', 5: 'HSUPA', 6: 'HSPA+', 7: 'FDD LTE' };

const qnwinfo: Handler = (cmd, m) => {
  if (cmd.kind === 'test') return OK;
  if (cmd.kind !== 'exec') throw syntaxError();
  const serving = servingRegistration(m);
  if (!serving) return { info: ['+QNWINFO: No Service'] };
  const band = serving.act === 7 ? 'LTE BAND 20' : serving.act === 0 || serving.act === 3 ? 'GSM 900' : 'WCDMA 2100';
  return { info: [`+QNWINFO: ${quote(ACT_NAME[serving.act] ?? 'FDD LTE')},${quote(m.state.operator.numeric)},${quote(band)},6300`] };
};

export const networkCommands: CommandTable = {
  '+CFUN': cfun,
  '+CSQ': csq,
  '+CREG': creg('cs'),
  '+CGREG': creg('ps'),
  '+CEREG': creg('eps'),
  '+COPS': cops,
  '+CGDCONT': cgdcont,
  '+CGATT': cgatt,
  '+QINDCFG': qindcfg,
  '+QNWINFO': qnwinfo,
};
