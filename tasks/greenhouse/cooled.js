// Below 27 °C: the fan goes off. (At start, with the air already cool, this makes sure it is off.)
export default async function run(instance) {
  await instance.call('gpio.write', 'fan', 0);
  instance.log.info(`greenhouse at ${instance.triggerDetails.values.temperature.toFixed(1)} °C: fan off`);
}
