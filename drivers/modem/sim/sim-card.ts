/**
 * The SIM's lock: PIN and PUK with their retry counters, as the card keeps them (3GPP TS 31.102,
 * TS 27.007 +CPIN). The counters live on the card, so a power cycle does not give attempts back;
 * only the lock state is re-applied at power-on.
 */
import { simError } from './sim-error.js';

export type PinState = 'READY' | 'SIM PIN' | 'SIM PUK' | 'PH-SIM PIN';

/** What +CPIN? shows, plus the two states it reports as an error instead. */
export type SimStatus = PinState | 'NOT INSERTED' | 'BLOCKED';

export interface SimCardOptions {
  pin: string;
  puk: string;
  /** Whether the PIN lock is on (AT+CLCK="SC"): the card starts in SIM PIN. */
  pinEnabled: boolean;
  /** The phone-to-SIM lock code for PH-SIM PIN. */
  phSimPin: string;
  pinAttempts: number;
  pukAttempts: number;
}

/** The +CME error numbers the card's answers turn into (TS 27.007 §9.2). */
export const CME = {
  notAllowed: 3,
  phSimPin: 5,
  notInserted: 10,
  simPin: 11,
  simPuk: 12,
  failure: 13,
  incorrectPassword: 16,
} as const;

const PIN_SHAPE = /^\d{4,8}$/;
const PUK_SHAPE = /^\d{8}$/;

export class SimCard {
  pin: string;
  readonly puk: string;
  readonly phSimPin: string;
  pinEnabled: boolean;
  pinAttempts: number;
  pukAttempts: number;
  present = true;
  state: PinState;

  constructor(o: SimCardOptions) {
    if (!PIN_SHAPE.test(o.pin)) throw simError(`pin "${o.pin}" is not a SIM PIN: expected 4 to 8 digits`);
    if (!PUK_SHAPE.test(o.puk)) throw simError(`puk "${o.puk}" is not a SIM PUK: expected 8 digits`);
    this.pin = o.pin;
    this.puk = o.puk;
    this.phSimPin = o.phSimPin;
    this.pinEnabled = o.pinEnabled;
    this.pinAttempts = o.pinAttempts;
    this.pukAttempts = o.pukAttempts;
    this.state = 'READY';
    this.powerOn();
  }

  /** What the card asks for right after power-on: its counters decide, the enable flag too. */
  powerOn(): void {
    if (this.pukAttempts <= 0 || this.pinAttempts <= 0) this.state = 'SIM PUK';
    else this.state = this.pinEnabled ? 'SIM PIN' : 'READY';
  }

  status(): SimStatus {
    if (!this.present) return 'NOT INSERTED';
    if (this.pukAttempts <= 0) return 'BLOCKED';
    return this.state;
  }

  /** The +CME error a SIM-dependent command gets right now, or undefined when the card is usable. */
  lockError(): number | undefined {
    switch (this.status()) {
      case 'READY':
        return undefined;
      case 'NOT INSERTED':
        return CME.notInserted;
      case 'BLOCKED':
        return CME.failure;
      case 'SIM PIN':
        return CME.simPin;
      case 'SIM PUK':
        return CME.simPuk;
      case 'PH-SIM PIN':
        return CME.phSimPin;
    }
  }

  /** AT+CPIN=<code>[,<newpin>]: undefined on success, else the +CME error number. */
  enter(code: string, newPin: string | undefined): number | undefined {
    const status = this.status();
    if (status === 'NOT INSERTED') return CME.notInserted;
    if (status === 'BLOCKED') return CME.failure;
    if (status === 'READY') return CME.notAllowed;
    if (status === 'PH-SIM PIN') {
      if (code !== this.phSimPin) return CME.incorrectPassword;
      this.state = 'READY';
      return undefined;
    }
    if (status === 'SIM PIN') {
      // A malformed PIN never reaches the card, so it costs no attempt.
      if (!PIN_SHAPE.test(code)) return CME.incorrectPassword;
      if (code !== this.pin) {
        this.pinAttempts--;
        if (this.pinAttempts <= 0) this.state = 'SIM PUK';
        return CME.incorrectPassword;
      }
      this.pinAttempts = 3;
      this.state = 'READY';
      return undefined;
    }
    // SIM PUK: the new PIN is mandatory (TS 27.007 §8.3).
    if (newPin === undefined || !PIN_SHAPE.test(newPin) || !PUK_SHAPE.test(code)) return CME.incorrectPassword;
    if (code !== this.puk) {
      this.pukAttempts--;
      return this.pukAttempts <= 0 ? CME.failure : CME.incorrectPassword;
    }
    this.pin = newPin;
    this.pinAttempts = 3;
    this.pukAttempts = 10;
    this.state = 'READY';
    return undefined;
  }

  /** AT+CLCK="SC",<mode>,<pin>: mode 0 unlocks, 1 locks; needs the right PIN like the card does. */
  setLock(enable: boolean, code: string): number | undefined {
    const locked = this.lockError();
    if (locked !== undefined) return locked;
    if (code !== this.pin) {
      this.pinAttempts--;
      if (this.pinAttempts <= 0) this.state = 'SIM PUK';
      return CME.incorrectPassword;
    }
    this.pinAttempts = 3;
    this.pinEnabled = enable;
    return undefined;
  }
}
