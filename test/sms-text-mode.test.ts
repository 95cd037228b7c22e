/**
 * Text-mode (AT+CMGF=1) listings as modems print them: +CMGR, +CMGL and +CMT headers with and
 * without the +CSDH=1 details, in the GSM, IRA, UCS2 and HEX character sets.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SmsPduError } from '../drivers/modem/errors.js';
import { isoWithOffset } from '../drivers/modem/sms/timestamp.js';
import { parseTextHeader, parseTextModeMessage, parseTextTimestamp } from '../drivers/modem/sms/text-mode.js';

describe('text-mode headers', () => {
  it('+CMGR: status, address, empty alpha, time stamp in quarter hours', () => {
    const h = parseTextHeader('+CMGR: "REC UNREAD","+31628870634",,"11/01/09,10:26:26+04"');
    assert.equal(h.command, 'CMGR');
    assert.equal(h.status, 'REC UNREAD');
    assert.equal(h.address, '+31628870634');
    assert.equal(h.alpha, undefined);
    assert.equal(h.index, undefined);
    assert.equal(isoWithOffset(h.timestamp!, h.tzOffsetMinutes!), '2011-01-09T10:26:26+01:00');
  });

  it('+CMGL: the storage index first; a phonebook name in the alpha field', () => {
    const h = parseTextHeader('+CMGL: 4,"REC READ","+31628870634","Jan","11/01/09,10:26:26+04"');
    assert.equal(h.index, 4);
    assert.equal(h.status, 'REC READ');
    assert.equal(h.alpha, 'Jan');
    assert.equal(h.timestamp?.toISOString(), '2011-01-09T09:26:26.000Z');
  });

  it('+CMGL with +CSDH=1: type of address and length', () => {
    const h = parseTextHeader('+CMGL: 1,"REC READ","+85291234567",,"07/02/18,00:12:21+32",145,35');
    assert.equal(h.toa, 145);
    assert.equal(h.length, 35);
    assert.equal(isoWithOffset(h.timestamp!, h.tzOffsetMinutes!), '2007-02-18T00:12:21+08:00');
  });

  it('+CMGR with +CSDH=1: first octet, PID, DCS and SMSC', () => {
    const h = parseTextHeader('+CMGR: "REC READ","+8613912345678",,"07/08/21,12:30:00+32",145,4,0,8,"+8613800100500",145,4');
    assert.deepEqual(
      { toa: h.toa, fo: h.firstOctet, pid: h.pid, dcs: h.dcs, smsc: h.smsc, smscToa: h.smscToa, length: h.length },
      { toa: 145, fo: 4, pid: 0, dcs: 8, smsc: '+8613800100500', smscToa: 145, length: 4 },
    );
  });

  it('+CMT (a message routed straight to the terminal) and a stored outgoing message without a time', () => {
    const cmt = parseTextHeader('+CMT: "+447700900123",,"24/03/01,13:34:56+04"');
    assert.equal(cmt.command, 'CMT');
    assert.equal(cmt.status, undefined);
    assert.equal(cmt.address, '+447700900123');
    assert.equal(isoWithOffset(cmt.timestamp!, cmt.tzOffsetMinutes!), '2024-03-01T13:34:56+01:00');
    const sto = parseTextHeader('+CMGL: 3,"STO UNSENT","+31628870634",,');
    assert.equal(sto.status, 'STO UNSENT');
    assert.equal(sto.timestamp, undefined);
    // With +CSDH=1 a stored SMS-SUBMIT has its validity period (167) between DCS and SMSC.
    const detailed = parseTextHeader('+CMGR: "STO UNSENT","+31628870634",,145,17,0,0,167,"+31624000000",145,5');
    assert.deepEqual(
      { toa: detailed.toa, fo: detailed.firstOctet, smsc: detailed.smsc, smscToa: detailed.smscToa, length: detailed.length, ts: detailed.timestamp },
      { toa: 145, fo: 17, smsc: '+31624000000', smscToa: 145, length: 5, ts: undefined },
    );
  });

  it('zones west of UTC and a 4-digit year', () => {
    const t = parseTextTimestamp('2011/01/09,10:26:26-20');
    assert.equal(t.tzOffsetMinutes, -300);
    assert.equal(t.time.toISOString(), '2011-01-09T15:26:26.000Z');
  });

  it('says what is wrong with a line that is not a header', () => {
    assert.throws(() => parseTextHeader('+CMGS: 12'), (e: unknown) => e instanceof SmsPduError && /"\+CMGS: 12" is not a \+CMGR, \+CMGL or \+CMT header/.test(e.message));
    assert.throws(() => parseTextHeader('+CMGL: "REC READ","+3162"'), /does not start with a storage index/);
    assert.throws(() => parseTextHeader('+CMGR: "REC READ","+3162'), /"\\"REC READ\\",\\"\+3162" has an unclosed quote at 11/);
    assert.throws(() => parseTextHeader('+CMGR: "REC READ","+3162,,"11/01/09'), /has "1" at 20: expected a comma between fields/);
    assert.throws(() => parseTextHeader('+CMGR: "REC READ","+3162",,"11/13/09,10:26:26+04"'), /"11\/13\/09,10:26:26\+04" is not a real date and time/);
    assert.throws(() => parseTextHeader('+CMGR: "REC READ","+3162",,"yesterday"'), /is not "yy\/MM\/dd,hh:mm:ss±zz"/);
  });
});

describe('text-mode messages', () => {
  it('a received message as an SMS-DELIVER (GSM character set)', () => {
    const m = parseTextModeMessage('+CMGR: "REC UNREAD","+31628870634",,"11/01/09,10:26:26+04"', 'This is text message 1');
    assert.equal(m.type, 'deliver');
    assert.deepEqual(m.sender, { number: '+31628870634', type: 'international', toa: 0x91 });
    assert.equal(m.status, 'REC UNREAD');
    assert.equal(m.encoding, 'gsm7');
    assert.equal(m.text, 'This is text message 1');
    assert.equal(m.timestamp.toISOString(), '2011-01-09T09:26:26.000Z');
    assert.equal(m.tzOffsetMinutes, 60);
  });

  it('GSM character set: @ is 0x00 and extension characters come with the escape', () => {
    const m = parseTextModeMessage('+CMGL: 2,"REC READ","1002",,"11/06/29,23:32:19+08"', '\u0000home: 5\u001be {ok}'.replace('{ok}', '\u001b(ok\u001b)'));
    assert.equal(m.text, '@home: 5€ {ok}');
    assert.equal(m.index, 2);
    assert.deepEqual(m.sender, { number: '1002', type: 'unknown', toa: 0x81 });
  });

  it('IRA is taken as it is; HEX is the GSM codes in hex', () => {
    const h = '+CMT: "+447700900123",,"24/03/01,13:34:56+04"';
    assert.equal(parseTextModeMessage(h, 'Meet @ 10', { charset: 'IRA' }).text, 'Meet @ 10');
    assert.equal(parseTextModeMessage(h, '004D656574', { charset: 'HEX' }).text, '@Meet');
  });

  it('UCS2 character set: address and body are UTF-16 hex, emoji included', () => {
    const address = Buffer.from('+31628870634', 'utf16le').swap16().toString('hex').toUpperCase();
    const m = parseTextModeMessage(`+CMGR: "REC READ","${address}","","11/01/09,10:26:26+04"`, '0048006900200020D83DDE00', { charset: 'UCS2' });
    assert.equal(m.sender.number, '+31628870634');
    assert.equal(m.sender.type, 'international');
    assert.equal(m.text, 'Hi  😀');
    assert.equal(m.encoding, 'ucs2');
  });

  it('with +CSDH=1 the DCS decides: UCS-2 and 8-bit bodies are hex whatever the character set', () => {
    const ucs2 = parseTextModeMessage('+CMGR: "REC READ","+8613912345678",,"07/08/21,12:30:00+32",145,4,0,8,"+8613800100500",145,4', '4F60597D');
    assert.equal(ucs2.text, '你好');
    assert.equal(ucs2.encoding, 'ucs2');
    assert.equal(ucs2.dcs, 8);
    assert.deepEqual(ucs2.smsc, { number: '+8613800100500', type: 'international', toa: 145 });
    assert.equal(ucs2.moreMessagesToSend, false);
    const data = parseTextModeMessage('+CMGR: "REC READ","+8613912345678",,"07/08/21,12:30:00+32",145,4,0,245,"+8613800100500",145,3', '0102FF');
    assert.equal(data.encoding, '8bit');
    assert.deepEqual(data.data, Uint8Array.of(1, 2, 0xff));
    assert.equal(data.messageClass, 1);
    assert.equal(data.text, undefined);
  });

  it('refuses what is not a received message, or a body that is not in the character set', () => {
    assert.throws(() => parseTextModeMessage('+CMGL: 3,"STO UNSENT","+31628870634",,', 'draft'), /"\+31628870634" \(STO UNSENT\) has no time stamp: not a received message/);
    assert.throws(() => parseTextModeMessage('+CMT: "+1",,"24/03/01,13:34:56+04"', 'café'), /code 0xE9 at 3: not a GSM 7-bit character/);
    assert.throws(() => parseTextModeMessage('+CMT: "+1",,"24/03/01,13:34:56+04"', '004', { charset: 'UCS2' }), /odd number/);
  });
});
