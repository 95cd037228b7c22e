/**
 * SHA-512 crypt ($6$) as `vigil flash` hashes passwords: the test vectors of Drepper's SHA-crypt
 * specification (as glibc and libxcrypt carry them), and agreement with `openssl passwd -6`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { hashPassword, isCryptHash, sha512Crypt } from '../deploy/flash/sha512-crypt.js';

const VECTORS: Array<[setting: string, password: string, expected: string]> = [
  ['$6$saltstring', 'Hello world!', '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1'],
  // An explicit rounds=5000 is kept in the result.
  ['$6$rounds=5000$saltstring', 'Hello world!', '$6$rounds=5000$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1'],
  ['$6$rounds=10000$saltstringsaltstring', 'Hello world!', '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.'],
  ['$6$rounds=5000$toolongsaltstring', 'This is just a test', '$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0'],
  [
    '$6$rounds=1400$anotherlongsaltstring',
    'a very much longer text to encrypt.  This one even stretches over morethan one line.',
    '$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1',
  ],
  ['$6$rounds=77777$short', 'we have a short salt string but not a short password', '$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0'],
  ['$6$rounds=123456$asaltof16chars..', 'a short string', '$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1'],
  // Rounds below the minimum are raised to 1000.
  ['$6$rounds=10$roundstoolow', 'the minimum number is still observed', '$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.'],
];

describe('sha512-crypt', () => {
  for (const [setting, password, expected] of VECTORS) {
    it(`matches the specification's vector for ${setting}`, () => {
      assert.equal(sha512Crypt(password, setting), expected);
    });
  }

  it('takes a whole hash as the setting (what verifying a password does)', () => {
    const [, , expected] = VECTORS[2]!;
    assert.equal(sha512Crypt('Hello world!', expected), expected);
    assert.notEqual(sha512Crypt('Hello world?', expected), expected);
  });

  it('agrees with `openssl passwd -6` on short, block-sized, long and non-ASCII passwords', () => {
    const passwords = ['a', 'correct horse battery staple', 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(65), 'pässwört ☃', randomBytes(40).toString('base64')];
    const salts = ['ab', 'saltstring', 'sixteencharsalt!'.replace('!', '.'), 'X/y.z01234567890'];
    for (const password of passwords) {
      for (const salt of salts) {
        const fromOpenssl = execFileSync('openssl', ['passwd', '-6', '-salt', salt, '-stdin'], { input: `${password}\n`, encoding: 'utf8' }).trim();
        assert.equal(sha512Crypt(password, `$6$${salt}`), fromOpenssl, `password ${JSON.stringify(password)}, salt ${salt}`);
      }
    }
  });

  it('hashPassword makes a fresh 16-character salt each time, and the hash verifies', () => {
    const a = hashPassword('hunter22');
    const b = hashPassword('hunter22');
    assert.match(a, /^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    assert.notEqual(a, b);
    const salt = a.split('$')[2]!;
    const fromOpenssl = execFileSync('openssl', ['passwd', '-6', '-salt', salt, '-stdin'], { input: 'hunter22\n', encoding: 'utf8' }).trim();
    assert.equal(a, fromOpenssl);
  });

  it('recognises crypt hashes and nothing else', () => {
    assert.ok(isCryptHash(VECTORS[0]![2]));
    assert.ok(isCryptHash('$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7'));
    assert.ok(isCryptHash('$5$rounds=5000$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5'));
    assert.ok(isCryptHash('$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW'));
    const good = VECTORS[0]![2];
    for (const text of ['hunter22', '$6$', '$6$ab$x', good.slice(0, -1), `${good}x`, good.replace('saltstring', 'salt:string'), '$1$abc$0123456789012345678901', '$9$x$y', '']) {
      assert.ok(!isCryptHash(text), text);
    }
  });
});
