/** A host's public key as SSH sends it (the "blob"), named and fingerprinted as OpenSSH shows it. */
import { createHash } from 'node:crypto';

/** "SHA256:…", unpadded base64, exactly as `ssh` and `ssh-keygen -l` print it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type the blob names in its first field ("ssh-ed25519"); undefined when it is not a key blob. */
export function keyTypeOf(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || 4 + length > blob.length) return undefined;
  const type = blob.toString('latin1', 4, 4 + length);
  return /^[A-Za-z0-9@._+-]+$/.test(type) ? type : undefined;
}

/**
 * The host key algorithms that present a key of this type, for ordering the algorithms offered to
 * a server: an RSA key signs as rsa-sha2-512/256 (or, on old servers, ssh-rsa).
 */
export function algorithmsFor(keyType: string): string[] {
  return keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [keyType];
}
