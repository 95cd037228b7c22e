// The internet is back: say over what, and start the sync (it waits for a free network itself).
export default async function run(instance) {
  const d = instance.triggerDetails;
  instance.log.info(`online again via ${d.defaultRoute?.iface ?? '?'}${d.ssid ? ` ("${d.ssid}")` : ''}`);
  await instance.call('tasks.trigger', 'sync', { reason: 'back online' });
}
