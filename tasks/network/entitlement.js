// The entitlement check: tethering is allowed unless the battery is low (the metadata task keeps
// the level), since sharing the cellular link drains it fastest.
export default async function run(instance) {
  const { metadata } = await instance.call('wifi.hotspot', 'state');
  const allowed = metadata.batteryPercent === undefined || metadata.batteryPercent >= 20;
  const reason = metadata.batteryPercent === undefined ? 'battery level unknown' : `battery at ${metadata.batteryPercent} %`;
  await instance.call('tethering.respond', { allowed, reason });
  instance.log.info(`tethering ${allowed ? 'allowed' : 'denied'}: ${reason}`);
}
