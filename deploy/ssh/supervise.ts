/**
 * A remote command that ends when its SSH channel does.
 *
 * Without a terminal, sshd does not end a command when the channel closes: the command runs on
 * until it next writes. The SSH "signal" request would end it, but sshd honours it only in a
 * privilege-separated session, and a root login never is one (OpenSSH skips post-auth privilege
 * separation for uid 0), so `vigil logs root@device --follow` would leave `vigil logs` running
 * on the device after every Ctrl-C.
 *
 * So the command runs under a small POSIX sh supervisor: the command in its own process group
 * (setsid) with no input, and a watcher reading the channel's input, which ends when the channel
 * closes — kill(), a lost connection, this process killed outright — and then sends the group
 * SIGTERM. TERM, HUP and INT sent to the supervisor go to the group as TERM (an asynchronous
 * command cannot receive SIGINT: sh starts it with SIGINT ignored). The supervisor exits with
 * the command's status, or dies of the signal that ended the command, so callers see what
 * they would have seen without it.
 */
import { shellQuote } from './quote.js';

const SUPERVISOR = [
  'exec 3<&0 </dev/null',
  'if command -v setsid >/dev/null 2>&1; then setsid sh -c "$1" & pid=$!; else sh -c "$1" & pid=$!; fi',
  // Until setsid has run there is no group -$pid yet, only $pid (which then runs nothing else).
  'stop() { kill -TERM -$pid 2>/dev/null || kill -TERM $pid 2>/dev/null; }',
  'for sig in INT TERM HUP; do trap stop $sig; done',
  // Repeated while the command lives: a TERM that landed between setsid and its first child is not the last word.
  '{ trap "" INT TERM HUP; while read -r _ <&3; do :; done; while kill -0 $pid 2>/dev/null; do stop; sleep 1; done; } >/dev/null 2>&1 &',
  'watcher=$!',
  'exec 3<&-',
  // wait returns early when a trapped signal arrives: wait again until the command is gone.
  'while :; do wait $pid; status=$?; kill -0 $pid 2>/dev/null || break; done',
  // KILL: the watcher ignores TERM.
  'kill -KILL $watcher 2>/dev/null',
  'if [ $status -gt 128 ]; then trap - $((status - 128)); kill -$((status - 128)) $$; fi',
  'exit $status',
].join('\n');

/** `command` wrapped so that it ends with its channel; it gets no input (stdin is /dev/null). */
export function supervised(command: string): string {
  return shellQuote(['sh', '-c', SUPERVISOR, 'vigil-supervise', command]);
}
