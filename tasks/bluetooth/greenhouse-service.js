// The greenhouse over GATT. Reads of the temperature get a fresh value; a subscription gets one
// pushed at once; the setpoint is checked (5.0–35.0 °C) and refused with an application error.
let temperature = 2150; // 0.01 °C, as the Temperature characteristic (0x2A6E) encodes it

const le16 = (n) => [n & 0xff, (n >> 8) & 0xff];

export default async function run(instance) {
  const { request } = instance.triggerDetails;
  if (request.kind === 'read' && request.characteristic === '2a6e') {
    temperature += Math.round((Math.random() - 0.5) * 20);
    await instance.call('gatt.respond', { value: le16(temperature) });
  } else if (request.kind === 'write') {
    const bytes = Buffer.from(request.data, 'hex');
    const setpoint = bytes.readInt16LE(0) / 10;
    if (setpoint < 5 || setpoint > 35) {
      await instance.call('gatt.respond', { error: 0x80 });
      instance.log.info(`setpoint ${setpoint} °C refused (5–35 °C)`);
      return;
    }
    instance.log.info(`setpoint set to ${setpoint} °C by ${request.client}`);
  } else if (request.kind === 'subscribe') {
    const reached = await instance.call('gatt.notify', '2a6e', le16(temperature));
    instance.log.info(`${request.client} subscribed to the temperature (${reached} subscriber(s) notified)`);
  }
}
