/** What the progress display and the result table share: durations, colours, the status colour. */
import type { FleetResult } from './runner.js';

/** `850 ms`, `3.2 s`, `2 m 05 s`: short, and precise where it matters. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
}

export type Paint = (text: string) => string;

export interface Palette {
  green: Paint;
  red: Paint;
  yellow: Paint;
  dim: Paint;
  bold: Paint;
}

const sgr = (open: number, close: number): Paint => (text) => (text === '' ? '' : `\x1b[${open}m${text}\x1b[${close}m`);
const none: Paint = (text) => text;

export function palette(color: boolean): Palette {
  return color
    ? { green: sgr(32, 39), red: sgr(31, 39), yellow: sgr(33, 39), dim: sgr(2, 22), bold: sgr(1, 22) }
    : { green: none, red: none, yellow: none, dim: none, bold: none };
}

/** Colour on a terminal unless NO_COLOR is set to anything but the empty string (no-color.org). */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
}

export function statusPaint(result: Pick<FleetResult<unknown>, 'ok' | 'skipped'>, p: Palette): Paint {
  return result.ok ? p.green : result.skipped ? p.yellow : p.red;
}

/**
 * The first line of a message, so one host stays one row, without control characters: a remote
 * command's output may carry escape codes that would move the cursor under the display.
 */
export function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0]!.replace(/[\x00-\x1f\x7f-\x9f]/g, ' ').trim();
}

/** The failure's message, or the message a successful value carries. */
export function resultMessage(result: FleetResult<unknown>): string {
  if (result.error) return firstLine(result.error.message);
  const message = (result.value as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' ? firstLine(message) : '';
}
