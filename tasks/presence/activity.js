// Every activity reading since the last run (the seed's ReadReports), oldest first.
export default function run(instance) {
  const reports = instance.triggerDetails.reports.map((r) => `${r.activity} at ${r.timestamp.slice(11, 19)}`);
  instance.log.info(`activity: ${reports.join(', ')}`);
}
