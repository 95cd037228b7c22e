/** `vigil install` could not do what it was asked; the code says which check or step failed. */
import { VigilError } from '../../runtime/errors.js';

export class InstallError extends VigilError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
