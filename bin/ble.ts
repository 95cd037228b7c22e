/**
 * `vigil ble parse <adv> [scan] [--json] [--key <hex> --address <mac>]`: what an advert says,
 * structure by structure — for bytes copied out of btmon, nRF Connect or a log. Malformed
 * structures are shown as skipped, with why; beacon and sensor frames are decoded.
 */
import { Command } from 'commander';
import { AD, describeFlags, uuidString } from '../drivers/ble/adv/ad-types.js';
import { companyName } from '../drivers/ble/adv/companies.js';
import { parseHex, toHex } from '../drivers/ble/adv/hex.js';
import { parseAdvert } from '../drivers/ble/adv/parse.js';
import type { AdStructure, BthomeFrame, EddystoneFrame, ParsedAdvert } from '../drivers/ble/adv/types.js';
import { readUuid } from '../drivers/ble/adv/uuid.js';
import { CliError, errorMessage } from '../runtime/errors.js';

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

function hexOrEmpty(data: Buffer): string {
  return data.length ? toHex(data) : '(empty)';
}

function uuidList(data: Buffer, width: number): string {
  const out: string[] = [];
  const whole = data.length - (data.length % width);
  for (let i = 0; i < whole; i += width) out.push(uuidString(readUuid(data, i, width)));
  if (whole !== data.length) out.push(`(+ ${toHex(data.subarray(whole))})`);
  return out.join(', ');
}

function serviceData(data: Buffer, width: number): string {
  if (data.length < width) return hexOrEmpty(data);
  return `${uuidString(readUuid(data, 0, width))}: ${hexOrEmpty(data.subarray(width))}`;
}

/** The value part of a structure's line, decoded where the type is one vigil reads. */
function structureValue(s: AdStructure): string {
  const d = s.data;
  if (d.length === 0) return '(empty)';
  switch (s.type) {
    case AD.FLAGS:
      return `${hex2(d[0]!)} (${describeFlags(d[0]!)})`;
    case AD.UUID16_INCOMPLETE:
    case AD.UUID16_COMPLETE:
    case AD.SOLICIT_UUID16:
      return uuidList(d, 2);
    case AD.UUID32_INCOMPLETE:
    case AD.UUID32_COMPLETE:
    case AD.SOLICIT_UUID32:
      return uuidList(d, 4);
    case AD.UUID128_INCOMPLETE:
    case AD.UUID128_COMPLETE:
    case AD.SOLICIT_UUID128:
      return uuidList(d, 16);
    case AD.SHORT_NAME:
    case AD.COMPLETE_NAME:
      return JSON.stringify(d.toString('utf8'));
    case AD.TX_POWER:
      return d.length === 1 ? `${d.readInt8(0)} dBm` : toHex(d);
    case AD.APPEARANCE:
      return d.length === 2 ? `0x${d.readUInt16LE(0).toString(16).padStart(4, '0')}` : toHex(d);
    case AD.SERVICE_DATA16:
      return serviceData(d, 2);
    case AD.SERVICE_DATA32:
      return serviceData(d, 4);
    case AD.SERVICE_DATA128:
      return serviceData(d, 16);
    case AD.MANUFACTURER: {
      if (d.length < 2) return toHex(d);
      const id = d.readUInt16LE(0);
      const name = companyName(id);
      return `company 0x${id.toString(16).padStart(4, '0')}${name ? ` (${name})` : ''}: ${hexOrEmpty(d.subarray(2))}`;
    }
    default:
      return toHex(d);
  }
}

function structureLine(s: AdStructure): string {
  const type = `0x${hex2(s.type)}`;
  const label = s.typeName === type ? type : `${type} ${s.typeName}`;
  return `[${s.source} ${s.offset}] ${label}: ${structureValue(s)}`;
}

function eddystoneLine(e: EddystoneFrame): string {
  switch (e.frame) {
    case 'uid':
      return `Eddystone UID: namespace ${e.namespace} instance ${e.instance}, tx power ${e.txPower} dBm at 0 m`;
    case 'url':
      return `Eddystone URL: ${e.url} (tx power ${e.txPower} dBm at 0 m)`;
    case 'tlm':
      return `Eddystone TLM: battery ${e.batteryMv} mV, temperature ${e.temperature === null ? 'not supported' : `${e.temperature} °C`}, ${e.advCount} adverts sent, up ${e.uptimeSec} s`;
    case 'eid':
      return `Eddystone EID: ${e.eid} (tx power ${e.txPower} dBm at 0 m)`;
  }
}

