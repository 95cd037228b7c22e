// Sends readings in chunks, reporting progress. Cancelled with ConditionLoss when the free
// network goes (the link drops, or the route moves to the cellular modem).
import { setTimeout as sleep } from 'node:timers/promises';

export default async function run(instance) {
  const chunks = 8;
  instance.on('canceled', (reason) => instance.log.warn(`sync stopped: ${reason}`));
  for (let i = 1; i <= chunks; i++) {
    await sleep(1000, undefined, { signal: instance.signal });
    instance.progress = (i / chunks) * 100;
  }
  instance.log.info(`synced ${chunks} chunks`);
}
