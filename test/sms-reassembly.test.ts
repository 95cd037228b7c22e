/**
 * Reassembling concatenated messages as they really arrive: out of order, interleaved with other
 * messages, duplicated, with a reference reused, or never completed. The time is passed in, so
 * the timeouts are checked without waiting.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePdu } from '../drivers/modem/sms/decode.js';
import { encodeDeliver, encodeDeliverParts } from '../drivers/modem/sms/encode.js';
import { Reassembler } from '../drivers/modem/sms/reassembly.js';
import type { SmsDeliver } from '../drivers/modem/sms/types.js';

const when = new Date('2024-05-01T08:00:00Z');

function deliver(hex: string): SmsDeliver {
  const pdu = decodePdu(hex);
  assert.ok(pdu.type === 'deliver');
  return pdu;
}

/** A long text from `sender` as decoded parts, in order. */
function parts(sender: string, text: string, ref: number): SmsDeliver[] {
  return encodeDeliverParts({ sender, text, timestamp: when, ref }).map((p) => deliver(p.hex));
}

const long = (tag: string) => `${tag}: ${'The quick brown fox jumps over the lazy dog. '.repeat(8)}`;

describe('Reassembler', () => {
  it('a message that is not concatenated completes at once, with its own slot', () => {
    const r = new Reassembler<number>({ timeoutMs: 60_000 });
    const single = deliver(encodeDeliver({ sender: '+111', text: 'hi', timestamp: when }).hex);
    assert.deepEqual(r.add(single, 7, 0), { complete: true, message: single, parts: [7] });
    assert.equal(r.size(), 0);
    assert.equal(r.nextDeadline(), undefined);
  });

  it('joins parts that arrive out of order and interleaved with another message', () => {
    const r = new Reassembler<string>({ timeoutMs: 60_000 });
    const a = parts('+111', long('A'), 9);
    const b = parts('+222', long('B'), 9); // same reference, another sender
    assert.equal(a.length, 3);
    const order: [SmsDeliver, string][] = [
      [a[2]!, 'a3'],
      [b[1]!, 'b2'],
      [a[0]!, 'a1'],
      [b[0]!, 'b1'],
    ];
    for (const [p, m] of order) assert.deepEqual(r.add(p, m, 1000), { complete: false });
    assert.equal(r.size(), 2);
    const doneA = r.add(a[1]!, 'a2', 2000);
    assert.ok(doneA.complete);
    assert.equal(doneA.message.text, long('A'));
    assert.deepEqual(doneA.message.udh?.concat, { ref: 9, total: 3, seq: 1, refBits: 8 });
    assert.deepEqual(doneA.parts, ['a3', 'a1', 'a2']);
    assert.equal(doneA.message.sender.number, '+111');
    const doneB = r.add(b[2]!, 'b3', 2000);
    assert.ok(doneB.complete);
    assert.equal(doneB.message.text, long('B'));
    assert.deepEqual(doneB.parts, ['b2', 'b1', 'b3']);
    assert.equal(r.size(), 0);
  });

  it('a duplicate part is recognised and ignored, but its slot is returned too', () => {
    const r = new Reassembler<number>({ timeoutMs: 60_000 });
    const p = parts('+111', long('D'), 1);
    assert.deepEqual(r.add(p[0]!, 1, 0), { complete: false });
    assert.deepEqual(r.add(p[0]!, 4, 10), { complete: false }, 'the same part again, from another slot');
    assert.deepEqual(r.add(p[1]!, 2, 20), { complete: false });
    const done = r.add(p[2]!, 3, 30);
    assert.ok(done.complete);
    assert.equal(done.message.text, long('D'), 'the text appears once');
    assert.deepEqual(done.parts, [1, 4, 2, 3]);
  });

  it('a reference reused with different text while the first set waits starts a second set', () => {
    const r = new Reassembler<string>({ timeoutMs: 60_000 });
    const first = parts('+111', long('first'), 5);
    const second = parts('+111', long('second'), 5);
    assert.equal(first.length, second.length);
    r.add(first[0]!, 'f1', 0);
    r.add(second[0]!, 's1', 10);
    assert.equal(r.size(), 2);
    r.add(second[1]!, 's2', 20); // goes to the oldest set lacking part 2: the first
    r.add(first[1]!, 'f2', 30);
    const a = r.add(first[2]!, 'f3', 40);
    assert.ok(a.complete);
    // Only the part that clashed tells the sets apart: part 2 of either message goes to the
    // oldest set still lacking a part 2. Nothing is lost or used twice.
    assert.deepEqual(a.parts, ['f1', 's2', 'f3']);
    assert.equal(a.message.text, first[0]!.text! + second[1]!.text! + first[2]!.text!);
    const b = r.add(second[2]!, 's3', 50);
    assert.ok(b.complete);
    assert.deepEqual(b.parts, ['s1', 'f2', 's3']);
    assert.equal(r.size(), 0);
  });

  it('keys by total and reference width too', () => {
    const r = new Reassembler<number>({ timeoutMs: 60_000 });
    const three = parts('+111', long('x'), 200); // 8-bit reference 200, 3 parts
    const twoWide = encodeDeliverParts({ sender: '+111', text: 'y'.repeat(200), timestamp: when, ref: 200, refBits: 16 }).map((p) => deliver(p.hex));
    assert.equal(twoWide[0]!.udh?.concat?.refBits, 16);
    r.add(three[0]!, 1, 0);
    r.add(twoWide[0]!, 2, 0);
    assert.equal(r.size(), 2);
    const done = r.add(twoWide[1]!, 3, 0);
    assert.ok(done.complete);
    assert.equal(done.message.text, 'y'.repeat(200));
  });

  it('the deadline is first part + timeout; expiry hands over what arrived and what is missing', () => {
    const r = new Reassembler<string>({ timeoutMs: 5_000 });
    const p = parts('+111', long('E'), 3);
    const q = parts('+333', long('F'), 4);
    r.add(p[1]!, 'p2', 1_000);
    r.add(q[2]!, 'q3', 2_000);
    r.add(p[2]!, 'p3', 4_000); // a later part does not move the deadline
    assert.equal(r.nextDeadline(), 6_000);
    assert.deepEqual(r.expire(5_999), []);
    const expired = r.expire(6_000);
    assert.equal(expired.length, 1);
    assert.deepEqual(expired[0]!.missing, [1]);
    assert.deepEqual(expired[0]!.parts, ['p2', 'p3']);
    assert.equal(expired[0]!.message.text, p[1]!.text! + p[2]!.text!);
    assert.ok(!expired[0]!.message.text!.includes('['), 'no placeholder is put in the text');
    assert.equal(r.nextDeadline(), 7_000);
    assert.equal(r.size(), 1);
    const rest = r.expire(100_000);
    assert.deepEqual(rest.map((e) => [e.missing, e.parts]), [[[1, 2], ['q3']]]);
    assert.equal(r.size(), 0);
    assert.equal(r.nextDeadline(), undefined);
  });

  it('mends an emoji a phone split across two UCS-2 parts', () => {
    // Part 1 ends with the high surrogate of 😀, part 2 starts with the low one.
    const head = '00' + '44' + '04914477' + '00' + '08' + '11109001626240';
    const one = deliver(head + '08' + '050003AA0201' + 'D83D');
    const two = deliver(head + '0A' + '050003AA0202' + 'DE000021');
    const r = new Reassembler<number>({ timeoutMs: 1000 });
    r.add(two, 2, 0);
    const done = r.add(one, 1, 0);
    assert.ok(done.complete);
    assert.equal(done.message.text, '😀!');
  });

  it('joins 8-bit parts into one payload', () => {
    const data = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const ps = encodeDeliverParts({ sender: '+111', data, timestamp: when, ref: 77 }).map((p) => deliver(p.hex));
    assert.equal(ps.length, 3);
    const r = new Reassembler<number>({ timeoutMs: 1000 });
    r.add(ps[1]!, 2, 0);
    r.add(ps[2]!, 3, 0);
    const done = r.add(ps[0]!, 1, 0);
    assert.ok(done.complete);
    assert.deepEqual(done.message.data, data);
    assert.equal(done.message.text, undefined);
  });
});
