/** Bluetooth LE advertising data: parse (never throws), build, and the beacon and sensor frames inside. */
export * from './types.js';
export { AD, AD_TYPE_NAMES, adTypeName, describeFlags, uuidString } from './ad-types.js';
export { parseAdvert, mergeAdverts, type ParseOptions } from './parse.js';
export { buildAdvert, buildScanResponse, LEGACY_ADVERT_BYTES } from './build.js';
export { decodeBthome, encodeBthome, BTHOME_UUID, type BthomeEncodeOptions, type BthomeKeyOptions } from './bthome.js';
export { BTHOME_CHANNELS, BTHOME_OBJECT_LIST, type BthomeObject } from './bthome-objects.js';
export { decodeEddystone, encodeEddystone, EDDYSTONE_UUID } from './eddystone.js';
export { decodeIBeacon, encodeIBeacon } from './ibeacon.js';
export { companyName } from './companies.js';
export { AdvertBuildError, BthomeError } from './errors.js';
export { parseHex, toHex } from './hex.js';
