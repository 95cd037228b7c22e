/**
 * The runtime's logger: pino writing JSON lines to a size-capped rotating file, and, when the
 * runtime runs in a terminal, the same records as readable lines on the console. Both
 * destinations live in this thread: pino transports would cost a worker thread and its heap,
 * which a Pi Zero's memory budget does not have.
 */
import pino from 'pino';
import { ConsoleView } from './console-view.js';
import { RotatingFile } from './log-file.js';

export type Logger = pino.Logger;

export interface LoggerOptions {
  /** The lowest level recorded: trace, debug, info (default), warn, error, fatal or silent. */
  level?: string;
  /** Where the JSON lines go; rotated at `maxBytes`, `files` old copies kept. */
  file?: { path: string; maxBytes: number; files: number };
  /** Also show each record as a readable line; `level` is the lowest shown there (default info). */
  console?: { out: NodeJS.WritableStream; color: boolean; level?: string; timeZone?: string };
  /** Write the file synchronously (slower; every record is on disk when the call returns). */
  sync?: boolean;
}

export interface LoggerHandle {
  logger: Logger;
  /** Writes out everything logged so far and closes the file. Records logged later are dropped. */
  close(): Promise<void>;
}

export function createLogger(options: LoggerOptions): LoggerHandle {
  const level = options.level ?? 'info';
  const file = options.file ? new RotatingFile({ ...options.file, sync: options.sync ?? false }) : undefined;
  const view = options.console
    ? new ConsoleView({
        out: options.console.out,
        color: options.console.color,
        level: pino.levels.values[options.console.level ?? 'info'] ?? 30,
        ...(options.console.timeZone === undefined ? {} : { timeZone: options.console.timeZone }),
      })
    : undefined;

  let destination: pino.DestinationStream;
  if (file && view) {
    // Each destination takes every record the logger lets through; the view filters its own.
    destination = pino.multistream([
      { level: 'trace', stream: file },
      { level: 'trace', stream: view },
    ]);
  } else {
    // With neither, JSON lines go to stdout, as pino's own default does.
    destination = file ?? view ?? pino.destination({ dest: 1, sync: true });
  }

  const logger = pino(
    {
      level,
      // The hostname is the same on every line of a device's file; the pid tells restarts apart.
      base: { pid: process.pid },
    },
    destination,
  );

  let closed: Promise<void> | undefined;
  return {
    logger,
    close: () => (closed ??= file ? file.end() : Promise.resolve()),
  };
}
