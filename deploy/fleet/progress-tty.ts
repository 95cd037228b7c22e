/**
 * The terminal display: one line per host (name, phase, a bar when the phase has a fraction,
 * elapsed time), redrawn in place by moving the cursor back up over the block. Updates only mark
 * the state; a timer redraws at most every 100 ms and only when the text changed, so a worker
 * reporting every chunk of an upload costs nothing. Lines are cut to the terminal's width (a
 * wrapped line would break the count of lines to go back up), and when there are more hosts than
 * rows the running and failed ones are shown and the rest summed up in one line.
 */
import type { Clock, TimerHandle } from '../../runtime/clock.js';
import { firstLine, formatDuration, palette, resultMessage, statusPaint, wantsColor, type Paint, type Palette } from './format.js';
import type { ProgressDisplay, ProgressStream } from './progress.js';
import type { FleetResult, FleetTarget } from './runner.js';

export const REDRAW_MS = 100;
const BAR_WIDTH = 20;
const MAX_NAME = 32;
const MAX_LABEL = 24;

const ESC = '\x1b[';
export const HIDE_CURSOR = `${ESC}?25l`;
export const SHOW_CURSOR = `${ESC}?25h`;
export const ERASE_LINE_END = `${ESC}K`;
export const ERASE_DOWN = `${ESC}J`;
export const cursorUp = (n: number) => `${ESC}${n}A`;

interface Row {
  target: FleetTarget;
  index: number;
  state: 'waiting' | 'running' | 'done';
  phase?: string;
  fraction?: number;
  startedAt?: number;
  result?: FleetResult<unknown>;
}

type Segment = [text: string, paint?: Paint];

export class TtyProgress implements ProgressDisplay {
  readonly #out: ProgressStream;
  readonly #clock: Clock;
  readonly #p: Palette;
  readonly #rows = new Map<FleetTarget, Row>();
  #drawn = 0;
  #labelWidth = 0;
  #lastFrame: string | undefined;
  #timer: TimerHandle | undefined;
  #started = false;
  #closed = false;

  constructor(out: ProgressStream, options: { env: NodeJS.ProcessEnv; clock: Clock }) {
    this.#out = out;
    this.#clock = options.clock;
    this.#p = palette(wantsColor(out, options.env));
  }

  start(targets: readonly FleetTarget[]): void {
    targets.forEach((target, index) => this.#rows.set(target, { target, index, state: 'waiting' }));
    this.#started = true;
    this.#render(HIDE_CURSOR);
    this.#schedule();
  }

  hostStarted(target: FleetTarget): void {
    const row = this.#row(target);
    row.state = 'running';
    row.startedAt = this.#clock.now();
  }

  hostProgress(target: FleetTarget, phase: string, fraction?: number): void {
    const row = this.#row(target);
    row.phase = firstLine(phase);
    if (fraction === undefined) delete row.fraction;
    else row.fraction = fraction;
  }

  hostDone(result: FleetResult<unknown>): void {
    const row = this.#row(result.target);
    row.state = 'done';
    row.result = result;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    if (!this.#started) return;
    this.#render();
    this.#out.write(SHOW_CURSOR);
  }

  #row(target: FleetTarget): Row {
    let row = this.#rows.get(target);
    if (!row) {
      row = { target, index: this.#rows.size, state: 'waiting' };
      this.#rows.set(target, row);
    }
    return row;
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#render();
      this.#schedule();
    }, REDRAW_MS);
    this.#timer.unref();
  }

