// A long job with progress. MaintenanceTrigger runs it only while the supply is good, and the
// runtime aborts it (Abort) if the supply goes bad meanwhile: the signal stops the waits.
import { setTimeout as sleep } from 'node:timers/promises';

export default async function run(instance) {
  const steps = 10;
  for (let i = 1; i <= steps; i++) {
    await sleep(1000, undefined, { signal: instance.signal });
    instance.progress = (i / steps) * 100;
  }
  instance.log.info('compacted old readings');
}
