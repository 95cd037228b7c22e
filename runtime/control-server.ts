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
/** A payload after a request line (a deploy's archive): bundles are small; this stops a wrong file. */
const MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;

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

/**
 * One JSON request per line; a request whose params carry `bytes: N` is followed by N raw bytes
 * (a deploy's archive), handed to the handler as `params.payload`. A connection that ends before
 * they have all come was cut off: its request is dropped unanswered, never half-applied.
 */
function serve(socket: Socket, handler: ControlHandler): void {
  let buffer: Buffer = Buffer.alloc(0);
  let upload: { id: unknown; method: string; params: Record<string, unknown>; parts: Buffer[]; got: number; need: number } | undefined;
  const reply = (id: unknown, code: string, message: string) => {
    if (!socket.destroyed) socket.write(`${JSON.stringify({ id, ok: false, error: { code, message } })}\n`);
  };
  // After these the rest of the stream cannot be read as requests: the connection ends.
  const fail = (id: unknown, code: string, message: string) => {
    reply(id, code, message);
    socket.end();
    buffer = Buffer.alloc(0);
  };
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    buffer = buffer.length > 0 ? Buffer.concat([buffer, chunk]) : chunk;
    for (;;) {
      if (upload) {
        const take = Math.min(upload.need - upload.got, buffer.length);
        upload.parts.push(buffer.subarray(0, take));
        upload.got += take;
        buffer = buffer.subarray(take);
        if (upload.got < upload.need) return;
        const { id, method, params, parts } = upload;
        upload = undefined;
        void answer(socket, id, method, { ...params, payload: Buffer.concat(parts) }, handler);
        continue;
      }
      const newline = buffer.indexOf(0x0a);
      if (newline < 0) {
        if (buffer.length > MAX_REQUEST_BYTES) fail(null, 'REQUEST_TOO_LARGE', `a control request may be at most ${MAX_REQUEST_BYTES} bytes`);
        return;
      }
      const line = buffer.subarray(0, newline).toString('utf8');
      buffer = buffer.subarray(newline + 1);
      if (!line.trim()) continue;
      let request: { id?: unknown; method?: unknown; params?: unknown };
      try {
        request = JSON.parse(line) as typeof request;
      } catch (err) {
        reply(null, 'BAD_REQUEST', `a control request must be one line of JSON: ${(err as Error).message}`);
        continue;
      }
      const id = request.id ?? null;
      const params = typeof request.params === 'object' && request.params !== null ? (request.params as Record<string, unknown>) : {};
      const method = request.method;
      if (typeof method !== 'string') {
        reply(id, 'BAD_REQUEST', `a control request needs a "method" string, got ${JSON.stringify(method)}`);
        continue;
      }
      if (params.bytes !== undefined) {
        const need = params.bytes;
        if (typeof need !== 'number' || !Number.isInteger(need) || need < 0 || need > MAX_PAYLOAD_BYTES) {
          fail(id, 'BAD_REQUEST', `"bytes" is ${JSON.stringify(need)}: expected the length of the payload that follows, at most ${MAX_PAYLOAD_BYTES}`);
          return;
        }
        upload = { id, method, params, parts: [], got: 0, need };
        continue;
      }
      void answer(socket, id, method, params, handler);
    }
  });
}

async function answer(socket: Socket, id: unknown, method: string, params: Record<string, unknown>, handler: ControlHandler): Promise<void> {
  let reply: unknown;
  try {
    reply = { id, ok: true, result: await handler(method, params) };
  } catch (err) {
    const e = serializeError(err);
    reply = { id, ok: false, error: { code: e.code ?? 'ERROR', message: e.message } };
  }
  if (!socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`);
}
