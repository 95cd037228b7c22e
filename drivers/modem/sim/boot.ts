/**
 * What a module prints by itself when it starts and when its SIM changes state. Hosts wait for
 * these ("RDY", "+CPIN: READY", "SMS DONE") before talking to it, so they follow the vendor:
 * Quectel adds +QUSIM and +QIND lines, SIMCom prints bare "SMS DONE" and +SIMCARD.
 */
import { vendorOf } from './identity.js';
import type { ModemState } from './state.js';

/** The +CPIN (or vendor) line for the SIM as it is now, then the "SIM ready" lines once READY. */
export function simLines(state: ModemState): string[] {
  const vendor = vendorOf(state.identity);
  const status = state.sim.status();
  if (status === 'NOT INSERTED') return [vendor === 'simcom' ? '+SIMCARD: NOT AVAILABLE' : '+CPIN: NOT READY'];
  if (status === 'BLOCKED') return ['+CPIN: NOT READY'];
  const lines = [`+CPIN: ${status}`];
  if (status === 'READY') lines.push(...readyLines(state));
  return lines;
}

function readyLines(state: ModemState): string[] {
  switch (vendorOf(state.identity)) {
    case 'quectel':
      return ['+QIND: SMS DONE', '+QIND: PB DONE'];
    case 'simcom':
      return ['SMS DONE', 'PB DONE'];
    case 'other':
      return [];
  }
}

/** The start-up lines after power-on or AT+CFUN=1,1. */
export function bootLines(state: ModemState): string[] {
  const vendor = vendorOf(state.identity);
  const sim = simLines(state);
  if (vendor === 'quectel') {
    // EC25 order: RDY, +CFUN, +CPIN, then +QUSIM before the SMS/phonebook lines.
    const [cpin, ...rest] = sim;
    return ['RDY', '+CFUN: 1', cpin!, ...(state.sim.present ? ['+QUSIM: 1'] : []), ...rest];
  }
  return ['RDY', ...sim];
}
