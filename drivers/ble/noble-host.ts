/**
 * The noble central in a process of its own (started by IsolatedCentral). noble's connect is a
 * blocking kernel connect inside its native addon: it stops the event loop until the link is up
 * or fails (up to 40 s). Here that stops only this process, never the runtime's tasks and
 * triggers. Requests come as { id, op, args }, answers go back as { id, value } or
 * { id, error }, and events (state, adverts, errors, values, disconnections) as { event, … }.
 * Messages use Node's advanced serialisation, so Buffers cross as bytes.
 */
import type { BleConnection } from './ble.js';
import { BleAttError } from './hci-errors.js';
import { NobleCentral } from './noble.js';

export interface HostRequest {
  id: number;
  op: 'open' | 'startScan' | 'stopScan' | 'connect' | 'discover' | 'read' | 'write' | 'subscribe' | 'unsubscribe' | 'disconnect' | 'close';
  args: unknown[];
}

export interface SentError {
  message: string;
  code?: string;
  attCode?: number;
}

const send = (message: unknown) => process.send?.(message);

function sentError(err: unknown): SentError {
  const e = err as { message?: string; code?: string };
  return { message: e?.message ?? String(err), ...(e?.code ? { code: e.code } : {}), ...(err instanceof BleAttError ? { attCode: err.attCode } : {}) };
}

const central = new NobleCentral({ hci: Number(process.env.VIGIL_BLE_HCI ?? 0) });
const connections = new Map<string, BleConnection>();
const subscriptions = new Map<string, () => void>();

central.events.on('state', (state) => send({ event: 'state', state }));
central.events.on('advert', (advert) => send({ event: 'advert', advert }));
central.events.on('error', (err) => send({ event: 'error', error: sentError(err) }));

async function handle(req: HostRequest): Promise<unknown> {
  const [address, service, characteristic, data, withoutResponse] = req.args as [string, string, string, Buffer, boolean];
  const link = () => {
    const c = connections.get(address);
    if (!c) throw Object.assign(new Error(`${address} is not connected`), { code: 'BLE_DISCONNECTED' });
    return c;
  };
  switch (req.op) {
    case 'open':
      await central.open();
      return central.state();
    case 'startScan':
      return central.startScan();
    case 'stopScan':
      return central.stopScan();
    case 'connect': {
      const c = await central.connect(address);
      connections.set(address, c);
      c.events.once('disconnect', ({ reason }) => {
        if (connections.get(address) === c) connections.delete(address);
        for (const key of [...subscriptions.keys()]) if (key.startsWith(`${address}/`)) subscriptions.delete(key);
        send({ event: 'disconnect', address, reason });
      });
      return undefined;
    }
    case 'discover':
      return link().discover();
    case 'read':
      return link().read(service, characteristic);
    case 'write':
      return link().write(service, characteristic, Buffer.from(data), withoutResponse);
    case 'subscribe': {
      const key = `${address}/${service}/${characteristic}`;
      const off = await link().subscribe(service, characteristic, (value) => send({ event: 'value', key, value }));
      subscriptions.set(key, off);
      return undefined;
    }
    case 'unsubscribe': {
      const key = `${address}/${service}/${characteristic}`;
      subscriptions.get(key)?.();
      subscriptions.delete(key);
      return undefined;
    }
    case 'disconnect':
      await connections.get(address)?.disconnect();
      return undefined;
    case 'close':
      await central.close();
      setImmediate(() => process.exit(0));
      return undefined;
  }
}

process.on('message', (req: HostRequest) => {
  handle(req).then(
    (value) => send({ id: req.id, value }),
    (err: unknown) => send({ id: req.id, error: sentError(err) }),
  );
});
// Ctrl-C in a terminal and systemd's stop reach the whole process group: the runtime decides when
// the central stops (close, or its own exit closing the channel), not the signal.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
// The runtime went away (or closed the channel): so does its central.
process.on('disconnect', () => {
  void central.close().finally(() => process.exit(0));
});
