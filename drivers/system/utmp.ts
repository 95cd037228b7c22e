/**
 * Operator sessions from the two places Linux records them: glibc's `/run/utmp` (binary,
 * fixed-size records) and systemd-logind's `/run/systemd/sessions/*` (key=value text).
 * Newer distributions may write only one of them (utmp is being retired in favour of logind),
 * so the binding reads both and merges them by process id.
 */
import type { Session } from './system.js';

/** glibc's `struct utmp` on 32- and 64-bit Linux alike (the time fields are int32 there). */
export const UTMP_RECORD_SIZE = 384;
export const USER_PROCESS = 7;

const OFF = { type: 0, pid: 4, line: 8, user: 44, host: 76, tvSec: 340, tvUsec: 344 } as const;
const LEN = { line: 32, user: 32, host: 256 } as const;

/** A NUL-padded fixed-size C string field. */
function cString(buf: Buffer, offset: number, length: number): string {
  const field = buf.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8');
}

/**
 * Every USER_PROCESS record, in file order. A trailing partial record (the file caught while
 * being appended to) is ignored: the next poll sees it whole.
 */
export function parseUtmp(buf: Buffer): Session[] {
  const out: Session[] = [];
  const whole = buf.length - (buf.length % UTMP_RECORD_SIZE);
  for (let at = 0; at < whole; at += UTMP_RECORD_SIZE) {
    if (buf.readInt16LE(at + OFF.type) !== USER_PROCESS) continue;
    const user = cString(buf, at + OFF.user, LEN.user);
    if (user === '') continue;
    out.push({
      user,
      line: cString(buf, at + OFF.line, LEN.line),
      host: cString(buf, at + OFF.host, LEN.host),
      pid: buf.readInt32LE(at + OFF.pid),
      loginAt: buf.readInt32LE(at + OFF.tvSec) * 1000 + Math.floor(buf.readInt32LE(at + OFF.tvUsec) / 1000),
    });
  }
  return out;
}

/** Which logind session classes are an operator at a terminal (not a greeter, lock screen, or user manager). */
const USER_CLASSES = new Set(['user', 'user-early']);

/**
 * One logind session file. Returns undefined for sessions that are not an operator: non-user
 * classes, and sessions in state "closing" (logged out, with processes left behind such as a
 * tmux server). Files written by systemd versions without CLASS count as user sessions.
 */
export function parseLogindSession(text: string): Session | undefined {
  const kv = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    kv.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  const user = kv.get('USER');
  const pid = Number(kv.get('LEADER'));
  const cls = kv.get('CLASS');
  if (!user || !Number.isInteger(pid) || pid <= 0) return undefined;
  if (cls !== undefined && !USER_CLASSES.has(cls)) return undefined;
  if (kv.get('STATE') === 'closing') return undefined;
  const realtimeUs = Number(kv.get('REALTIME'));
  return {
    user,
    line: (kv.get('TTY') ?? '').replace(/^\/dev\//, ''),
    host: kv.get('REMOTE_HOST') ?? '',
    pid,
    loginAt: Number.isFinite(realtimeUs) ? Math.floor(realtimeUs / 1000) : 0,
  };
}

/**
 * utmp and logind describe the same login twice when both are written; keep one per pid,
 * preferring utmp's record (its line is always set) and filling what it lacks from logind.
 */
export function mergeSessions(utmp: Session[], logind: Session[]): Session[] {
  const byPid = new Map<number, Session>();
  for (const s of utmp) if (!byPid.has(s.pid)) byPid.set(s.pid, s);
  for (const s of logind) {
    const known = byPid.get(s.pid);
    if (!known) byPid.set(s.pid, s);
    else byPid.set(s.pid, { ...known, line: known.line || s.line, host: known.host || s.host, loginAt: known.loginAt || s.loginAt });
  }
  return [...byPid.values()].sort((a, b) => a.loginAt - b.loginAt || a.pid - b.pid);
}

function sessionKey(s: Session): string {
  return `${s.pid}\u0000${s.user}\u0000${s.line}\u0000${s.host}`;
}

/** Sessions present now and not before, and the reverse. */
export function diffSessions(before: Session[], after: Session[]): { added: Session[]; removed: Session[] } {
  const was = new Set(before.map(sessionKey));
  const is = new Set(after.map(sessionKey));
  return {
    added: after.filter((s) => !was.has(sessionKey(s))),
    removed: before.filter((s) => !is.has(sessionKey(s))),
  };
}
