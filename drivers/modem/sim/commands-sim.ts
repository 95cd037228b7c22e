/**
 * The SIM: lock state and unlocking (+CPIN, TS 27.007 §8.3), retry counters (+CPINR and the
 * vendor forms +QPINC / +SPIC), the PIN lock itself (+CLCK "SC"), and what the card identifies
 * itself with (+CIMI needs it unlocked, the ICCID can be read while it is locked).
 */
import { args, intArg, quote, strArg } from './args.js';
import type { CommandTable, Handler, ModemContext } from './context.js';
import { OK, cmeError, syntaxError } from './context.js';
import { CME } from './sim-card.js';

/** Throw the +CME error a SIM-dependent command gets while the card is locked or missing. */
export function requireSim(m: ModemContext): void {
  const locked = m.state.sim.lockError();
  if (locked !== undefined) throw cmeError(locked);
}

function requirePresent(m: ModemContext): void {
  if (!m.state.sim.present) throw cmeError(CME.notInserted);
}

const cpin: Handler = (cmd, m) => {
  const sim = m.state.sim;
  if (cmd.kind === 'test') return OK;
  if (cmd.kind === 'read') {
    const status = sim.status();
    if (status === 'NOT INSERTED') throw cmeError(CME.notInserted);
    if (status === 'BLOCKED') throw cmeError(CME.failure);
    return { info: [`+CPIN: ${status}`] };
  }
  if (cmd.kind !== 'set') throw syntaxError();
  const list = args(cmd.args);
  const code = strArg(list, 0);
  const newPin = list[1] && !list[1].empty ? list[1].value : undefined;
  const before = sim.status();
  const error = sim.enter(code, newPin);
  const changed = sim.status() !== before;
  // Reported after the final result, as modules print "+CPIN: READY" once the card is unlocked.
  const after = changed ? () => m.simChanged() : undefined;
  if (error !== undefined) return { final: { kind: 'CME', code: error }, after };
  return { after };
};

interface Counter {
  name: string;
  retries: number;
  max: number;
}

function counters(m: ModemContext): Counter[] {
  const sim = m.state.sim;
  return [
    { name: 'SIM PIN', retries: Math.max(0, sim.pinAttempts), max: 3 },
    { name: 'SIM PUK', retries: Math.max(0, sim.pukAttempts), max: 10 },
    { name: 'SIM PIN2', retries: 3, max: 3 },
    { name: 'SIM PUK2', retries: 10, max: 10 },
  ];
}

/** AT+CPINR[=<sel_code>] (TS 27.007 §8.65); `?` is accepted too since hosts send it. */
const cpinr: Handler = (cmd, m) => {
  if (cmd.kind === 'test') return OK;
  requirePresent(m);
  let select = (_c: Counter) => true;
  if (cmd.kind === 'set') {
    const pattern = strArg(args(cmd.args), 0).toUpperCase();
    const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$');
    select = (c) => re.test(c.name);
  }
  return { info: counters(m).filter(select).map((c) => `+CPINR: ${c.name},${c.retries},${c.max}`) };
};

/** Quectel: +QPINC: "SC",<pin retries>,<puk retries> and the same for PIN2 ("P2"). */
const qpinc: Handler = (cmd, m) => {
  if (cmd.kind === 'test') return { info: ['+QPINC: ("SC","P2")'] };
  requirePresent(m);
  const sim = m.state.sim;
  const sc = `+QPINC: "SC",${Math.max(0, sim.pinAttempts)},${Math.max(0, sim.pukAttempts)}`;
  const p2 = '+QPINC: "P2",3,10';
  if (cmd.kind === 'read') return { info: [sc, p2] };
  const facility = strArg(args(cmd.args), 0).toUpperCase();
  if (facility === 'SC') return { info: [sc] };
  if (facility === 'P2') return { info: [p2] };
  throw syntaxError();
};

/** SIMCom: +SPIC: <pin1>,<puk1>,<pin2>,<puk2>. */
const spic: Handler = (cmd, m) => {
  if (cmd.kind === 'test') return OK;
  requirePresent(m);
  const sim = m.state.sim;
  return { info: [`+SPIC: ${Math.max(0, sim.pinAttempts)},${Math.max(0, sim.pukAttempts)},3,10`] };
};

const FACILITIES = ['SC', 'AO', 'OI', 'OX', 'AI', 'IR', 'AB', 'AG', 'AC', 'PS', 'FD'];

const clck: Handler = (cmd, m) => {
  if (cmd.kind === 'test') return { info: [`+CLCK: (${FACILITIES.map(quote).join(',')})`] };
  if (cmd.kind !== 'set') throw syntaxError();
  requirePresent(m);
  const list = args(cmd.args);
  const facility = strArg(list, 0).toUpperCase();
  const mode = intArg(list, 1, 0, 2);
  if (!FACILITIES.includes(facility)) throw syntaxError();
  if (facility !== 'SC') return mode === 2 ? { info: ['+CLCK: 0'] } : OK;
  if (mode === 2) return { info: [`+CLCK: ${m.state.sim.pinEnabled ? 1 : 0}`] };
  const error = m.state.sim.setLock(mode === 1, strArg(list, 2));
  if (error !== undefined) throw cmeError(error);
  return OK;
};

const cimi: Handler = (cmd, m) => {
  if (cmd.kind === 'test') return OK;
  if (cmd.kind !== 'exec') throw syntaxError();
  requireSim(m);
  return { info: [m.state.identity.imsi] };
};

function iccid(prefix: string): Handler {
  return (cmd, m) => {
    if (cmd.kind === 'test') return OK;
    if (cmd.kind !== 'exec' && cmd.kind !== 'read') throw syntaxError();
    requirePresent(m);
    return { info: [`${prefix}${m.state.identity.iccid}`] };
  };
}

export const simCommands: CommandTable = {
  '+CPIN': cpin,
  '+CPINR': cpinr,
  '+QPINC': qpinc,
  '+SPIC': spic,
  '+CLCK': clck,
  '+CIMI': cimi,
  '+CCID': iccid('+CCID: '),
  '+QCCID': iccid('+QCCID: '),
  '+CICCID': iccid('ICCID: '),
};
