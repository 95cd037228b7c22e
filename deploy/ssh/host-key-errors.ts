/**
 * The refusals for a host key known_hosts does not vouch for. Each says what was presented, what
 * is known, and the one thing to do about it; a changed key says so loudly, because it is what
 * an attack looks like.
 */
import { homedir } from 'node:os';
import { SshError } from './errors.js';
import { fingerprint } from './host-key.js';
import { hostKeyName, type HostKeyCheck, type KnownKey } from './known-hosts.js';
import { shellQuote } from './quote.js';
import { describeTarget, type SshTarget } from './target.js';

export function hostKeyError(target: SshTarget, file: string, type: string, blob: Buffer, check: Exclude<HostKeyCheck, { status: 'match' }>): SshError {
  const who = describeTarget(target);
  const shown = `${type} ${fingerprint(blob)}`;
  const path = tildify(file);
  switch (check.status) {
    case 'unknown':
      return new SshError(
        'HOST_KEY_UNKNOWN',
        `refusing to connect: the host key of ${who} (${shown}) is not in ${path}: check the fingerprint on the device (ssh-keygen -lf /etc/ssh/${deviceKeyFile(type)}) and run again with --accept-new to pin it`,
      );
    case 'revoked':
      return new SshError(
        'HOST_KEY_REVOKED',
        `refusing to connect: the host key of ${who} (${shown}) is marked @revoked in ${where(check.entry)}: the device needs a new host key (pinned once it has one) before vigil connects to it`,
      );
    case 'changed': {
      const known = check.known.map((k) => `${k.type} ${k.fingerprint} (${where(k)})`).join(', ');
      const name = hostKeyName(target.host, target.port);
      return new SshError(
        'HOST_KEY_CHANGED',
        `WARNING: THE HOST KEY OF ${who} HAS CHANGED: it presents ${shown}, but ${check.known.length === 1 ? 'the key pinned for it is' : 'the keys pinned for it are'} ${known}. Someone may be intercepting the connection (a man-in-the-middle attack), or the device was reflashed or given new host keys. Refusing to connect, with or without --accept-new. If you know the device was reflashed, check its new fingerprint on the device, remove the old key with \`ssh-keygen -R ${shellQuote([name])} -f ${shellQuote([file])}\` and connect again with --accept-new`,
      );
    }
  }
}

function where(k: KnownKey): string {
  return `${tildify(k.file)}:${k.line}`;
}

/** Where the device keeps the key of this type, as a Raspberry Pi OS (Debian) sshd does. */
function deviceKeyFile(type: string): string {
  const kind = type === 'ssh-ed25519' ? 'ed25519' : type.startsWith('ecdsa-') ? 'ecdsa' : type === 'ssh-rsa' ? 'rsa' : '*';
  return `ssh_host_${kind}_key.pub`;
}

export function tildify(path: string): string {
  const home = homedir();
  return home !== '/' && path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}
