/**
 * parseAdvert against every vector of Home Assistant's bluetooth-data-tools GAP tests (read in
 * place, never copied). Each input is parsed the way that library is called: a list of payloads
 * parsed one by one and merged in order (later wins, complete name wins). Only the fields a
 * vector asserts are compared, in the library's shapes: dashed UUIDs, hex bytes, decimal company
 * ids. Every vector is accounted for: asserted, or listed below with the reason it cannot be.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { uuidString } from '../drivers/ble/adv/ad-types.js';
import { mergeAdverts, parseAdvert } from '../drivers/ble/adv/parse.js';
import type { ParsedAdvert } from '../drivers/ble/adv/types.js';

interface Input {
  fn: 'parse_advertisement_data' | 'parse_advertisement_data_bytes' | 'parse_advertisement_data_tuple';
  payloads_hex: string | string[];
}
interface Vector {
  test: string;
  input: Input[];
  expected: Record<string, unknown>;
}

const corpus = JSON.parse(readFileSync(new URL('../../shared/corpora/ble_bluetooth_data_tools_gap.json', import.meta.url), 'utf8')) as { vectors: Vector[] };
const vectors = corpus.vectors;

/** Vectors with nothing to assert, and why. */
const NOT_ASSERTABLE: Record<string, string> = {
  test_parse_advertisement_data_tuple_miss_falls_through_bytes_cache: 'no input was captured: the upstream test checks its lru_cache and log output only',
};

type Gap = { local_name: string | null; service_uuids: string[]; service_data: Record<string, string>; manufacturer_data: Record<string, string>; tx_power: number | null; tuple_result: unknown[] };

/** What bluetooth-data-tools returns for this advert, in its shapes. */
function gap(p: ParsedAdvert): Gap {
  const local_name = p.localName ?? null;
  const service_uuids = p.serviceUuids.map(uuidString);
  const service_data = Object.fromEntries(p.serviceData.map((s) => [uuidString(s.uuid), s.data.toString('hex')]));
  const manufacturer_data = Object.fromEntries(p.manufacturerData.map((m) => [String(m.companyId), m.data.toString('hex')]));
  const tx_power = p.txPower ?? null;
  return { local_name, service_uuids, service_data, manufacturer_data, tx_power, tuple_result: [local_name, service_uuids, service_data, manufacturer_data, tx_power] };
}

function bytes(hex: string): Buffer {
  const b = Buffer.from(hex, 'hex');
  assert.equal(b.length * 2, hex.length, `corpus hex ${hex} did not convert whole`);
  return b;
}

function run(input: Input): ParsedAdvert {
  const chunks = typeof input.payloads_hex === 'string' ? [input.payloads_hex] : input.payloads_hex;
  const parsed = mergeAdverts(chunks.map((hex) => parseAdvert(bytes(hex))));
  assert.ok(Array.isArray(parsed.structures) && Array.isArray(parsed.problems), 'parse returns arrays');
  return parsed;
}

function isSameAs(x: unknown): x is { same_as_result_of: keyof Gap } {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && 'same_as_result_of' in x;
}

/**
 * Is this expectation a list with one value per case (rather than one value for all inputs)? A
 * case can span several inputs: test_data_shorter_than_length runs each payload through both
 * parse_advertisement_data and the tuple variant, 60 inputs for 30 expected values.
 */
function perCase(key: string, value: unknown, inputs: number): value is unknown[] {
  if (!Array.isArray(value) || value.length < 2 || inputs % value.length !== 0) return false;
  // service_uuids and tuple_result are lists themselves: per input only when each element is one.
  if (key === 'service_uuids' || key === 'tuple_result') return value.every((x) => Array.isArray(x) || isSameAs(x));
  return true;
}

let asserted = 0;

describe('bluetooth-data-tools GAP corpus', () => {
  it('has 71 vectors', () => assert.equal(vectors.length, 71));

  vectors.forEach((v, index) => {
    const why = NOT_ASSERTABLE[v.test];
    if (why) {
      it(`${v.test} #${index}: not asserted — ${why}`, () => {
        assert.equal(v.input.length, 0, 'a listed vector must really have nothing to run');
      });
      return;
    }
    it(`${v.test} #${index}`, () => {
      assert.ok(v.input.length > 0);
      const results = v.input.map((input) => gap(run(input)));
      let checks = 0;
      for (const [key, value] of Object.entries(v.expected)) {
        assert.ok(key in results[0]!, `unknown expectation ${key}`);
        const each = perCase(key, value, v.input.length);
        const perGroup = each ? v.input.length / value.length : 1;
        results.forEach((result, i) => {
          const expected = each ? value[Math.floor(i / perGroup)] : value;
          const actual = result[key as keyof Gap];
          if (isSameAs(expected)) {
            // Equal to the other inputs' results for that field.
            results.forEach((other, j) => {
              if (j !== i) assert.deepEqual(actual, other[expected.same_as_result_of], `${key} of input ${i} = ${expected.same_as_result_of} of input ${j}`);
            });
          } else {
            assert.deepEqual(actual, expected, `${key} of input ${i} (${JSON.stringify(v.input[i]!.payloads_hex)})`);
          }
          checks++;
        });
      }
      // An empty expectation is the upstream "does not crash": run() has parsed every input without throwing.
      if (Object.keys(v.expected).length === 0) assert.equal(results.length, v.input.length);
      else assert.ok(checks > 0);
      asserted++;
    });
  });

  it('asserted every vector but the listed ones', () => {
    assert.equal(asserted, vectors.length - Object.keys(NOT_ASSERTABLE).length);
    assert.equal(asserted, 70);
  });
});
