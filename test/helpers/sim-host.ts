// The host side of the modem simulator for tests: an AT conversation over SimModem.connect().
import { SimModem } from '../../drivers/modem/sim/index.js';
import type { SimModemOptions } from '../../drivers/modem/sim/index.js';
/** The host side of a connection: writes commands, keeps every byte and the lines they make. */
export class Host {
  raw = '';
  writes: Buffer[] = [];
  readonly conn;
  #seen = 0;

  constructor(readonly sim: SimModem) {
    this.conn = sim.connect({
      write: (b) => {
        this.writes.push(Buffer.from(b));
        this.raw += b.toString('latin1');
      },
    });
  }

  /** Every non-empty line received so far (CR, LF and CRLF all end a line). */
  get lines(): string[] {
    return this.raw.split(/\r\n|\r|\n/).filter((l) => l !== '');
  }

  send(text: string | Buffer): void {
    this.conn.input(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  }

  /** Lines that arrived since the last call to fresh(). */
  fresh(): string[] {
    const all = this.lines;
    const out = all.slice(this.#seen);
    this.#seen = all.length;
    return out;
  }

  async until(pred: () => boolean, what: string, timeoutMs = 1000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(this.raw.slice(-400))}`);
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Send a command line and return the lines up to and including its final result. */
  async at(line: string): Promise<string[]> {
    this.fresh();
    const before = this.lines.length;
    this.send(line + '\r');
    const isFinal = (l: string) => /^(OK|ERROR|NO CARRIER|\+CM[ES] ERROR: .*)$/.test(l);
    await this.until(() => this.lines.slice(before).some(isFinal), `the final result of ${line}`);
    const got = this.lines.slice(before);
    const end = got.findIndex(isFinal);
    this.#seen = before + end + 1;
    return got.slice(0, end + 1);
  }

  /** AT+CMGS in PDU mode without waiting for the prompt; resolves with the final lines (E0 assumed). */
  async submit(pdu: { hex: string; tpduLength: number }): Promise<string[]> {
    this.fresh();
    const before = this.lines.length;
    this.send(`AT+CMGS=${pdu.tpduLength}\r${pdu.hex}\x1a`);
    const isFinal = (l: string) => /^(OK|ERROR|\+CMS ERROR: .*)$/.test(l);
    await this.until(() => this.lines.slice(before).some(isFinal), 'the result of AT+CMGS');
    const got = this.lines.slice(before).filter((l) => l !== '> ');
    const end = got.findIndex(isFinal);
    this.#seen = this.lines.length;
    return got.slice(0, end + 1);
  }

  /** Like at(), without the echoed command line. */
  async answer(line: string): Promise<string[]> {
    const got = await this.at(line);
    return got[0] === line ? got.slice(1) : got;
  }
}

export function modem(options: SimModemOptions = {}): { sim: SimModem; host: Host } {
  const sim = new SimModem({ responseDelayMs: 0, ...options });
  return { sim, host: new Host(sim) };
}

/** Let queued microtasks and immediates run (for FakeClock tests, where no real timer is involved). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
