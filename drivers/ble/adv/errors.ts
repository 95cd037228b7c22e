/** Errors from the advertising-data codec. Parsing never throws: these come from building and from BTHome. */
import { VigilError } from '../../../runtime/errors.js';

/** An advert cannot be built as asked. `field` names the spec field ("serviceUuids[1]", "manufacturerData[0].companyId"). */
export class AdvertBuildError extends VigilError {
  readonly field: string | undefined;
  constructor(message: string, options?: { field?: string; cause?: unknown }) {
    super('ADVERT_INVALID', message, options);
    this.field = options?.field;
  }
}

/**
 * A BTHome frame cannot be decoded (or readings cannot be encoded). `detail` says which case, for
 * callers that branch: 'encrypted' (no key given), 'mic' (wrong key or address), 'version',
 * 'object' (unknown object id), 'truncated', 'value' (encoding: a reading out of range or unknown).
 */
export class BthomeError extends VigilError {
  readonly detail: 'encrypted' | 'mic' | 'version' | 'object' | 'truncated' | 'value' | 'key';
  constructor(detail: BthomeError['detail'], message: string, options?: { cause?: unknown }) {
    super('BTHOME_INVALID', message, options);
    this.detail = detail;
  }
}
