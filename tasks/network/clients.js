// Clients of the device's hotspot. When the last one leaves, the hotspot goes down and the
// device goes back to its own network.
export default async function run(instance) {
  const { id, mac, stations } = instance.triggerDetails;
  const joined = id === 'wifi.client-joined';
  instance.log.info(`hotspot client ${mac} ${joined ? 'joined' : 'left'}; ${stations} connected`);
  if (!joined && stations === 0) {
    await instance.call('wifi.hotspot', 'down');
    instance.log.info('hotspot down: no clients left');
  }
}
