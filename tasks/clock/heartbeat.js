// A heartbeat: small and trusted, so it runs in-process. It reads the work cost like any task
// that sizes its work to the device's load.
export default function run(instance) {
  const { scheduledAt, missed } = instance.triggerDetails;
  instance.log.info(`alive; work cost ${instance.workCost}${missed ? ' (catching up a run missed while stopped)' : ''}`, { scheduledAt });
}
