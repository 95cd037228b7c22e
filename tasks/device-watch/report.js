// A report on request: `vigil trigger report --arg to=ops`. The deferral keeps the task alive
// after run() returns, until the (simulated) send completes.
export default function run(instance) {
  const deferral = instance.getDeferral();
  const to = instance.triggerDetails.arguments.to ?? 'nobody';
  instance.progress = 50;
  setTimeout(() => {
    instance.progress = 100;
    instance.log.info(`report sent to ${to}`, { workCost: instance.workCost, heldBackTimes: instance.getThrottleCount('All') });
    deferral.complete();
  }, 500);
}
