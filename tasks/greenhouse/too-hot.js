// Past 30 °C: switch the fan on. The trigger re-arms only once the air is below 29 °C again,
// so a temperature hovering around 30 does not flap the fan.
export default async function run(instance) {
  const { crossed, values } = instance.triggerDetails;
  await instance.call('gpio.write', 'fan', 1);
  instance.log.warn(`greenhouse at ${values.temperature.toFixed(1)} °C (above ${crossed.above}): fan on`);
}
