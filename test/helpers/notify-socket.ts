/**
 * A stand-in for systemd's notify socket: a unix datagram socket that records every message
 * with the time it arrived. Node cannot open one, and socat will not do either: it accepts the
 * file descriptor systemd-notify passes for its barrier and keeps it open, so every barrier
 * times out. perl (perl-base, installed on every Debian and Raspberry Pi OS system) reads with
 * plain recv(), which makes the kernel close passed descriptors as PID 1 does after reading.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { tempDir } from './harness.js';

export interface NotifyMessage {
  /** Arrival, in ms since the epoch. */
  at: number;
  /** The assignments, one per line of the datagram. */
  lines: string[];
}

export interface NotifyListener {
  path: string;
  messages: NotifyMessage[];
  /** Resolves with the first message (from `from` on) that has `line`. */
  waitFor(line: string, options?: { timeoutMs?: number; from?: number }): Promise<NotifyMessage>;
  close(): Promise<void>;
}

const LISTENER = String.raw`
use strict; use Socket; use Time::HiRes qw(time); $| = 1;
socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!";
bind($s, pack_sockaddr_un($ARGV[0])) or die "bind $ARGV[0]: $!";
print "listening\n";
while (defined(recv($s, my $buf, 65536, 0))) { $buf =~ s/\\/\\\\/g; $buf =~ s/\n/\\n/g; printf "%.3f\t%s\n", time() * 1000, $buf; }
`;

export async function startNotifyListener(): Promise<NotifyListener> {
  const dir = tempDir('vigil-notify-');
  const path = join(dir, 'notify.sock');
  const child: ChildProcess = spawn('perl', ['-e', LISTENER, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  const messages: NotifyMessage[] = [];
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let pending = '';
  const listening = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the notify listener exited with ${code}: ${stderr}`)));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      pending += d;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line === 'listening') {
          resolve();
          continue;
        }
        const tab = line.indexOf('\t');
        const text = line.slice(tab + 1).replace(/\\(n|\\)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
        messages.push({ at: Number(line.slice(0, tab)), lines: text.split('\n').filter((l) => l !== '') });
      }
    });
  });
  await listening;
  return {
    path,
    messages,
    async waitFor(line, options = {}) {
      const end = Date.now() + (options.timeoutMs ?? 15_000);
      for (;;) {
        const found = messages.slice(options.from ?? 0).find((m) => m.lines.includes(line));
        if (found) return found;
        if (Date.now() > end) throw new Error(`no ${line} on the notify socket; got: ${JSON.stringify(messages.map((m) => m.lines))}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
