/**
 * SHA-512 crypt (`$6$`), as specified in Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512"
 * and implemented by glibc and libxcrypt: the hash /etc/shadow, chpasswd -e, userconf and
 * cloud-init's `passwd` take. Node has no crypt(3), and the hash must be made on the machine that
 * flashes, so the password itself never lands on the card.
 */
import { createHash, randomBytes } from 'node:crypto';

const ROUNDS_DEFAULT = 5000;
const ROUNDS_MIN = 1000;
const ROUNDS_MAX = 999_999_999;
const SALT_MAX = 16;
const ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * The byte order of the final base-64 step, as the spec lists it: (0,21,42), (22,43,1), (44,2,23),
 * (3,24,45)… — each triple i, i+21, i+42 rotated left by i mod 3.
 */
const TRIPLES: Array<[number, number, number]> = [];
for (let i = 0; i < 21; i++) {
  const t = [i, i + 21, i + 42];
  const r = i % 3;
  TRIPLES.push([t[r]!, t[(r + 1) % 3]!, t[(r + 2) % 3]!]);
}

const sha512 = (...parts: Buffer[]) => {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** `length` bytes of `digest` repeated (the spec's "for each block of 64 bytes… the remaining bytes"). */
function stretch(digest: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += digest.length) digest.copy(out, i, 0, Math.min(digest.length, length - i));
  return out;
}

function base64(value: number, chars: number): string {
  let out = '';
  for (let i = 0; i < chars; i++) {
    out += ALPHABET[value & 0x3f];
    value >>>= 6;
  }
  return out;
}

/**
 * `setting` is `$6$SALT` or `$6$rounds=N$SALT` (anything after a further `$` is ignored, so a whole
 * hash works as the setting). Salt beyond 16 characters is cut, rounds are clamped to 1000…999999999,
 * and an explicit rounds= is kept in the result — all as glibc does.
 */
export function sha512Crypt(password: string | Buffer, setting: string): string {
  if (!setting.startsWith('$6$')) throw new Error(`sha512Crypt: setting ${JSON.stringify(setting)} does not start with "$6$"`);
  let rest = setting.slice(3);
  let rounds = ROUNDS_DEFAULT;
  let customRounds = false;
  const match = /^rounds=(\d+)\$/.exec(rest);
  if (match) {
    rounds = Math.min(ROUNDS_MAX, Math.max(ROUNDS_MIN, Number(match[1])));
    customRounds = true;
    rest = rest.slice(match[0].length);
  }
  const end = rest.indexOf('$');
  const saltText = (end === -1 ? rest : rest.slice(0, end)).slice(0, SALT_MAX);
  const key = Buffer.isBuffer(password) ? password : Buffer.from(password, 'utf8');
  const salt = Buffer.from(saltText, 'utf8');

  const b = sha512(key, salt, key);
  const a = createHash('sha512').update(key).update(salt).update(stretch(b, key.length));
  for (let n = key.length; n > 0; n >>= 1) a.update(n & 1 ? b : key);
  let digest = a.digest();

  const dp = stretch(sha512(...Array.from({ length: key.length }, () => key)), key.length);
  const ds = stretch(sha512(...Array.from({ length: 16 + digest[0]! }, () => salt)), salt.length);

  for (let i = 0; i < rounds; i++) {
    const c = createHash('sha512');
    c.update(i & 1 ? dp : digest);
    if (i % 3) c.update(ds);
    if (i % 7) c.update(dp);
    c.update(i & 1 ? digest : dp);
    digest = c.digest();
  }

  let encoded = '';
  for (const [x, y, z] of TRIPLES) encoded += base64((digest[x]! << 16) | (digest[y]! << 8) | digest[z]!, 4);
  encoded += base64(digest[63]!, 2);
  return `$6$${customRounds ? `rounds=${rounds}$` : ''}${saltText}$${encoded}`;
}

/** A fresh `$6$` hash of `password` with a random 16-character salt and the default rounds. */
export function hashPassword(password: string): string {
  const bytes = randomBytes(SALT_MAX);
  let salt = '';
  for (const byte of bytes) salt += ALPHABET[byte & 0x3f];
  return sha512Crypt(password, `$6$${salt}`);
}

const CRYPT_HASHES = [
  /^\$6\$(?:rounds=\d+\$)?[^$:\s]{0,16}\$[./0-9A-Za-z]{86}$/, // SHA-512 crypt
  /^\$5\$(?:rounds=\d+\$)?[^$:\s]{0,16}\$[./0-9A-Za-z]{43}$/, // SHA-256 crypt
  /^\$g?y\$[./0-9A-Za-z]+\$[./0-9A-Za-z]*\$[./0-9A-Za-z]{43}$/, // (gost-)yescrypt, Debian's default
  /^\$2[aby]\$\d\d\$[./0-9A-Za-z]{53}$/, // bcrypt
];

/** Whether `text` is a whole crypt(3) hash of a kind Debian's chpasswd -e and cloud-init take. */
export function isCryptHash(text: string): boolean {
  return CRYPT_HASHES.some((re) => re.test(text));
}
