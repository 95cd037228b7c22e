// One line per Bluetooth event: the trigger and the details that matter to a reader of the log.
export default function run(instance) {
  const d = instance.triggerDetails ?? {};
  const what =
    d.status !== undefined ? `publisher ${d.status}${d.error !== 'Success' ? ` (${d.error}${d.message ? `: ${d.message}` : ''})` : ''}` :
    d.crossed !== undefined ? `${d.sensor} ${d.crossed.channel} ${d.crossed.value} (${d.crossed.below !== undefined ? `below ${d.crossed.below}` : `above ${d.crossed.above}`})` :
    JSON.stringify(d);
  instance.log.info(`${instance.task.name}: ${what}`);
}
