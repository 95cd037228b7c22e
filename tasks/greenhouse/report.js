// Says which reading moved, from what to what.
export default function run(instance) {
  const { sensor, kind, changed } = instance.triggerDetails;
  const moves = Object.entries(changed).map(([channel, c]) => `${channel} ${round(c.from)} -> ${round(c.to)}`);
  instance.log.info(`${kind} threshold on ${sensor}: ${moves.join(', ')}`);
}

function round(n) {
  return Math.round(n * 100) / 100;
}