  #render(prefix = ''): void {
    const lines = this.#frame();
    const frame = lines.join('\n');
    if (frame === this.#lastFrame) return;
    this.#lastFrame = frame;
    let out = prefix + (this.#drawn > 0 ? cursorUp(this.#drawn) : '');
    for (const line of lines) out += `\r${line}${ERASE_LINE_END}\n`;
    if (lines.length < this.#drawn) out += ERASE_DOWN;
    this.#drawn = lines.length;
    this.#out.write(out);
  }

  #frame(): string[] {
    const all = [...this.#rows.values()];
    const width = Math.max(20, (this.#out.columns || 80) - 1);
    const capacity = Math.max(2, (this.#out.rows || 24) - 1);
    let shown = all;
    let hidden: Row[] = [];
    if (all.length > capacity) {
      const rank = (r: Row) => (r.state === 'running' ? 0 : r.state === 'done' && !r.result!.ok ? 1 : r.state === 'waiting' ? 2 : 3);
      const picked = new Set([...all].sort((a, b) => rank(a) - rank(b) || a.index - b.index).slice(0, capacity - 1));
      shown = all.filter((r) => picked.has(r));
      hidden = all.filter((r) => !picked.has(r));
    }
    const nameWidth = Math.min(MAX_NAME, Math.max(...shown.map((r) => r.target.name.length)));
    // The phase column only widens: bars and times jumping left and right as phases change would be hard to follow.
    this.#labelWidth = Math.min(MAX_LABEL, Math.max(this.#labelWidth, ...shown.map((r) => this.#label(r)[0].length)));
    const labelWidth = this.#labelWidth;
    const lines = shown.map((row) => fit(this.#line(row, nameWidth, labelWidth), width));
    if (hidden.length) lines.push(fit([[this.#hiddenSummary(hidden), this.#p.dim]], width));
    return lines;
  }

  #label(row: Row): Segment {
    const p = this.#p;
    if (row.state === 'waiting') return ['waiting', p.dim];
    if (row.state === 'running') return [row.phase ?? 'starting'];
    return [row.result!.status, statusPaint(row.result!, p)];
  }

  #line(row: Row, nameWidth: number, labelWidth: number): Segment[] {
    const p = this.#p;
    const [label, paint] = this.#label(row);
    const out: Segment[] = [[cut(row.target.name, nameWidth).padEnd(nameWidth)], ['  '], [cut(label, labelWidth).padEnd(labelWidth), paint]];
    if (row.state === 'running') {
      if (row.fraction !== undefined) {
        const filled = Math.round(row.fraction * BAR_WIDTH);
        out.push(['  ['], ['#'.repeat(filled), p.green], ['.'.repeat(BAR_WIDTH - filled), p.dim], [']'], [`${Math.round(row.fraction * 100)}%`.padStart(5)]);
      }
      out.push(['  '], [elapsed(this.#clock.now() - (row.startedAt ?? this.#clock.now())), p.dim]);
    } else if (row.state === 'done') {
      const result = row.result!;
      if (!result.skipped) out.push(['  '], [formatDuration(result.ms), p.dim]);
      const message = resultMessage(result);
      if (message) out.push(['  '], [message, result.ok ? p.dim : undefined]);
    }
    return out;
  }

  #hiddenSummary(hidden: Row[]): string {
    const counts = new Map<string, number>();
    for (const row of hidden) {
      const key = row.state === 'done' ? (row.result!.ok ? 'done' : row.result!.skipped ? 'skipped' : 'failed') : row.state;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const parts = ['running', 'waiting', 'done', 'failed', 'skipped'].filter((k) => counts.has(k)).map((k) => `${counts.get(k)} ${k}`);
    return `… ${hidden.length} more: ${parts.join(', ')}`;
  }
}

/** Whole seconds while running: the line changes once a second, not on every redraw. */
function elapsed(ms: number): string {
  const s = Math.floor(Math.max(0, ms) / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** Cut to `width` visible characters, then colour: escape codes must not count, nor be cut in half. */
function fit(segments: Segment[], width: number): string {
  // Padding that ends the line is dropped: a column is only padded for the one after it.
  segments = segments.map(([text, paint]) => [text, paint] as Segment);
  while (segments.length && segments.at(-1)![0].trimEnd() === '') segments.pop();
  if (segments.length) segments.at(-1)![0] = segments.at(-1)![0].trimEnd();
  let left = width;
  let out = '';
  for (const [text, paint] of segments) {
    if (left <= 0) break;
    const part = text.length > left ? text.slice(0, left) : text;
    left -= part.length;
    out += paint ? paint(part) : part;
  }
  return out;
}
