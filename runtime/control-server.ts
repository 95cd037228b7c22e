/**
 * The local control socket: a unix socket in the state directory, mode 0600, so only the
 * runtime's own user (or root) can drive it. One JSON request per line, one JSON reply per
 * line: `{"id":1,"method":"status"}` → `{"id":1,"ok":true,"result":{…}}`.
 */
import { chmodSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { serializeError, VigilError } from './errors.js';

export type ControlHandler = (method: string, params: Record<string, unknown>) => unknown;

/** sun_path is 108 bytes on Linux, including the terminating NUL. */
const MAX_SOCKET_PATH = 107;
const MAX_REQUEST_BYTES = 1024 * 1024;

export function checkSocketPath(path: string): void {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    throw new VigilError('SOCKET_PATH_TOO_LONG', `the control socket path ${path} is ${Buffer.byteLength(path)} bytes: unix sockets allow at most ${MAX_SOCKET_PATH}; use a shorter state directory`);
  }
}

export class ControlServer {
  readonly #server: Server;
  readonly path: string;
  readonly #sockets = new Set<Socket>();

  private constructor(server: Server, path: string) {
    this.#server = server;
    this.path = path;
  }

  static async listen(path: string, handler: ControlHandler): Promise<ControlServer> {
    checkSocketPath(path);
    await clearStaleSocket(path);
    const server = createServer((socket) => serve(socket, handler));
    const control = new ControlServer(server, path);
    server.on('connection', (socket) => {
      control.#sockets.add(socket);
      socket.on('close', () => control.#sockets.delete(socket));
    });
    // The umask makes the socket 0600 from the moment it exists, not after a chmod.
    const previous = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(previous);
    }
    chmodSync(path, 0o600);
    return control;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}

/** A socket file left by a runtime that was killed is removed; a live one means we are second. */
async function clearStaleSocket(path: string): Promise<void> {
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) {
    throw new VigilError('ALREADY_RUNNING', `another vigil runtime is already running with this state directory (its socket ${path} answers): stop it first or use another --state`);
  }
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function serve(socket: Socket, handler: ControlHandler): void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    if (buffer.length > MAX_REQUEST_BYTES) {
      socket.end(`${JSON.stringify({ id: null, ok: false, error: { code: 'REQUEST_TOO_LARGE', message: `a control request may be at most ${MAX_REQUEST_BYTES} bytes` } })}\n`);
      return;
    }
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line.trim()) void answer(socket, line, handler);
    }
  });
}

async function answer(socket: Socket, line: string, handler: ControlHandler): Promise<void> {
  let id: unknown = null;
  let reply: unknown;
  try {
    const request = JSON.parse(line) as { id?: unknown; method?: unknown; params?: unknown };
    id = request.id ?? null;
    if (typeof request.method !== 'string') throw new VigilError('BAD_REQUEST', `a control request needs a "method" string, got ${JSON.stringify(request.method)}`);
    const params = typeof request.params === 'object' && request.params !== null ? (request.params as Record<string, unknown>) : {};
    reply = { id, ok: true, result: await handler(request.method, params) };
  } catch (err) {
    const e = serializeError(err);
    reply = { id, ok: false, error: { code: e.code ?? 'ERROR', message: e.message } };
  }
  if (!socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`);
}
