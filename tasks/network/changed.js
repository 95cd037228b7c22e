// One line per network change, in the words the runtime found for it.
export default function run(instance) {
  const d = instance.triggerDetails;
  const route = d.defaultRoute ? `${d.defaultRoute.iface} (${d.defaultRoute.kind})` : 'no route';
  instance.log.info(`network: ${d.changes.join(', ')} — internet ${d.internet ? 'yes' : 'no'}, ${route}${d.metered ? ', metered' : ''}`);
}
