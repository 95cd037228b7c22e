// Several small tasks in one module, each a named export the manifest points at.
export function costChanged(instance) {
  const { from, to, causes } = instance.triggerDetails;
  instance.log.info(`work cost ${from} -> ${to}`, { causes });
}

export function zoneChanged(instance) {
  const { from, to } = instance.triggerDetails;
  const local = new Date().toLocaleString('en-GB', { timeZone: to, timeZoneName: 'short' });
  instance.log.info(`time zone ${from} -> ${to}; local time there is ${local}`);
}

export function loggedIn(instance) {
  const { user, line, host } = instance.triggerDetails;
  instance.log.info(`${user} logged in on ${line}${host ? ` from ${host}` : ''}`);
}

export function updated(instance) {
  const { bundle, version, previousVersion } = instance.triggerDetails;
  instance.log.info(`bundle ${bundle} updated${previousVersion ? ` from ${previousVersion}` : ''} to ${version}`);
}
