/**
 * What `vigil flash` raises. Codes let callers (and tests) branch without reading messages:
 * FLASH_BAD_ARGUMENT, FLASH_NOT_IMAGE, FLASH_NO_BOOT_PARTITION, FLASH_NOT_RASPBERRY_PI_OS,
 * FLASH_TOOL_MISSING, FLASH_TOOL_FAILED, FLASH_DEVICE_IN_USE, FLASH_PARTITION_GIVEN,
 * FLASH_NOT_DEVICE, FLASH_PACKAGE, FLASH_VERIFY_FAILED.
 */
import { VigilError } from '../../runtime/errors.js';

export class FlashError extends VigilError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
