// The modem tests need socat for a pseudo-terminal; `npm test` installs it (test/setup.sh).
import { spawnSync } from 'node:child_process';

export function requireSocat(): void {
  if (spawnSync('socat', ['-V'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('socat is not installed: the modem tests need it for a pseudo-terminal; run them through npm test (test/setup.sh installs it) or apt-get install socat');
  }
}
