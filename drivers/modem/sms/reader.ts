/**
 * A cursor over PDU bytes that names the field it is reading, so that a PDU that ends early
 * says which field is missing and where, rather than "index out of range".
 */
import { SmsPduError } from '../errors.js';

export class PduReader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start = 0,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Throws unless `n` more bytes are there for `field`. */
  need(n: number, field: string): void {
    if (this.remaining < n) {
      const left = this.remaining === 0 ? 'nothing is left' : `only ${this.remaining} ${this.remaining === 1 ? 'is' : 'are'} left`;
      throw new SmsPduError(`PDU ends before ${field} (byte ${this.pos}): it needs ${n} ${n === 1 ? 'byte' : 'bytes'} and ${left}`, this.pos);
    }
  }

  byte(field: string): number {
    this.need(1, field);
    return this.bytes[this.pos++]!;
  }

  /** The next `n` bytes, without copying. */
  take(n: number, field: string): Uint8Array {
    this.need(n, field);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}
