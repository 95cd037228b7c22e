// Uploads photos one by one, reporting progress. It needs the internet (a condition), and is
// cancelled with ConditionLoss if the link drops mid-way.
import { setTimeout as sleep } from 'node:timers/promises';

export default async function run(instance) {
  const photos = 6;
  instance.on('canceled', (reason) => instance.log.warn(`stopping the upload: ${reason}`));
  for (let i = 1; i <= photos; i++) {
    await sleep(1000, undefined, { signal: instance.signal });
    instance.progress = (i / photos) * 100;
  }
  instance.log.info(`uploaded ${photos} photos`, { reason: instance.triggerDetails.arguments.reason });
}
