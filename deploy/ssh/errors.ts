/**
 * Why an SSH connection or a command over it failed. Codes:
 * HOST_KEY_UNKNOWN, HOST_KEY_CHANGED, HOST_KEY_REVOKED — the device's host key is not the one
 * known_hosts vouches for (nothing is sent to such a host, not even the user name);
 * AUTH_FAILED, KEY_ENCRYPTED, IDENTITY_INVALID — no key was accepted, or a key file is unusable;
 * CONNECT_FAILED — refused, unreachable, not resolvable, timed out, or dropped;
 * BAD_TARGET — a USER@HOST[:PORT] that does not parse;
 * EXEC_FAILED, UPLOAD_FAILED, TIMEOUT — a command or a transfer on an established connection.
 */
import { VigilError } from '../../runtime/errors.js';

export class SshError extends VigilError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
