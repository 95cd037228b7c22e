/**
 * The end of a fleet run: a table with one row per host (host, result, version, time, message),
 * columns as wide as their content, coloured on a terminal; a summary line (`4 ok, 1 failed`);
 * the same as JSON for `--json`; and the exit code (1 when any host did not succeed).
 */
import { firstLine, formatDuration, palette, resultMessage, statusPaint } from './format.js';
import type { FleetResult, FleetTarget } from './runner.js';

export interface TableOptions {
  /** ANSI colour for the result column; callers pass wantsColor(stream, env). */
  color?: boolean;
}

const HEADERS = ['HOST', 'RESULT', 'VERSION', 'TIME', 'MESSAGE'] as const;

/** The table and the summary line, newline-terminated. */
export function formatFleetTable(results: readonly FleetResult<unknown>[], options: TableOptions = {}): string {
  const p = palette(options.color ?? false);
  const rows = results.map((r) => [r.target.name, r.status, versionOf(r) ?? '-', r.skipped ? '-' : formatDuration(r.ms), resultMessage(r)]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  // The last column is not padded: no trailing blanks, and a long message does not widen the rest.
  const line = (cells: string[], paint: (cell: string, i: number) => string) =>
    cells.map((cell, i) => paint(i === cells.length - 1 ? cell : cell.padEnd(widths[i]!), i)).join('  ').trimEnd();
  const out = [line([...HEADERS], (cell) => p.bold(cell))];
  rows.forEach((row, n) => {
    const paint = statusPaint(results[n]!, p);
    out.push(line(row, (cell, i) => (i === 1 ? paint(cell) : cell)));
  });
  out.push('', fleetSummary(results));
  return `${out.join('\n')}\n`;
}

/** `4 ok, 1 rolled back, 1 failed, 2 skipped`: ok first, other words as met, failed and skipped last. */
export function fleetSummary(results: readonly FleetResult<unknown>[]): string {
  if (results.length === 0) return 'no hosts';
  const counts = new Map<string, number>();
  const key = (r: FleetResult<unknown>) => (r.skipped ? 'skipped' : r.status === 'FAILED' ? 'failed' : r.status);
  for (const r of results) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
  const order = [...counts.keys()].sort((a, b) => rank(a) - rank(b));
  return order.map((k) => `${counts.get(k)} ${k}`).join(', ');
}

function rank(word: string): number {
  return word === 'ok' ? 0 : word === 'failed' ? 2 : word === 'skipped' ? 3 : 1;
}

function versionOf(result: FleetResult<unknown>): string | undefined {
  const version = (result.value as { version?: unknown } | null | undefined)?.version;
  return typeof version === 'string' || typeof version === 'number' ? String(version) : undefined;
}

export interface FleetJsonHost {
  name: string;
  host?: string;
  port?: number;
  user?: string;
  status: string;
  ok: boolean;
  skipped: boolean;
  ms: number;
  version?: string;
  message?: string;
  value?: unknown;
  error?: { code: string; message: string };
}

export interface FleetJson {
  ok: boolean;
  summary: string;
  counts: { ok: number; failed: number; skipped: number };
  hosts: FleetJsonHost[];
}

/** For `--json`: every host in target order, and whether all succeeded. */
export function fleetJson(results: readonly FleetResult<unknown>[]): FleetJson {
  const hosts = results.map((r): FleetJsonHost => {
    const target = r.target as FleetTarget & { host?: unknown; port?: unknown; user?: unknown };
    const out: FleetJsonHost = { name: target.name, status: r.status, ok: r.ok, skipped: r.skipped, ms: Math.round(r.ms) };
    if (typeof target.host === 'string') out.host = target.host;
    if (typeof target.port === 'number') out.port = target.port;
    if (typeof target.user === 'string') out.user = target.user;
    const version = versionOf(r);
    if (version !== undefined) out.version = version;
    const message = r.error ? r.error.message : (r.value as { message?: unknown } | undefined)?.message;
    if (typeof message === 'string' && message !== '') out.message = firstLine(message);
    if (r.value !== undefined) out.value = r.value;
    if (r.error) out.error = { ...r.error };
    return out;
  });
  return {
    ok: results.every((r) => r.ok),
    summary: fleetSummary(results),
    counts: {
      ok: results.filter((r) => r.ok).length,
      failed: results.filter((r) => !r.ok && !r.skipped).length,
      skipped: results.filter((r) => r.skipped).length,
    },
    hosts,
  };
}

/** 0 when every host succeeded, 1 when any failed or was skipped. */
export function fleetExitCode(results: readonly FleetResult<unknown>[]): 0 | 1 {
  return results.every((r) => r.ok) ? 0 : 1;
}
