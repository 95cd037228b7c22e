// The control socket's framing: JSON lines, and a raw payload after a line that says `bytes`.
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ControlServer } from '../runtime/control-server.js';
import { tempDir } from './helpers/harness.js';

describe('control socket framing', () => {
  let server: ControlServer;
  const path = join(tempDir('vigil-ctl-'), 'c.sock');
  const calls: { method: string; params: Record<string, unknown> }[] = [];

  before(async () => {
    server = await ControlServer.listen(path, (method, params) => {
      calls.push({ method, params });
      return { method, payloadBytes: Buffer.isBuffer(params.payload) ? params.payload.length : null, sha: Buffer.isBuffer(params.payload) ? params.payload.toString('hex').slice(0, 8) : null };
    });
  });
  after(() => server.close());

  /** Send `chunks` one by one (split awkwardly), then read reply lines until `lines` arrive or the socket closes. */
  function exchange(chunks: (string | Buffer)[], lines: number, endEarly = false): Promise<Record<string, any>[]> {
    return new Promise((resolve) => {
      const socket = createConnection(path);
      let text = '';
      const replies = () => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
      socket.on('data', (d) => {
        text += d.toString();
        if (replies().length >= lines) {
          socket.destroy();
          resolve(replies());
        }
      });
      socket.on('close', () => resolve(replies()));
      socket.on('connect', async () => {
        for (const c of chunks) {
          socket.write(c);
          await new Promise((r) => setTimeout(r, 5));
        }
        if (endEarly) socket.end();
      });
    });
  }

  it('hands a payload split across writes to the handler whole, and reads the next request after it', async () => {
    const payload = Buffer.from([...Array(300).keys()].map((i) => i % 256));
    const header = `${JSON.stringify({ id: 1, method: 'up', params: { bytes: payload.length } })}\n`;
    const replies = await exchange([header.slice(0, 10), header.slice(10) + payload.subarray(0, 7).toString('latin1'), payload.subarray(7), `${JSON.stringify({ id: 2, method: 'after' })}\n`].map((c) => (typeof c === 'string' ? Buffer.from(c, 'latin1') : c)), 2);
    assert.deepEqual(replies.map((r) => [r.id, r.ok, r.result?.method, r.result?.payloadBytes]), [[1, true, 'up', 300], [2, true, 'after', null]]);
    assert.deepEqual(calls.find((c) => c.method === 'up')!.params.payload, payload);
  });

  it('drops a request whose payload is cut off: the handler never sees it', async () => {
    const before = calls.length;
    const replies = await exchange([`${JSON.stringify({ id: 3, method: 'cut', params: { bytes: 1000 } })}\n`, Buffer.alloc(400)], 1, true);
    assert.deepEqual(replies, []);
    assert.equal(calls.length, before);
  });

  it('refuses a bad length and a line that is not JSON, and says why', async () => {
    const bad = await exchange([`${JSON.stringify({ id: 4, method: 'up', params: { bytes: -1 } })}\n`], 1);
    assert.equal(bad[0]?.error.code, 'BAD_REQUEST');
    assert.match(bad[0]?.error.message, /"bytes" is -1/);
    const junk = await exchange(['not json\n', `${JSON.stringify({ id: 5, method: 'ok' })}\n`], 2);
    assert.equal(junk[0]?.error.code, 'BAD_REQUEST');
    assert.equal(junk[1]?.ok, true, 'the next request is still served');
  });
});
