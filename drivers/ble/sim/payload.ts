/**
 * What a simulated device puts on the air each advertising event. Built once and shared; only a
 * BTHome sensor changes from one event to the next (its packet id, and for an encrypted frame
 * its counter, advance as on a real sensor). For a plain BTHome frame the packet id is one byte
 * at a fixed place, found by building the frame with two ids and comparing, so each event is a
 * copy and a one-byte patch; an encrypted frame changes throughout and is rebuilt per event.
 */
import { errorMessage, VigilError } from '../../../runtime/errors.js';
import type { AdvertSpec } from '../adv/types.js';
import { buildAdvert, buildScanResponse } from '../adv/build.js';

export type AdvertSource = AdvertSpec | { hex: string };

/** Legacy advertising PDUs carry at most 31 bytes of data. */
export const MAX_LEGACY_ADV = 31;

type Bthome = NonNullable<AdvertSpec['bthome']>;

/** An advert a device cannot send. `field` is where in the device's config: "advert", "advert.serviceUuids[1]", "scanResponse.bthome". */
export class AdvertSourceError extends VigilError {
  readonly field: string;
  constructor(message: string, field: string, cause?: unknown) {
    super('ADVERT_INVALID', message, { cause });
    this.field = field;
  }
}

export function isHexSource(source: AdvertSource): source is { hex: string } {
  return typeof (source as { hex?: unknown }).hex === 'string';
}

export function hexBytes(hex: string, what: string): Buffer {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new Error(`${what} ${JSON.stringify(hex)} is not hex bytes (pairs of hex digits such as "0201060302aafe")`);
  return Buffer.from(hex, 'hex');
}

export class AdvertPayload {
  readonly #what: string;
  readonly #field: 'advert' | 'scanResponse';
  readonly #builder: (spec: AdvertSpec) => Buffer;
  readonly #spec: AdvertSpec | undefined;
  readonly #bthome: Bthome | undefined;
  #readings: Record<string, number>;
  #template: Buffer;
  /** Where the packet id byte is, when one byte is all that changes between events. */
  #patchAt: number | undefined;
  /** Advertising events sent so far: the packet id and counter are their base plus this. */
  #sent = 0;

  /** `what` names it in messages ("peripheral tag: advert"); a scan response is built without flags unless it asks. */
  constructor(source: AdvertSource, what: string, kind: 'advert' | 'scanResponse') {
    this.#what = what;
    this.#field = kind;
    this.#builder = kind === 'advert' ? buildAdvert : buildScanResponse;
    this.#spec = isHexSource(source) ? undefined : source;
    this.#bthome = this.#spec?.bthome;
    this.#readings = { ...(this.#bthome?.readings ?? {}) };
    this.#template = this.#guard(() => (isHexSource(source) ? checkLength(hexBytes(source.hex, 'hex'), this.#what) : this.#prepare()));
  }

  get bthome(): boolean {
    return this.#bthome !== undefined;
  }

  readings(): Record<string, number> {
    return { ...this.#readings };
  }

  /** The BTHome packet id the next event carries. */
  get packetId(): number {
    return ((this.#bthome?.packetId ?? 0) + this.#sent) & 0xff;
  }

  /** Change some readings (the others keep their values); the frame is rebuilt at once, so a bad value throws here. */
  setReadings(readings: Record<string, number>): void {
    if (!this.#bthome) throw new Error(`${this.#what} has no BTHome frame: readings cannot be set`);
    const before = this.#readings;
    this.#readings = { ...before, ...readings };
    try {
      this.#template = this.#guard(() => this.#prepare());
    } catch (err) {
      this.#readings = before;
      throw err;
    }
  }

  /** The bytes of the next advertising event. */
  next(): Buffer {
    if (!this.#bthome) return this.#template;
    const id = this.packetId;
    this.#sent++;
    if (this.#patchAt !== undefined) {
      const out = Buffer.allocUnsafe(this.#template.length);
      this.#template.copy(out);
      out[this.#patchAt] = id;
      return out;
    }
    return this.#build(this.#sent - 1);
  }

  /** The bytes of the last event (or of the first, before any was sent), without advancing. */
  current(): Buffer {
    if (!this.#bthome) return this.#template;
    return this.#build(Math.max(0, this.#sent - 1));
  }

  #guard<T>(make: () => T): T {
    try {
      return make();
    } catch (err) {
      const sub = (err as { field?: unknown }).field;
      const field = typeof sub === 'string' ? `${this.#field}.${sub}` : err instanceof VigilError && err.code === 'BTHOME_INVALID' ? `${this.#field}.bthome` : this.#field;
      throw new AdvertSourceError(`${this.#what}: ${errorMessage(err)}`, field, err);
    }
  }

  #build(sent: number): Buffer {
    const b = this.#bthome!;
    const frame: Bthome = { ...b, readings: this.#readings, packetId: ((b.packetId ?? 0) + sent) & 0xff };
    if (b.key !== undefined) frame.counter = ((b.counter ?? 0) + sent) >>> 0;
    return checkLength(this.#builder({ ...this.#spec!, bthome: frame }), this.#what);
  }

  #prepare(): Buffer {
    if (!this.#bthome) return checkLength(this.#builder(this.#spec!), this.#what);
    const a = this.#build(this.#sent);
    this.#patchAt = undefined;
    if (this.#bthome.key === undefined) {
      const b = this.#build(this.#sent + 1);
      this.#patchAt = singleDifference(a, b);
    }
    return a;
  }
}

function singleDifference(a: Buffer, b: Buffer): number | undefined {
  if (a.length !== b.length) return undefined;
  let at: number | undefined;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    if (at !== undefined) return undefined;
    at = i;
  }
  return at;
}

function checkLength(data: Buffer, what: string): Buffer {
  if (data.length > MAX_LEGACY_ADV) throw new Error(`it is ${data.length} bytes: legacy advertising carries at most ${MAX_LEGACY_ADV}`);
  return data;
}
