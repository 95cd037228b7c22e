/** The CLI's side of the control socket: one request, one reply, errors that say what to do. */
import { createConnection } from 'node:net';
import { CliError } from './errors.js';

export async function controlRequest(socketPath: string, method: string, params: Record<string, unknown> = {}, timeoutMs = 15_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new CliError('NO_REPLY', `the runtime at ${socketPath} did not answer "${method}" within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`${JSON.stringify({ id: 1, method, params })}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      socket.end();
      try {
        const reply = JSON.parse(buffer.slice(0, newline)) as { ok: boolean; result?: unknown; error?: { code: string; message: string } };
        if (reply.ok) resolve(reply.result);
        else reject(new CliError(reply.error?.code ?? 'ERROR', reply.error?.message ?? 'the runtime reported an error without a message'));
      } catch (err) {
        reject(new CliError('BAD_REPLY', `the runtime's reply could not be read: ${(err as Error).message}`));
      }
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
        reject(new CliError('NOT_RUNNING', `no vigil runtime is running for this state directory (${err.code === 'ENOENT' ? 'no socket at' : 'nothing answers at'} ${socketPath}); start one with \`vigil run\``));
      } else if (err.code === 'EACCES') {
        reject(new CliError('PERMISSION_DENIED', `permission denied on ${socketPath}: the control socket belongs to the runtime's user; run as that user (or with sudo)`));
      } else {
        reject(new CliError('CONNECT_FAILED', `cannot reach the runtime at ${socketPath}: ${err.message}`));
      }
    });
    socket.once('close', () => {
      clearTimeout(timer);
      if (!buffer.includes('\n')) reject(new CliError('NO_REPLY', `the runtime at ${socketPath} closed the connection without answering "${method}"`));
    });
  });
}
