// Raises the hotspot the request asked for.
export default async function run(instance) {
  const state = await instance.call('wifi.hotspot', 'up');
  instance.log.info(`hotspot up on ${state.iface} for ${instance.triggerDetails.source}`);
}
