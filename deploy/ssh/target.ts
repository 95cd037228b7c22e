/**
 * USER@HOST[:PORT], as `vigil deploy` and `vigil logs` take it: "pi@garden", "pi@10.0.0.5:2222",
 * "pi@[fe80::1]:22", or "garden" for the current user. An IPv6 address with a port is written in
 * brackets, as ssh and known_hosts write it; without a port the brackets may be left out.
 */
import { isIPv6 } from 'node:net';
import { userInfo } from 'node:os';
import { SshError } from './errors.js';

export interface SshTarget {
  user: string;
  host: string;
  port: number;
}

const FORMS = 'expected USER@HOST[:PORT], e.g. pi@garden, pi@10.0.0.5:2222 or pi@[fe80::1]:22';
// POSIX portable user names, plus the trailing $ that Samba machine accounts use.
const USER = /^[A-Za-z0-9._][A-Za-z0-9._-]*\$?$/;
// A DNS name (labels of letters, digits, '-' and '_', which some LANs use) or an IPv4 address.
const NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/;

export function parseTarget(text: string): SshTarget {
  const value = text.trim();
  const bad = (why: string) => new SshError('BAD_TARGET', `${JSON.stringify(text)} is not a target: ${why}; ${FORMS}`);
  if (value === '') throw bad('it is empty');
  if (/\s/.test(value)) throw bad('it contains a space');
  const at = value.lastIndexOf('@');
  let user: string;
  if (at < 0) user = currentUser();
  else {
    user = value.slice(0, at);
    if (user === '') throw bad('the user before "@" is missing');
    if (!USER.test(user)) throw bad(`the user ${JSON.stringify(user)} is not a user name`);
  }
  const rest = value.slice(at + 1);
  if (rest === '') throw bad('the host after "@" is missing');

  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw bad('the "[" before the host has no "]"');
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) throw bad(`${JSON.stringify(after)} after "]" is not ":PORT"`);
      portText = after.slice(1);
    }
  } else if (rest.indexOf(':') !== rest.lastIndexOf(':')) {
    // Several colons and no brackets: an IPv6 address, which leaves no room for a port.
    host = rest;
  } else {
    const colon = rest.indexOf(':');
    host = colon < 0 ? rest : rest.slice(0, colon);
    if (colon >= 0) portText = rest.slice(colon + 1);
  }
  if (host === '') throw bad('the host is missing');
  if (!NAME.test(host) && !isIPv6Host(host)) throw bad(`the host ${JSON.stringify(host)} is neither a host name nor an IP address`);

  let port = 22;
  if (portText !== undefined) {
    if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw bad(`the port ${JSON.stringify(portText)} is not a number from 1 to 65535`);
    }
    port = Number(portText);
  }
  return { user, host, port };
}

/** The target as parseTarget reads it back: the port only when it is not 22. */
export function formatTarget(t: SshTarget): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return t.port === 22 ? `${t.user}@${host}` : `${t.user}@${host}:${t.port}`;
}

/** The target with its port always shown, for messages about one connection ("pi@garden:22"). */
export function describeTarget(t: SshTarget): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `${t.user}@${host}:${t.port}`;
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry for this uid (some containers): the environment is all there is.
    const name = process.env.USER ?? process.env.LOGNAME;
    if (name) return name;
    throw new SshError('BAD_TARGET', 'no user given and the current user has no name (no passwd entry, no $USER): give USER@HOST');
  }
}

/** An IPv6 address, with or without a zone (fe80::1%wlan0). */
function isIPv6Host(host: string): boolean {
  const [address, zone, ...more] = host.split('%');
  if (more.length > 0 || (zone !== undefined && !/^[A-Za-z0-9_.-]+$/.test(zone))) return false;
  return isIPv6(address ?? '');
}
