// What the hotspot offers: available while the battery lasts, with the cellular bars it would share.
let battery = 92;

export default async function run(instance) {
  const { reason } = instance.triggerDetails;
  battery = Math.max(0, battery - 1);
  const metadata = { availability: battery >= 20 ? 'available' : 'unavailable', batteryPercent: battery, cellularBars: 3, displayName: 'vigil greenhouse' };
  await instance.call('wifi.hotspot', 'metadata', metadata);
  instance.log.info(`hotspot metadata (${reason}): ${metadata.availability}, battery ${battery} %`);
}
