/**
 * A TCP connect probe: the cheapest check that the internet (or a given service) answers,
 * needing no privileges (unlike ICMP ping) and sending no application data.
 */
import { connect } from 'node:net';

/**
 * Resolves true when a connection to host:port is established within timeoutMs, false on
 * refusal, unreachability, timeout or abort. Never rejects. The timeout is the socket's own,
 * in real time: it bounds network I/O, which no injected clock can speed up.
 */
export function tcpProbe(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const socket = connect({ host, port });
    let settled = false;
    const finish = (ok: boolean) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(ok);
    };
    const onAbort = () => finish(false);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}
