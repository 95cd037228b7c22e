/**
 * The BME280/BMP280 arithmetic: calibration layout, Bosch's compensation (integer reference code,
 * §4.2.3 / §8.2, and the double variant of §8.1 that published vectors use) and conversion times
 * (Appendix B). Shared by the driver and the simulator, which inverts it; no I/O here.
 */
export type Bmx280Variant = 'bme280' | 'bmp280';

/** Trimming parameters under the datasheet's names (§4.2.2), so each can be checked against it. */
export type TemperaturePressureCalibration = Record<`dig_T${1 | 2 | 3}` | `dig_P${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9}`, number>;
export type HumidityCalibration = Record<`dig_H${1 | 2 | 3 | 4 | 5 | 6}`, number>;
/** `humidity` is there on a BME280 only. */
export type Bmx280Calibration = TemperaturePressureCalibration & { humidity?: HumidityCalibration };

/** 0x88–0x9F (24 bytes): T1 u16, T2 s16, T3 s16, P1 u16, P2…P9 s16, all little-endian (Table 16). */
export function parseTemperaturePressureCalibration(b: Uint8Array): Bmx280Calibration {
  if (b.length < 24) throw new RangeError(`calibration block 0x88–0x9F is ${b.length} bytes: expected 24`);
  const u16 = (i: number) => b[i]! | (b[i + 1]! << 8);
  const s16 = (i: number) => (u16(i) << 16) >> 16;
  return {
    dig_T1: u16(0), dig_T2: s16(2), dig_T3: s16(4),
    dig_P1: u16(6), dig_P2: s16(8), dig_P3: s16(10), dig_P4: s16(12), dig_P5: s16(14),
    dig_P6: s16(16), dig_P7: s16(18), dig_P8: s16(20), dig_P9: s16(22),
  };
}

/**
 * dig_H1 (0xA1) and 0xE1–0xE7: H2 s16 LE, H3 u8, then H4 and H5 as signed 12-bit values sharing
 * 0xE5's nibbles (H4 = E4·16 + E5[3:0], H5 = E6·16 + E5[7:4]), H6 s8 (Table 16).
 */
export function parseHumidityCalibration(h1: number, e: Uint8Array): HumidityCalibration {
  if (e.length < 7) throw new RangeError(`calibration block 0xE1–0xE7 is ${e.length} bytes: expected 7`);
  const s8 = (v: number) => (v << 24) >> 24;
  return {
    dig_H1: h1,
    dig_H2: ((e[0]! | (e[1]! << 8)) << 16) >> 16,
    dig_H3: e[2]!,
    dig_H4: (s8(e[3]!) << 4) | (e[4]! & 0x0f),
    dig_H5: (s8(e[5]!) << 4) | (e[4]! >> 4),
    dig_H6: s8(e[6]!),
  };
}

/** The burst read from 0xF7: pressure and temperature are 20-bit (msb, lsb, xlsb[7:4]), humidity 16-bit. */
export function decodeAdc(b: Uint8Array): { adcP: number; adcT: number; adcH?: number } {
  const adc = { adcP: (b[0]! << 12) | (b[1]! << 4) | (b[2]! >> 4), adcT: (b[3]! << 12) | (b[4]! << 4) | (b[5]! >> 4) };
  return b.length >= 8 ? { ...adc, adcH: (b[6]! << 8) | b[7]! } : adc;
}

/**
 * Arithmetic shift right without JavaScript's 32-bit wrap: exact for integers below 2^53, and equal
 * to the C code's `>>` on int32 wherever that does not overflow.
 */
const asr = (x: number, n: number) => Math.floor(x / 2 ** n);

/** Temperature, int32 reference code (§4.2.3): 0.01 °C steps, and t_fine for the other two. */
export function compensateTemperature(adcT: number, c: Bmx280Calibration): { centiCelsius: number; tFine: number } {
  const var1 = asr(((adcT >> 3) - c.dig_T1 * 2) * c.dig_T2, 11);
  const d = (adcT >> 4) - c.dig_T1;
  const var2 = asr(asr(d * d, 12) * c.dig_T3, 14);
  const tFine = var1 + var2;
  return { centiCelsius: asr(tFine * 5 + 128, 8), tFine };
}

