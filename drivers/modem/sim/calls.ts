/**
 * Voice calls as far as a background-task runtime sees them (TS 27.007 §6, V.250 §6.3): an
 * incoming call rings (RING, then +CLIP when AT+CLIP=1) every few seconds until it is answered
 * or either side hangs up; the remote side hanging up shows NO CARRIER, a local ATH just OK.
 */
import type { Clock, TimerHandle } from '../../../runtime/clock.js';
import { simError } from './sim-error.js';

export interface CallsHost {
  readonly clock: Clock;
  urc(line: string): void;
  clipEnabled(): boolean;
}

interface Call {
  number: string;
  type: number;
  /** TS 27.007 +CLCC <stat>: 0 active, 2 dialing, 4 incoming. */
  stat: 0 | 2 | 4;
  incoming: boolean;
}

/** Time between RINGs: about what networks use (ring tone cadence, repeated indication). */
export const RING_INTERVAL_MS = 3000;

export class Calls {
  readonly #host: CallsHost;
  #call: Call | undefined;
  #ringTimer: TimerHandle | undefined;

  constructor(host: CallsHost) {
    this.#host = host;
  }

  get active(): boolean {
    return this.#call !== undefined;
  }

  ring(number: string, type?: number): void {
    if (this.#call) throw simError(`a call with "${this.#call.number}" is already in progress: hang it up before ringing again`, 'SIM_BAD_STATE');
    this.#call = { number, type: type ?? (number.startsWith('+') ? 145 : 129), stat: 4, incoming: true };
    this.#announce();
  }

  /** ATA: true when there was a ringing call to pick up. */
  answer(): boolean {
    if (!this.#call || this.#call.stat !== 4) return false;
    this.#stopRinging();
    this.#call.stat = 0;
    return true;
  }

  dial(number: string): void {
    this.#call = { number, type: number.startsWith('+') ? 145 : 129, stat: 0, incoming: false };
  }

  /** ATH / AT+CHUP: the host ends it; no NO CARRIER follows. */
  hangupLocal(): void {
    this.#stopRinging();
    this.#call = undefined;
  }

  /** The other party (or the network) ends it. */
  hangupRemote(): void {
    if (!this.#call) return;
    this.#stopRinging();
    this.#call = undefined;
    this.#host.urc('NO CARRIER');
  }

  /** +CLCC lines for AT+CLCC. */
  list(): string[] {
    const c = this.#call;
    if (!c) return [];
    return [`+CLCC: 1,${c.incoming ? 1 : 0},${c.stat},0,0,"${c.number}",${c.type}`];
  }

  /** Power loss: the call is simply gone. */
  reset(): void {
    this.#stopRinging();
    this.#call = undefined;
  }

  #announce(): void {
    const c = this.#call;
    if (!c || c.stat !== 4) return;
    this.#host.urc('RING');
    if (this.#host.clipEnabled()) this.#host.urc(`+CLIP: "${c.number}",${c.type},,,,0`);
    // Unref: an unanswered call must not keep a test process (or the runtime) alive.
    this.#ringTimer = this.#host.clock.setTimeout(() => this.#announce(), RING_INTERVAL_MS);
    this.#ringTimer.unref();
  }

  #stopRinging(): void {
    if (this.#ringTimer) this.#host.clock.clearTimeout(this.#ringTimer);
    this.#ringTimer = undefined;
  }
}
