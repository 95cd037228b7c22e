/**
 * Calls as a host handles them without audio: answer (ATA), hang up (ATH, AT+CHUP), dial a voice
 * call (ATD…;), caller id presentation (+CLIP) and the call list (+CLCC).
 */
import { args, intArg } from './args.js';
import type { CommandTable, Handler } from './context.js';
import { OK, syntaxError } from './context.js';
import { canUseNetwork } from './state.js';

const NO_CARRIER = { final: { kind: 'RESULT', text: 'NO CARRIER' } } as const;

const answer: Handler = (cmd, m) => {
  if (cmd.args !== '' && cmd.args !== '0') throw syntaxError();
  return m.calls.answer() ? OK : NO_CARRIER;
};

const hangup: Handler = (cmd, m) => {
  if (cmd.kind === 'test') return OK;
  if (cmd.name === 'H' && cmd.args !== '' && cmd.args !== '0') throw syntaxError();
  m.calls.hangupLocal();
  return OK;
};

const dial: Handler = (cmd, m) => {
  const voice = cmd.args.endsWith(';');
  const number = cmd.args.replace(/;$/, '').replace(/^[TP]/i, '');
  if (!/^\+?[0-9*#]{1,40}$/.test(number)) throw syntaxError();
  // Without ';' it is a circuit-switched data call, which LTE modules no longer carry.
  if (!voice || !canUseNetwork(m.state) || m.calls.active) return NO_CARRIER;
  m.calls.dial(number);
  return OK;
};

const clip: Handler = (cmd, m) => {
  const s = m.state.settings;
  if (cmd.kind === 'read') return { info: [`+CLIP: ${s.clip ? 1 : 0},1`] };
  if (cmd.kind === 'test') return { info: ['+CLIP: (0,1)'] };
  if (cmd.kind !== 'set') throw syntaxError();
  s.clip = intArg(args(cmd.args), 0, 0, 1) === 1;
  return OK;
};

const clcc: Handler = (cmd, m) => {
  if (cmd.kind === 'test') return OK;
  if (cmd.kind !== 'exec') throw syntaxError();
  const lines = m.calls.list();
  return lines.length > 0 ? { info: lines } : OK;
};

export const callCommands: CommandTable = {
  A: answer,
  H: hangup,
  D: dial,
  '+CHUP': hangup,
  '+CLIP': clip,
  '+CLCC': clcc,
};
