// Presence from an iBeacon tag: the watcher's signal-strength filter says when it arrives and leaves.
export default function run(instance) {
  const { error, advertisements } = instance.triggerDetails;
  if (error !== 'Success') return instance.log.info(`tag watcher: ${error}`);
  for (const a of advertisements) {
    const b = a.advertisement.iBeacon;
    const who = b ? `tag ${b.major}/${b.minor}` : a.address;
    if (a.range === 'in') instance.log.info(`${who} arrived (${a.rssi} dBm)`);
    else if (a.range === 'out') instance.log.info(`${who} left`);
    else instance.log.info(`${who} still here (${a.rssi} dBm)`);
  }
}