function bthomeLine(b: BthomeFrame): string {
  const about: string[] = [];
  if (b.encrypted) about.push('encrypted', `counter ${b.counter}`);
  if (b.triggerBased) about.push('trigger-based');
  if (b.packetId !== undefined) about.push(`packet ${b.packetId}`);
  const items = b.readings.map((r) => `${r.name} ${r.value}${r.unit ? ` ${r.unit}` : ''}`);
  for (const e of b.events) items.push(`${e.name} ${e.event}${e.steps !== undefined ? ` ${e.steps} steps` : ''}`);
  for (const t of b.texts ?? []) items.push(`${t.name} ${JSON.stringify(t.value)}`);
  if (b.deviceTypeId !== undefined) items.push(`device type ${b.deviceTypeId}`);
  if (b.firmwareVersion !== undefined) items.push(`firmware ${b.firmwareVersion}`);
  return `BTHome v2${about.length ? ` (${about.join(', ')})` : ''}: ${items.join(', ') || '(no readings)'}`;
}

function formatText(p: ParsedAdvert): string {
  const lines = p.structures.map(structureLine);
  if (lines.length === 0) lines.push('no AD structures');
  for (const problem of p.problems) lines.push(`skipped at ${problem.source} ${problem.offset}: ${problem.message}`);
  if (p.iBeacon) {
    const b = p.iBeacon;
    lines.push(`iBeacon: uuid ${uuidString(b.uuid)} major ${b.major} minor ${b.minor} measured power ${b.measuredPower} dBm`);
  }
  if (p.eddystone) lines.push(eddystoneLine(p.eddystone));
  if (p.bthome) lines.push(bthomeLine(p.bthome));
  if (p.frameError !== undefined) lines.push(`frame error: ${p.frameError}`);
  return `${lines.join('\n')}\n`;
}

/** The parsed advert as JSON, bytes as hex strings. */
function formatJson(p: ParsedAdvert): string {
  return `${JSON.stringify(
    p,
    function (this: Record<string, unknown>, key: string, value: unknown) {
      const raw = this[key];
      return raw instanceof Uint8Array ? toHex(raw) : value;
    },
    2,
  )}\n`;
}

function bytesArg(text: string, what: string): Buffer {
  try {
    return parseHex(text, what);
  } catch (err) {
    throw new CliError('BLE_BAD_HEX', `ble parse: ${errorMessage(err)}`, { cause: err });
  }
}

function addressArg(text: string): string {
  if (!/^[0-9a-f]{2}([:-]?[0-9a-f]{2}){5}$/i.test(text)) {
    throw new CliError('BLE_BAD_ADDRESS', `ble parse: --address ${JSON.stringify(text)} is not a Bluetooth address: expected six hex bytes like A4:C1:38:8D:18:B2`);
  }
  return text;
}

export function bleCommand(): Command {
  const parse = new Command('parse')
    .description('decode Bluetooth LE advertising data given in hex: each AD structure, anything skipped and why, and any iBeacon, Eddystone or BTHome v2 frame')
    .argument('<adv>', 'the advertising data in hex (spaces, colons and a leading 0x allowed; quote it if it has spaces)')
    .argument('[scan]', 'the scan response in hex, if there is one')
    .option('--json', 'print the parsed advert as one JSON object (bytes as hex)')
    .option('--key <hex>', 'BTHome bind key (32 hex digits) to decrypt an encrypted BTHome frame; needs --address')
    .option('--address <mac>', "the advertiser's MAC address, e.g. A4:C1:38:8D:18:B2 (the BTHome nonce starts with it)")
    // Hex pasted unquoted in groups would otherwise be read as <adv> and [scan] with the rest dropped.
    .allowExcessArguments(false)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .action((adv: string, scan: string | undefined, options: { json?: boolean; key?: string; address?: string }) => {
      const data = bytesArg(adv, '<adv>');
      const scanResponse = scan === undefined ? undefined : bytesArg(scan, '[scan]');
      let key: Buffer | undefined;
      if (options.key !== undefined) {
        key = bytesArg(options.key, '--key');
        if (key.length !== 16) throw new CliError('BLE_BAD_KEY', `ble parse: --key is ${key.length} byte${key.length === 1 ? '' : 's'}: expected 16 (32 hex digits)`);
        if (options.address === undefined) throw new CliError('BLE_KEY_NEEDS_ADDRESS', "ble parse: --key needs --address: the BTHome nonce starts with the sensor's MAC address");
      }
      const address = options.address === undefined ? undefined : addressArg(options.address);
      const parsed = parseAdvert(data, scanResponse, { bthomeKey: key, address });
      process.stdout.write(options.json ? formatJson(parsed) : formatText(parsed));
    });
  return new Command('ble').description('Bluetooth LE tools: parse advertising data').addCommand(parse);
}
