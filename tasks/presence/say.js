// One line per role event: which line changed and what it means now.
export default function run(instance) {
  const d = instance.triggerDetails;
  const what = d.supplyGood === undefined ? (d.value ? 'someone is here' : 'nobody is here') : d.supplyGood ? 'mains is good' : 'running on the UPS';
  instance.log.info(`${d.line} ${d.edge}: ${what}`);
}
