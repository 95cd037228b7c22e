/**
 * Which keys a connection offers, in order: the --identity key file, then the keys in ssh-agent,
 * then the default key files that exist (~/.ssh/id_ed25519, id_ecdsa, id_rsa), as ssh does.
 * Keys only: a device provisioned by vigil has no password login, and nothing here prompts
 * (a passphrase-protected key belongs in ssh-agent). What was tried is kept for the error
 * message when none was accepted.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import ssh2, { type AnyAuthMethod, type AuthHandlerMiddleware, type OpenSSHAgent, type ParsedKey } from 'ssh2';
import { SshError } from './errors.js';
import { fingerprint } from './host-key.js';

// ssh2 is CommonJS whose exports Node cannot list statically: named imports of values fail at run time.
const { OpenSSHAgent: Agent, utils } = ssh2;

export const DEFAULT_KEY_NAMES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

export interface AuthOptions {
  /** A private key file to try first. */
  identity?: string | undefined;
  /** ssh-agent's socket; default $SSH_AUTH_SOCK. An empty string: no agent. */
  agent?: string | undefined;
  /** Where the default keys are looked for; default ~/.ssh. */
  sshDir?: string | undefined;
}

interface Attempt {
  method: AnyAuthMethod;
  /** For the message: "key file ~/.ssh/deploy (ssh-ed25519 SHA256:…)". */
  description: string;
}

export class AuthPlan {
  readonly #attempts: Attempt[];
  /** What was offered to the server, in order. */
  readonly tried: string[] = [];
  /** Keys that could not be offered, and why (encrypted, unreadable, agent unreachable). */
  readonly notes: string[];
  /** The --identity file when it is protected by a passphrase. */
  readonly encryptedIdentity: string | undefined;
  /** The methods the server said it would accept, once it has said so. */
  serverMethods: string[] | undefined;

  constructor(attempts: Attempt[], notes: string[], encryptedIdentity: string | undefined) {
    this.#attempts = attempts;
    this.notes = notes;
    this.encryptedIdentity = encryptedIdentity;
  }

  /** For ssh2's authHandler: the next key to offer, or false when there is none left (or the server takes no keys). */
  readonly handler: AuthHandlerMiddleware = (methodsLeft, _partial, next) => {
    if (methodsLeft) this.serverMethods = methodsLeft;
    const attempt = this.#attempts.shift();
    if (!attempt || (methodsLeft && !methodsLeft.includes('publickey'))) return next(false as never);
    this.tried.push(attempt.description);
    next(attempt.method);
  };

  /** Why nothing was accepted, for user@host. */
  failure(who: string): SshError {
    const tried = this.tried.length > 0 ? `tried ${this.tried.join('; ')}` : 'there was no key to try';
    const notes = this.notes.length > 0 ? ` (${this.notes.join('; ')})` : '';
    const server = this.serverMethods && !this.serverMethods.includes('publickey') ? `; the server accepts only ${this.serverMethods.join(', ')}, and vigil logs in with keys only` : '';
    if (this.encryptedIdentity !== undefined) {
      return new SshError('KEY_ENCRYPTED', `could not log in to ${who}: the key ${this.encryptedIdentity} is protected by a passphrase and vigil does not ask for passphrases: add it to ssh-agent (ssh-add ${this.encryptedIdentity}) and run again; ${tried}${notes}`);
    }
    const hint = `give the key the device accepts with --identity KEY, or add it to ssh-agent (the device's ~/.ssh/authorized_keys must hold its public key)`;
    return new SshError('AUTH_FAILED', `could not log in to ${who}: no key was accepted; ${tried}${notes}${server}; ${hint}`);
  }
}

