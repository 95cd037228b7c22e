// Recurrence "Once": this runs the first time the door opens and never again, across restarts.
export default function run(instance) {
  instance.log.info('the door opened for the first time since this bundle was installed');
}
