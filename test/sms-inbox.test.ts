/**
 * The inbox on its own, with a modem that only records: a task that completes at once (inside
 * the activation, as a trivial in-process task does) must still cause exactly one deletion per
 * slot — a second one would hit the next message the modem stores in the freed slot.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoredPdu } from '../drivers/modem/modem.js';
import { encodeDeliver } from '../drivers/modem/sms/index.js';
import { FakeClock } from '../runtime/clock.js';
import { createLogger } from '../runtime/logger.js';
import { SmsInbox } from '../runtime/sms-inbox.js';
import { tempDir, tick } from './helpers/harness.js';

test('a task completing synchronously gets the message once and its slot is deleted once', async () => {
  const slots = new Map<number, string>();
  const deleted: number[] = [];
  const runs: string[] = [];
  let inbox!: SmsInbox;
  // Commands run one at a time, in order, each taking a moment: as the AT engine does.
  let chain: Promise<unknown> = Promise.resolve();
  const queued = <T>(op: () => T): Promise<T> => {
    const run = chain.then(async () => {
      await tick(2);
      return op();
    });
    chain = run.catch(() => undefined);
    return run;
  };
  const modem = {
    readMessage: (storage: string, index: number): Promise<StoredPdu | undefined> =>
      queued(() => {
        const pdu = slots.get(index);
        return pdu === undefined ? undefined : { storage, index, pdu };
      }),
    deleteMessage: (_storage: string, index: number) =>
      queued(() => {
        deleted.push(index);
        slots.delete(index);
      }),
  };
  inbox = await SmsInbox.open({
    stateDir: tempDir('vigil-inbox-'),
    clock: new FakeClock(),
    log: createLogger({ level: 'error' }).logger,
    modem,
    fire: (taskId, details) => {
      runs.push(details.text ?? '');
      inbox.finished(taskId, details, true);
    },
    queued: () => false,
    activeFilter: () => undefined,
    reassemblyMs: 60_000,
    maxAttempts: 3,
  });
  inbox.addTarget('task-1');
  for (let i = 0; i < 3; i++) {
    const pdu = encodeDeliver({ sender: '+447700900140', text: `reading ${i}`, timestamp: new Date(Date.UTC(2026, 10, 23, 6, i)) }).hex;
    slots.set(0, pdu);
    await inbox.receive({ storage: 'SM', index: 0, pdu });
    await tick(20);
  }
  assert.deepEqual(runs, ['reading 0', 'reading 1', 'reading 2']);
  assert.deepEqual(deleted, [0, 0, 0], 'one deletion per message');
  await inbox.close();
});