/** Pressure, int64 reference code (§4.2.3) in BigInt: Pa in Q24.8 (divide by 256). 0 if dig_P1 is 0. */
export function compensatePressure(adcP: number, tFine: number, c: Bmx280Calibration): number {
  let var1 = BigInt(tFine) - 128000n;
  let var2 = var1 * var1 * BigInt(c.dig_P6);
  var2 += (var1 * BigInt(c.dig_P5)) << 17n;
  var2 += BigInt(c.dig_P4) << 35n;
  var1 = ((var1 * var1 * BigInt(c.dig_P3)) >> 8n) + ((var1 * BigInt(c.dig_P2)) << 12n);
  var1 = (((1n << 47n) + var1) * BigInt(c.dig_P1)) >> 33n;
  if (var1 === 0n) return 0; // the reference code's guard against dividing by zero
  let p = 1048576n - BigInt(adcP);
  p = (((p << 31n) - var2) * 3125n) / var1; // BigInt division truncates toward zero, as C's does
  var1 = (BigInt(c.dig_P9) * (p >> 13n) * (p >> 13n)) >> 25n;
  var2 = (BigInt(c.dig_P8) * p) >> 19n;
  return Number(((p + var1 + var2) >> 8n) + (BigInt(c.dig_P7) << 4n));
}

/** Humidity, int32 reference code (§4.2.3): %RH in Q22.10 (divide by 1024), clamped to 0–100 %. */
export function compensateHumidity(adcH: number, tFine: number, h: HumidityCalibration): number {
  let v = tFine - 76800;
  const a = asr(adcH * 2 ** 14 - h.dig_H4 * 2 ** 20 - h.dig_H5 * v + 16384, 15);
  const b = asr((asr(asr(v * h.dig_H6, 10) * (asr(v * h.dig_H3, 11) + 32768), 10) + 2097152) * h.dig_H2 + 8192, 14);
  v = a * b;
  v -= asr(asr(asr(v, 15) * asr(v, 15), 7) * h.dig_H1, 4);
  return asr(Math.min(Math.max(v, 0), 419430400), 12);
}

/**
 * Temperature, double-precision reference code (§8.1). `tFine` is returned unrounded: the
 * datasheet's code truncates it to int32 before pressure and humidity, some libraries keep the
 * fraction; pass it on as the formula being matched does.
 */
export function compensateTemperatureDouble(adcT: number, c: Bmx280Calibration): { celsius: number; tFine: number } {
  const var1 = (adcT / 16384 - c.dig_T1 / 1024) * c.dig_T2;
  const d = adcT / 131072 - c.dig_T1 / 8192;
  const var2 = d * d * c.dig_T3;
  return { celsius: (var1 + var2) / 5120, tFine: var1 + var2 };
}

/** Pressure in Pa, double-precision reference code (§8.1). */
export function compensatePressureDouble(adcP: number, tFine: number, c: Bmx280Calibration): number {
  let var1 = tFine / 2 - 64000;
  let var2 = (var1 * var1 * c.dig_P6) / 32768;
  var2 = var2 + var1 * c.dig_P5 * 2;
  var2 = var2 / 4 + c.dig_P4 * 65536;
  var1 = ((c.dig_P3 * var1 * var1) / 524288 + c.dig_P2 * var1) / 524288;
  var1 = (1 + var1 / 32768) * c.dig_P1;
  if (var1 === 0) return 0;
  let p = 1048576 - adcP;
  p = ((p - var2 / 4096) * 6250) / var1;
  var1 = (c.dig_P9 * p * p) / 2147483648;
  var2 = (p * c.dig_P8) / 32768;
  return p + (var1 + var2 + c.dig_P7) / 16;
}

/** Humidity in %RH, double-precision reference code (§8.1), clamped to 0–100 %. */
export function compensateHumidityDouble(adcH: number, tFine: number, h: HumidityCalibration): number {
  let v = tFine - 76800;
  v = (adcH - (h.dig_H4 * 64 + (h.dig_H5 / 16384) * v)) * ((h.dig_H2 / 65536) * (1 + (h.dig_H6 / 67108864) * v * (1 + (h.dig_H3 / 67108864) * v)));
  v = v * (1 - (h.dig_H1 * v) / 524288);
  return Math.min(Math.max(v, 0), 100);
}

/**
 * The longest a forced conversion takes, in ms (Appendix B, §9.1): 1.25 + 2.3·osrs_t +
 * (2.3·osrs_p + 0.575) + (2.3·osrs_h + 0.575), a term dropping out when its measurement is
 * skipped (oversampling 0).
 */
export function maxMeasurementMs(osrsT: number, osrsP: number, osrsH: number): number {
  return 1.25 + 2.3 * osrsT + (osrsP ? 2.3 * osrsP + 0.575 : 0) + (osrsH ? 2.3 * osrsH + 0.575 : 0);
}

/** The typical conversion time, same appendix: 1 + 2·osrs_t + (2·osrs_p + 0.5) + (2·osrs_h + 0.5). */
export function typicalMeasurementMs(osrsT: number, osrsP: number, osrsH: number): number {
  return 1 + 2 * osrsT + (osrsP ? 2 * osrsP + 0.5 : 0) + (osrsH ? 2 * osrsH + 0.5 : 0);
}