export async function planAuth(user: string, options: AuthOptions): Promise<AuthPlan> {
  const attempts: Attempt[] = [];
  const notes: string[] = [];
  let encryptedIdentity: string | undefined;
  const offered = new Set<string>();

  if (options.identity !== undefined) {
    const key = await readIdentity(options.identity);
    if (key === 'encrypted') encryptedIdentity = options.identity;
    else {
      attempts.push(keyAttempt(user, key, `key file ${options.identity}`));
      offered.add(resolve(options.identity));
    }
  }

  const socket = options.agent ?? process.env.SSH_AUTH_SOCK ?? '';
  if (socket !== '') {
    const agent = new Agent(socket);
    const keys = await agentKeys(agent);
    if (keys instanceof Error) notes.push(`ssh-agent at ${socket} could not be reached: ${keys.message}`);
    else if (keys.length === 0) notes.push(`ssh-agent at ${socket} holds no keys`);
    else attempts.push({ method: { type: 'agent', username: user, agent }, description: `${keys.length} key${keys.length === 1 ? '' : 's'} in ssh-agent (${keys.map(describeKey).join(', ')})` });
  } else if (encryptedIdentity !== undefined) {
    throw new SshError('KEY_ENCRYPTED', `the key ${encryptedIdentity} is protected by a passphrase and vigil does not ask for passphrases: start ssh-agent, add the key to it (ssh-add ${encryptedIdentity}) and run again`);
  }

  const sshDir = options.sshDir ?? join(homedir(), '.ssh');
  const defaults: string[] = [];
  for (const name of DEFAULT_KEY_NAMES) {
    const path = join(sshDir, name);
    if (offered.has(resolve(path))) continue;
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch {
      continue;
    }
    const key = utils.parseKey(data);
    if (key instanceof Error) {
      notes.push(isEncrypted(key) ? `${path} is protected by a passphrase (add it to ssh-agent to use it)` : `${path} could not be read as a key`);
      continue;
    }
    const parsed = Array.isArray(key) ? (key[0] as ParsedKey) : key;
    if (!parsed.isPrivateKey()) continue;
    defaults.push(path);
    attempts.push(keyAttempt(user, parsed, `key file ${path}`));
  }
  if (defaults.length === 0 && options.identity === undefined) notes.push(`none of the default keys ${DEFAULT_KEY_NAMES.map((n) => join(sshDir, n)).join(', ')} exists`);
  return new AuthPlan(attempts, notes, encryptedIdentity);
}

async function readIdentity(path: string): Promise<ParsedKey | 'encrypted'> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new SshError('IDENTITY_INVALID', `--identity ${JSON.stringify(path)} cannot be read: ${why}; expected a private key file (e.g. ~/.ssh/id_ed25519)`, { cause: err });
  }
  const key = utils.parseKey(data);
  if (key instanceof Error) {
    if (isEncrypted(key)) return 'encrypted';
    throw new SshError('IDENTITY_INVALID', `--identity ${JSON.stringify(path)} is not a private key ssh2 can use (${key.message}); expected an OpenSSH or PEM private key file`, { cause: key });
  }
  const parsed = Array.isArray(key) ? (key[0] as ParsedKey) : key;
  if (!parsed.isPrivateKey()) {
    throw new SshError('IDENTITY_INVALID', `--identity ${JSON.stringify(path)} is a public key: give the private key file (the same name without .pub)`);
  }
  return parsed;
}

function keyAttempt(user: string, key: ParsedKey, where: string): Attempt {
  return { method: { type: 'publickey', username: user, key }, description: `${where} (${describeKey(key)})` };
}

function describeKey(key: ParsedKey): string {
  return `${key.type} ${fingerprint(key.getPublicSSH())}`;
}

function isEncrypted(err: Error): boolean {
  return /encrypted|passphrase/i.test(err.message);
}

function agentKeys(agent: OpenSSHAgent): Promise<ParsedKey[] | Error> {
  return new Promise((done) => {
    // OpenSSHAgent gives parsed keys (the wider type covers other agents' key entries).
    agent.getIdentities((err, keys) => done(err ?? ((keys ?? []) as ParsedKey[])));
  });
}
