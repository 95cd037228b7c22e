// The door opened: note it and ask for the camera's photos to be uploaded. The upload is
// another task (an ApplicationTrigger), reached through the capability the manifest declares.
export default async function run(instance) {
  instance.log.info('door opened', { source: instance.triggerDetails.source });
  const result = await instance.call('tasks.trigger', 'upload-photos', { reason: 'door opened' });
  instance.log.info(`photo upload requested: ${result}`);
}
