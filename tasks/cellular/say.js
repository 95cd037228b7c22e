// One line per modem event: the trigger and the details that matter to a reader of the log.
export default function run(instance) {
  const d = instance.triggerDetails ?? {};
  const what =
    d.messageId !== undefined ? `SMS from ${d.from}: ${JSON.stringify(d.text ?? d.data)}${d.partial ? ` (partial, missing ${d.partial.missing.join(', ')})` : ''}` :
    d.pinLockState !== undefined ? `SIM ${d.previous} → ${d.pinLockState}` :
    d.radioState !== undefined ? `radio ${d.previous} → ${d.radioState}` :
    d.messageType !== undefined ? `${d.messageType}${d.operator?.name ? ` (${d.operator.name})` : ''}${d.signal ? ` at ${d.signal.dbm} dBm` : ''}` :
    d.registrationState !== undefined ? `${d.previous} → ${d.registrationState}${d.operator?.name ? ` on ${d.operator.name}` : ''}${d.accessTechnology ? ` (${d.accessTechnology})` : ''}` :
    d.active !== undefined ? `active SMS filter: ${d.active ?? 'none'}` :
    d.reference !== undefined ? `SMS ${d.reference} to ${d.recipient}: ${d.statusText}` :
    d.bytes !== undefined ? `${(d.bytes / 1048576).toFixed(1)} MB used on ${d.interface}` :
    d.line !== undefined ? `${d.name}: ${d.line}` :
    'number' in d ? `call ${d.reason ? 'ended' : 'from'} ${d.number ?? 'a withheld number'}` :
    JSON.stringify(d);
  instance.log.info(`${instance.task.name}: ${what}`);
}
