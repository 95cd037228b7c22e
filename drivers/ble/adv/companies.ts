/**
 * A few Bluetooth company identifiers (Assigned Numbers, "Company Identifiers"), for `vigil ble
 * parse` to put a name beside the number. Not the whole registry: an unknown id prints as a number.
 */
const COMPANIES = new Map<number, string>([
  [0x0006, 'Microsoft'],
  [0x000d, 'Texas Instruments'],
  [0x004c, 'Apple'],
  [0x0059, 'Nordic Semiconductor'],
  [0x0075, 'Samsung'],
  [0x00e0, 'Google'],
  [0x0171, 'Amazon'],
  [0x02e5, 'Espressif'],
  [0x038f, 'Xiaomi'],
  [0x0499, 'Ruuvi Innovations'],
  [0x0ba9, 'Allterco Robotics (Shelly)'],
]);

export function companyName(id: number): string | undefined {
  return COMPANIES.get(id);
}
