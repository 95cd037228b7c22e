/**
 * TP-ST, the status in an SMS-STATUS-REPORT (TS 23.040 9.2.3.15), in words. The value falls in
 * one of four ranges — completed, still trying, failed, gave up after temporary errors — and a
 * reserved or service-centre-specific value still says which range it is in, which is what a
 * task needs to decide whether to resend.
 */

const TEMPORARY = ['congestion', 'recipient busy', 'no response from recipient', 'service rejected', 'quality of service not available', 'error in recipient'];

const COMPLETED = ['', 'forwarded to the recipient, delivery not confirmed', 'replaced by the service centre'];

const PERMANENT = [
  'remote procedure error',
  'incompatible destination',
  'connection rejected by recipient',
  'not obtainable',
  'quality of service not available',
  'no interworking available',
  'validity period expired',
  'deleted by the sender',
  'deleted by the service centre',
  'message does not exist',
];

function hex2(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** Range prefix and the detail of a value within it (the table entry, or reserved / specific). */
function within(prefix: string, table: readonly string[], offset: number, specificFrom: number, st: number): string {
  const known = table[offset];
  if (known !== undefined) return known === '' ? prefix : `${prefix}: ${known}`;
  return `${prefix}: ${offset >= specificFrom ? 'service-centre specific' : 'reserved'} (${hex2(st)})`;
}

export function describeStatus(st: number): { text: string; delivered: boolean } {
  if (st < 0x20) return { text: within('delivered', COMPLETED, st, 0x10, st), delivered: true };
  if (st < 0x40) return { text: within('still trying', TEMPORARY, st - 0x20, 0x10, st), delivered: false };
  if (st < 0x60) return { text: within('failed', PERMANENT, st - 0x40, 0x10, st), delivered: false };
  if (st < 0x80) return { text: within('gave up after temporary errors', TEMPORARY, st - 0x60, 0x10, st), delivered: false };
  // Bit 7 is reserved (9.2.3.15): no range to place the value in.
  return { text: `reserved status (${hex2(st)})`, delivered: false };
}
