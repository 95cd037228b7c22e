// Misbehaving on purpose. Each runs isolated in a worker, so the runtime stops it and carries on.

export function loopForever() {
  for (;;) {
    // spin: only the quota, and then stopping the worker, ends this
  }
}

export async function allocate(instance) {
  const held = [];
  for (let i = 0; i < 256; i++) {
    held.push(Buffer.alloc(1024 * 1024, i));
    if (i % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  instance.log.info(`held ${held.length} MB`);
}

export function holdDeferral(instance) {
  instance.getDeferral();
  instance.log.info('took a deferral; going quiet');
}
