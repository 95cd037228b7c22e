// Asks for the device's own hotspot; the entitlement check and the hotspot task decide the rest.
export default async function run(instance) {
  const source = instance.triggerDetails.line ?? instance.triggerDetails.arguments?.from ?? 'command line';
  const r = await instance.call('wifi.hotspot-request', `asked from ${source}`);
  instance.log.info(`hotspot request ${r.requestId}: ${r.result}${r.reason ? ` (${r.reason})` : ''}`);
}
