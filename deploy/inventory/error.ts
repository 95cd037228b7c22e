import { VigilError } from '../../runtime/errors.js';

/** Where in an inventory file something was written; `line` is 1-based. */
export interface Where {
  file: string;
  line?: number;
}

/**
 * An inventory that cannot be used as written, or a `--limit` that selects nothing. Codes:
 * INVENTORY_UNREADABLE, INVENTORY_INVALID, INVENTORY_EMPTY, LIMIT_INVALID, LIMIT_UNMATCHED.
 * The message starts with `file:line:` when a line is to blame, so an editor can jump there.
 */
export class InventoryError extends VigilError {
  readonly file: string | undefined;
  readonly line: number | undefined;
  constructor(message: string, options: { code?: string; where?: Where; cause?: unknown } = {}) {
    const { where } = options;
    const prefix = where ? (where.line === undefined ? `${where.file}: ` : `${where.file}:${where.line}: `) : '';
    super(options.code ?? 'INVENTORY_INVALID', prefix + message, options);
    this.file = where?.file;
    this.line = where?.line;
  }
}

export function invalid(where: Where, message: string): InventoryError {
  return new InventoryError(message, { where });
}
